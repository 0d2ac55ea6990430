import Foundation

/// The x86 extensions this build of the engine is compiled to use. A release build targets Haswell (AVX2, FMA, BMI2)
/// when the CPU that builds it has them (`Package.swift`); a binary carried to an older CPU — a tarball unpacked on
/// another machine — then stops at start-up with a message instead of dying of an illegal instruction in a cell.
public enum InstructionSet {
    #if FOVEA_TARGETS_HASWELL
    /// /proc/cpuinfo flag names; `Package.swift` targets Haswell only when the building CPU lists all of them.
    public static let required = ["avx", "avx2", "fma", "bmi1", "bmi2", "movbe", "f16c"]
    #else
    public static let required: [String] = []
    #endif

    /// AVX-512's foundation and the extensions Skylake-AVX512 added to it, which the engine's own GEMM
    /// (`Microkernels`) is compiled for.
    public static let avx512 = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

    /// Whether this CPU has `avx512` (false when /proc/cpuinfo can't be read: the own GEMM runs only where it can).
    public static let hasAVX512: Bool = flags().map { present in avx512.allSatisfy(present.contains) } ?? false

    /// The extensions of `required` that the CPU described by `cpuinfo` lacks (none when the file can't be read or
    /// lists no flags: the check never blocks a machine it cannot inspect).
    public static func missing(_ required: [String] = required, cpuinfo path: String = "/proc/cpuinfo") -> [String] {
        guard !required.isEmpty, let present = flags(cpuinfo: path) else { return [] }
        return required.filter { !present.contains($0) }
    }

    /// The flags /proc/cpuinfo (or `cpuinfo`) lists for the first CPU, nil when it can't be read or lists none.
    static func flags(cpuinfo path: String = "/proc/cpuinfo") -> Set<String>? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        return Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
    }
}
