// swift-tools-version: 6.0
import PackageDescription

// Kernels are plain loops over unsafe buffers; bounds and exclusivity checks there cost
// 2–3× in the training step, so the compute modules build with them off in release.
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release))
]

let package = Package(
    name: "LatentBook",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "latentbook", targets: ["LatentBookCLI"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Datasets", targets: ["Datasets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // C libraries from Debian, one system-library target each.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCmark", pkgConfig: "libcmark", providers: [.apt(["libcmark-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        .target(name: "Engine", dependencies: ["COpenBLAS"], swiftSettings: kernelFlags),
        .target(
            name: "Datasets",
            dependencies: ["Engine", "CZlib", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: kernelFlags),
        .executableTarget(
            name: "LatentBookCLI",
            dependencies: ["Engine", "Datasets", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .testTarget(name: "EngineTests", dependencies: ["Engine"], exclude: ["check_safetensors.py"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Engine"]),
        .testTarget(name: "LatentBookCLITests", dependencies: ["LatentBookCLI", "Engine"]),
    ]
)
