import Foundation
import Testing
import Engine

@Suite struct EmbeddingNeighborsTests {
    /// Brute force in Double with (distance, index) order.
    static func bruteForce(_ q: [Float], _ r: [Float], cols: Int, k: Int, excludeSelf: Bool) -> [[Int]] {
        let nq = q.count / cols, nr = r.count / cols
        return (0..<nq).map { i in
            var pairs = [(Double, Int)]()
            for j in 0..<nr where !(excludeSelf && j == i) {
                var d = 0.0
                for c in 0..<cols { let t = Double(q[i * cols + c]) - Double(r[j * cols + c]); d += t * t }
                pairs.append((d, j))
            }
            pairs.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            return pairs.prefix(k).map(\.1)
        }
    }

    @Test func selfNeighborsMatchBruteForce() throws {
        var rng = EmbeddingTestRNG(3)
        let n = 1_300, d = 13, k = 10  // > one query block and several tiles would need 8192+; blocks exercised
        let x = (0..<(n * d)).map { _ in Float(rng.gaussian()) }
        let graph = try NearestNeighbors.exact(x, rows: n, cols: d, k: k)
        let expected = Self.bruteForce(x, x, cols: d, k: k, excludeSelf: true)
        var mismatches = 0
        for i in 0..<n where graph.indices[(i * k)..<((i + 1) * k)].map(Int.init) != expected[i] { mismatches += 1 }
        #expect(mismatches == 0)
        for i in 0..<n {
            let j = expected[i][0]
            var dd = 0.0
            for c in 0..<d { let t = Double(x[i * d + c]) - Double(x[j * d + c]); dd += t * t }
            #expect(abs(Double(graph.squaredDistances[i * k]) - dd) <= 1e-4 * max(1, dd))
        }
    }

    @Test func queriesAgainstLargeReferenceSpanTiles() throws {
        var rng = EmbeddingTestRNG(5)
        let nr = 9_000, nq = 37, d = 4, k = 7  // reference larger than one 8,192-row tile
        let r = (0..<(nr * d)).map { _ in Float(rng.gaussian()) }
        let q = (0..<(nq * d)).map { _ in Float(rng.gaussian()) }
        let graph = try NearestNeighbors.search(queries: q, queryRows: nq, reference: r, referenceRows: nr, cols: d, k: k)
        let expected = Self.bruteForce(q, r, cols: d, k: k, excludeSelf: false)
        for i in 0..<nq { #expect(graph.indices[(i * k)..<((i + 1) * k)].map(Int.init) == expected[i]) }
    }

    @Test func rejectsTooManyNeighbors() {
        #expect(throws: NearestNeighborsError.tooFewPoints(k: 3, available: 2)) {
            try NearestNeighbors.exact([0, 1, 2], rows: 3, cols: 1, k: 3)
        }
    }
}
