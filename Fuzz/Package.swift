// swift-tools-version: 6.0
import PackageDescription

// libFuzzer harnesses for LatentBook's parsers and readers (see docs/robustness.md).
// Build with `swift build --package-path Fuzz --sanitize=fuzzer -Xswiftc -O` (what `make fuzz`
// does): every Swift module, the package's included, is then coverage-instrumented, and the
// debug configuration keeps bounds and overflow checks on in Engine and Datasets (their release
// flags turn them off), so a bad offset traps instead of silently reading the wrong bytes.
// With the fuzzer sanitizer SwiftPM links libFuzzer's main; the one executable holds every
// target and picks one by its first argument (LLVMFuzzerInitialize).
let package = Package(
    name: "LatentBookFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "LatentBook", path: "..")],
    targets: [
        .executableTarget(
            name: "latentbook-fuzz",
            dependencies: [
                .product(name: "Notebook", package: "LatentBook"),
                .product(name: "Runtime", package: "LatentBook"),
                .product(name: "Datasets", package: "LatentBook"),
                .product(name: "Engine", package: "LatentBook"),
            ]),
    ]
)
