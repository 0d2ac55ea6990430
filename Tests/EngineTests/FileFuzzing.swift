import Foundation
import Testing

@testable import Engine

/// Seeded mutation fuzzing of file readers: every mutant of a valid file must end in a value or in one of the
/// reader's typed errors — never a trap, a hang or a huge allocation. Shared by the per-format fuzz suites.
///
/// Each run mixes generic mutations (bit flips, truncation, random byte runs, inserted garbage) with the
/// format's own header edits (huge dimensions, lying sizes, wrong dtypes), and truncates every seed file at
/// evenly spaced offsets. The same seed gives the same mutants, so a failure names a reproducible case.
enum FileFuzzing {
    /// A structure-aware mutation: edits a (copy of a) valid file in place.
    typealias Edit = (inout [UInt8], inout SplitMix) -> Void

    /// How the mutants of one format fared.
    struct Tally: CustomStringConvertible {
        var format: String
        var cases = 0
        var accepted = 0
        var rejected = 0
        /// Error type (or kind) → count, for the report.
        var errors: [String: Int] = [:]
        var slowestSeconds = 0.0

        var description: String {
            let kinds = errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "\(format): \(cases) cases, \(accepted) loaded, \(rejected) rejected (\(kinds)); "
                + "slowest \(String(format: "%.3f", slowestSeconds)) s"
        }
    }

    /// One generic mutation of `original` (never empty-input special cases: truncation may give 0 bytes).
    static func mutate(_ original: [UInt8], rng: inout SplitMix) -> [UInt8] {
        var data = original
        guard !data.isEmpty else { return data }
        switch rng.next() % 5 {
        case 0:  // flip a few bits
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                data[Int(rng.next() % UInt64(data.count))] ^= UInt8(1) << (rng.next() % 8)
            }
        case 1:  // truncate
            data = Array(data.prefix(Int(rng.next() % UInt64(data.count))))
        case 2:  // overwrite a run with random bytes
            let start = Int(rng.next() % UInt64(data.count))
            for i in start..<min(data.count, start + 1 + Int(rng.next() % 16)) {
                data[i] = UInt8(truncatingIfNeeded: rng.next())
            }
        case 3:  // insert garbage
            let at = Int(rng.next() % UInt64(data.count))
            data.insert(
                contentsOf: (0..<(1 + Int(rng.next() % 32))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        default:  // 0x00 / 0xFF bytes: the extremes of length and size fields
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                data[Int(rng.next() % UInt64(data.count))] = rng.next() % 2 == 0 ? 0xFF : 0x00
            }
        }
        return data
    }

    /// Runs `cases` seeded mutants (half generic, half `edits` when given, some stacked) of each seed file, plus
    /// truncations of each seed at `truncations` evenly spaced offsets, through `load`.
    /// `expected(error)` says whether an error is one the reader is allowed to throw.
    static func run(
        _ format: String, seeds: [[UInt8]], cases: Int, seed: UInt64, edits: [Edit] = [],
        truncations: Int = 48, expected: (any Error) -> String?, load: ([UInt8]) throws -> Void
    ) -> Tally {
        var tally = Tally(format: format)
        var rng = SplitMix(seed: seed)
        func attempt(_ data: [UInt8]) {
            tally.cases += 1
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                try load(data)
                tally.accepted += 1
            } catch {
                if let kind = expected(error) {
                    tally.rejected += 1
                    tally.errors[kind, default: 0] += 1
                } else {
                    Issue.record("\(format): unexpected error \(type(of: error)): \(error)")
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            tally.slowestSeconds = max(tally.slowestSeconds, seconds)
        }
        for original in seeds {
            let step = max(1, original.count / truncations)
            for cut in stride(from: 0, to: original.count, by: step) { attempt(Array(original.prefix(cut))) }
            for _ in 0..<cases {
                var data = original
                let rounds = 1 + Int(rng.next() % 3 == 0 ? 1 : 0)
                for _ in 0..<rounds {
                    if !edits.isEmpty && rng.next() % 2 == 0 {
                        edits[Int(rng.next() % UInt64(edits.count))](&data, &rng)
                    } else {
                        data = mutate(data, rng: &rng)
                    }
                }
                attempt(data)
            }
        }
        print("fuzz \(tally)")
        return tally
    }

    /// The bytes of a fixture under `Fixtures/<folder>/<name>`.
    static func fixture(_ folder: String, _ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(folder)/\(name)")
        return [UInt8](try Data(contentsOf: url))
    }

    // MARK: Byte helpers for header edits

    /// Writes `value` big-endian over `width` bytes at `offset` (ignored when out of range).
    static func putBigEndian(_ value: UInt64, width: Int, at offset: Int, in data: inout [UInt8]) {
        guard offset >= 0, offset + width <= data.count else { return }
        for i in 0..<width { data[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(width - 1 - i))) }
    }

    /// Writes `value` little-endian over `width` bytes at `offset` (ignored when out of range).
    static func putLittleEndian(_ value: UInt64, width: Int, at offset: Int, in data: inout [UInt8]) {
        guard offset >= 0, offset + width <= data.count else { return }
        for i in 0..<width { data[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    /// Every offset where `pattern` starts.
    static func offsets(of pattern: [UInt8], in data: [UInt8]) -> [Int] {
        guard data.count >= pattern.count else { return [] }
        return (0...(data.count - pattern.count)).filter { data[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }

    /// Size-field values that break naive arithmetic: zero, one, all ones, sign bits, just past limits.
    static let nastySizes: [UInt64] = [
        0, 1, 0x7F, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000,
        0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, UInt64.max, UInt64.max - 7,
    ]

    static func nastySize(_ rng: inout SplitMix) -> UInt64 { nastySizes[Int(rng.next() % UInt64(nastySizes.count))] }

    /// Replaces the first occurrence of `old` by `new` in text-like bytes (headers of .npy and safetensors).
    static func replace(_ old: String, with new: String, in data: inout [UInt8]) {
        let pattern = Array(old.utf8)
        guard let at = offsets(of: pattern, in: data).first else { return }
        data.replaceSubrange(at..<(at + pattern.count), with: Array(new.utf8))
    }
}

extension SplitMix: RandomNumberGenerator {}
