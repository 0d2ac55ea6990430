import Foundation

/// Seeded generator for embedding tests (SplitMix64), uniform and Gaussian draws.
struct EmbeddingTestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }
    mutating func gaussian() -> Double {
        (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
    }
}

enum EmbeddingFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let oracleDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../tools/oracle/embedding").standardized

    static func json(_ name: String, in dir: URL = directory) throws -> [String: Any] {
        let data = try Data(contentsOf: dir.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// `count` points in `clusters` well-separated Gaussian blobs in `dims` dimensions; returns rows and labels.
    static func blobs(count: Int, clusters: Int, dims: Int, seed: UInt64, spread: Double = 1, separation: Double = 12)
        -> (x: [Float], labels: [Int])
    {
        var rng = EmbeddingTestRNG(seed)
        let centres = (0..<clusters).map { _ in (0..<dims).map { _ in separation * rng.gaussian() } }
        var x = [Float](), labels = [Int]()
        for i in 0..<count {
            let c = i % clusters
            labels.append(c)
            for d in 0..<dims { x.append(Float(centres[c][d] + spread * rng.gaussian())) }
        }
        return (x, labels)
    }
}
