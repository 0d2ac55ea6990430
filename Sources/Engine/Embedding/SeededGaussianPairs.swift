import Foundation

/// The embedding code's random numbers come from the engine's one SplitMix64 generator. These draws keep the
/// bytes of the t-SNE initialisations committed before the embedding code shared it (a seed means the same
/// embedding forever): a stream started at `seed + golden ratio`, uniforms at bin centres, Box–Muller pairs.
extension SeededGenerator {
    /// The generator t-SNE's initialisation draws from for `seed`.
    static func embedding(seed: UInt64) -> SeededGenerator { SeededGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15) }

    /// Uniform in (0, 1): the centre of one of 2⁵³ equal bins, never 0 (safe for log).
    mutating func nextOpenUnitInterval() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }

    /// Two independent standard normals by Box–Muller (the cosine one first).
    mutating func nextGaussianPair() -> (Double, Double) {
        let r = (-2 * log(nextOpenUnitInterval())).squareRoot(), a = 2 * Double.pi * nextOpenUnitInterval()
        return (r * cos(a), r * sin(a))
    }

    /// `count` standard normals, in pairs (an odd count drops the last pair's second value).
    mutating func gaussians(_ count: Int) -> [Double] {
        var out = [Double]()
        out.reserveCapacity(count + 1)
        while out.count < count { let (a, b) = nextGaussianPair(); out.append(a); out.append(b) }
        return Array(out.prefix(count))
    }
}
