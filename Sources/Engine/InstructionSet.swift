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

    /// The extensions of `required` that the CPU described by `cpuinfo` lacks (none when the file can't be read or
    /// lists no flags: the check never blocks a machine it cannot inspect).
    public static func missing(_ required: [String] = required, cpuinfo path: String = "/proc/cpuinfo") -> [String] {
        guard !required.isEmpty, let text = try? String(contentsOfFile: path, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        let present = Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
        return required.filter { !present.contains($0) }
    }
}
