import Foundation
import Testing
@testable import Engine

/// The start-up check of a binary compiled for Haswell: which extensions a CPU description lacks.
@Suite struct InstructionSetTests {
    private func cpuinfo(_ flags: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cpuinfo-\(UUID().uuidString)").path
        try "processor\t: 0\nmodel name\t: test\nflags\t\t: \(flags)\nbugs\t\t: none\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func namesTheRequiredExtensionsACPULacks() throws {
        let required = ["avx", "avx2", "fma", "bmi2"]
        let old = try cpuinfo("fpu sse sse2 ssse3 sse4_1 sse4_2 avx popcnt")
        #expect(InstructionSet.missing(required, cpuinfo: old) == ["avx2", "fma", "bmi2"])
        let haswell = try cpuinfo("fpu sse sse2 avx avx2 fma bmi1 bmi2 movbe f16c")
        #expect(InstructionSet.missing(required, cpuinfo: haswell).isEmpty)
    }

    @Test func neverBlocksAMachineItCannotInspect() {
        #expect(InstructionSet.missing(["avx2"], cpuinfo: "/nonexistent/cpuinfo").isEmpty)
        #expect(InstructionSet.missing([], cpuinfo: "/proc/cpuinfo").isEmpty)
    }

    /// This machine runs the tests, so it has whatever the build requires.
    @Test func theBuildingMachinePassesItsOwnCheck() {
        #expect(InstructionSet.missing().isEmpty)
    }
}
