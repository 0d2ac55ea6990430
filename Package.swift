// swift-tools-version:6.0
import PackageDescription

/// Fovea: a Jupyter kernel for seeing inside convolutional networks.
/// Protocol (Jupyter wire protocol) and Engine (numerics, pictures) never import each other;
/// Kernel (the language) is the only place they meet. Each C library sits behind one system-library target.
let package = Package(
    name: "Fovea",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "fovea-kernel", targets: ["fovea-kernel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        // C libraries from Debian, one shim each.
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CFreeType", pkgConfig: "freetype2", providers: [.apt(["libfreetype-dev"])]),
        // gzip for Fashion-MNIST's .gz IDX files and .npz archives.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        .target(
            name: "Protocol",
            dependencies: ["CZeroMQ", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "Engine",
            dependencies: [
                "COpenBLAS", "CPNG", "CJPEG", "CFreeType", "CZlib",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .target(name: "Kernel", dependencies: ["Protocol", "Engine"]),
        .executableTarget(
            name: "fovea-kernel",
            dependencies: ["Kernel", "Protocol", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .target(name: "TestSupport", dependencies: ["Engine"], path: "Tests/TestSupport"),
        .testTarget(name: "ProtocolTests", dependencies: ["Protocol"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KernelTests", dependencies: ["Kernel", "Engine", "Protocol", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
