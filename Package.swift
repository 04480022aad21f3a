// swift-tools-version: 6.0
import PackageDescription

// Kernels are plain loops over unsafe buffers; bounds and exclusivity checks there cost
// 2–3× in the training step, so the compute modules build with them off in release. They are
// compiled for AVX2 + FMA (every x86-64 CPU since 2013): the engine's own kernels (the narrow
// transposed convolution, element-wise passes) run 1.4× faster than with the SSE2 default.
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked", "-target-cpu", "haswell"], .when(configuration: .release))
]

let package = Package(
    name: "LatentBook",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "latentbook", targets: ["LatentBookCLI"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Notebook", targets: ["Notebook"]),
        .library(name: "Runtime", targets: ["Runtime"]),
        .library(name: "Render", targets: ["Render"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries from Debian, one system-library target each.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "CCmark", pkgConfig: "libcmark", providers: [.apt(["libcmark-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // The report model: outputs, metrics and their formatting, at the bottom so that every
        // module formats numbers alike and Render needs nothing of the engine.
        .target(name: "ReportModel"),
        .target(name: "Engine", dependencies: ["CDNNL", "ReportModel"], swiftSettings: kernelFlags),
        // The benchmark's FMA-peak probe, alone compiled for AVX-512 (called only on such CPUs).
        .target(name: "FMAPeak", swiftSettings: [.unsafeFlags(["-O", "-target-cpu", "skylake-avx512"])]),
        .target(
            name: "Datasets",
            dependencies: ["Engine", "ReportModel", "CZlib", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: kernelFlags),
        .target(name: "Notebook", dependencies: ["CCmark", "ReportModel", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "Runtime",
            dependencies: ["Engine", "Datasets", "Notebook", "ReportModel", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Render", dependencies: ["ReportModel", "Runtime", "Notebook", "CZlib"]),
        // The live preview: serves the rendered pages, streams run events, takes Run and Stop.
        .target(
            name: "Preview",
            dependencies: ["Notebook", "ReportModel", "Runtime", "Render", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "LatentBookCLI",
            dependencies: ["Engine", "Datasets", "Notebook", "Runtime", "Render", "ReportModel", "FMAPeak", "Preview",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .testTarget(name: "EngineTests", dependencies: ["ReportModel", "Engine"], exclude: ["check_safetensors.py"]),
        .testTarget(name: "DatasetsTests", dependencies: ["ReportModel", "Datasets", "Engine"]),
        .testTarget(name: "NotebookTests", dependencies: ["ReportModel", "Notebook", "Engine"]),
        .testTarget(name: "RuntimeTests", dependencies: ["ReportModel", "Runtime", "Notebook", "Engine", "Datasets"]),
        .testTarget(
            name: "RenderTests", dependencies: ["ReportModel", "Render", "Runtime", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["check_png.py"]),
        .testTarget(name: "PreviewTests", dependencies: ["Preview", "Runtime", "Notebook", "ReportModel"]),
        .testTarget(name: "LatentBookCLITests", dependencies: ["ReportModel", "LatentBookCLI", "Engine"]),
    ]
)
