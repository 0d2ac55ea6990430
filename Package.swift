// swift-tools-version:6.0
import Foundation
import PackageDescription

/// The engine's own kernels (pooling, rectifiers, Winograd transforms, image maps) are Swift SIMD code, which the
/// baseline x86-64 target compiles to SSE2: without SSE4.1's blend every masked select is emulated, and a max pool
/// that tracks its picks ran 1.6–3× slower than with AVX2 (0.71–1.30 ms against 0.44 ms for SqueezeNet's first
/// pool on one core, best of 5; the slower figure with the window size known at compile time). The
/// kernel is built on the machine that runs it (the README's commands), so a release build targets Haswell's
/// instruction set (AVX2, FMA, BMI2) when the building CPU has it. Swift emits no fused multiply-adds unasked and
/// reassociates no float sums, so the numbers are the same bytes either way (compared on SqueezeNet's logits,
/// saliency, guided backprop, Grad-CAM, integrated gradients and occlusion maps).
let hostHasAVX2: Bool = {
    #if arch(x86_64) && os(Linux)
    guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
    let present = Set(flags.split(separator: " ").map(String.init))
    return ["avx", "avx2", "fma", "bmi1", "bmi2", "movbe", "f16c"].allSatisfy(present.contains)  // = InstructionSet.required
    #else
    return false
    #endif
}()
/// `FOVEA_TARGETS_HASWELL` makes the binary check at start-up that it runs on such a CPU (`InstructionSet`).
let engineReleaseFlags = ["-Ounchecked"] + (hostHasAVX2 ? ["-target-cpu", "haswell", "-D", "FOVEA_TARGETS_HASWELL"] : [])

/// The engine's own GEMM (`Microkernels`) is written for AVX-512 registers and compiled for Skylake-AVX512's set on
/// any x86-64 building CPU; the engine calls it only where `InstructionSet` finds AVX-512 at run time. It is
/// optimised in debug builds too: the tests push whole torchvision models through it.
let microkernelFlags: [String] = {
    #if arch(x86_64)
    return ["-Ounchecked", "-target-cpu", "skylake-avx512"]
    #else
    return ["-Ounchecked"]
    #endif
}()

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
        .target(name: "Microkernels", swiftSettings: [.unsafeFlags(microkernelFlags)]),
        .target(
            name: "Engine",
            dependencies: [
                "Microkernels", "COpenBLAS", "CPNG", "CJPEG", "CFreeType", "CZlib",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: [.unsafeFlags(engineReleaseFlags, .when(configuration: .release))]
        ),
        .target(name: "Kernel", dependencies: ["Protocol", "Engine"]),
        .executableTarget(
            name: "fovea-kernel",
            dependencies: ["Kernel", "Engine", "Protocol", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .target(name: "TestSupport", dependencies: ["Engine"], path: "Tests/TestSupport"),
        .testTarget(name: "ProtocolTests", dependencies: ["Protocol"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Microkernels", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KernelTests", dependencies: ["Kernel", "Engine", "Protocol", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
