import Engine

/// The session's random numbers are the engine's SplitMix64 generator, so a seed means the same stream
/// in the language and in the engine: the same cell with the same seed gives the same bytes.
public typealias SeededRandom = SeededGenerator

extension SeededGenerator {
    /// Uniform in [0, 1) with 53 bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
