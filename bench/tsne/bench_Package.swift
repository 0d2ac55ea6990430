// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "EmbBench",
    targets: [
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib"),
        .target(name: "EmbeddingCore", dependencies: ["COpenBLAS", "CZlib"],
                swiftSettings: [.unsafeFlags(["-enable-testing"])]),
        .executableTarget(name: "Bench", dependencies: ["EmbeddingCore"]),
    ],
    swiftLanguageModes: [.v5]
)
