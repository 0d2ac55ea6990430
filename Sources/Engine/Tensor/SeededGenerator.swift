import Foundation

/// A deterministic 64-bit generator (SplitMix64): the same seed gives the same stream on every platform
/// and Swift version, which the standard library's `SystemRandomNumberGenerator` cannot promise.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// A second normal sample left over from the last Box–Muller pair.
    private var spareNormal: Float?

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 bits of precision (exactly representable in float32).
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [low, high).
    public mutating func nextUniform(in low: Float, _ high: Float) -> Float {
        low + (high - low) * nextUniform()
    }

    /// Standard normal sample (Box–Muller in Double, both values of each pair used).
    public mutating func nextNormal() -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        // u1 in (0, 1] so log never sees 0.
        let u1 = (Double(next() >> 11) + 1) * (1.0 / 9_007_199_254_740_992.0)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let radius = (-2 * _log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        spareNormal = Float(radius * _sin(angle))
        return Float(radius * _cos(angle))
    }

    /// Uniform integer in 0..<upperBound (unbiased, by rejection).
    public mutating func nextInt(below upperBound: Int) -> Int {
        precondition(upperBound > 0)
        return Int(truncatingIfNeeded: next(upperBound: UInt64(upperBound)))
    }
}

@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Foundation.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }

/// How `Tensor.random` draws each element.
public enum Distribution: Sendable, Equatable {
    /// Uniform in [low, high).
    case uniform(low: Float, high: Float)
    /// Normal with the given mean and standard deviation.
    case normal(mean: Float, std: Float)
}

extension Tensor {
    /// A tensor of `shape` filled from `generator`, element by element in row-major order.
    public static func random(
        _ shape: [Int], _ distribution: Distribution = .normal(mean: 0, std: 1),
        using generator: inout SeededGenerator
    ) -> Tensor {
        var result = Tensor(uninitializedShape: shape)
        result.withUnsafeMutableBufferPointer { out in
            switch distribution {
            case .uniform(let low, let high):
                for i in 0..<out.count { out[i] = generator.nextUniform(in: low, high) }
            case .normal(let mean, let std):
                for i in 0..<out.count { out[i] = mean + std * generator.nextNormal() }
            }
        }
        return result
    }

    /// A tensor of `shape` drawn from a fresh generator seeded with `seed`.
    public static func random(
        _ shape: [Int], _ distribution: Distribution = .normal(mean: 0, std: 1),
        seed: UInt64
    ) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return random(shape, distribution, using: &generator)
    }
}
