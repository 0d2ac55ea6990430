// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "ConvBench",
    dependencies: [.package(path: "SWIFT_PROTOBUF")],
    targets: [
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng"),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg"),
        .systemLibrary(name: "CFreeType", pkgConfig: "freetype2"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib"),
        .target(name: "Engine", dependencies: ["COpenBLAS", "CPNG", "CJPEG", "CFreeType", "CZlib",
                .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                swiftSettings: [.unsafeFlags(["-Ounchecked", "-enable-testing"])]),
        .executableTarget(name: "Bench", dependencies: ["Engine"]),
    ],
    swiftLanguageModes: [.v5]
)
