import Foundation
import Testing
import Engine

@Suite struct EmbeddingAssignmentTests {
    static func bruteForce(_ cost: [Double], _ n: Int, _ m: Int) -> Double {
        var best = Double.infinity
        var used = [Bool](repeating: false, count: m)
        func go(_ i: Int, _ acc: Double) {
            if acc >= best { return }
            if i == n { best = acc; return }
            for j in 0..<m where !used[j] {
                used[j] = true; go(i + 1, acc + cost[i * m + j]); used[j] = false
            }
        }
        go(0, 0)
        return best
    }

    @Test(arguments: Array(1...8))
    func optimalAgainstBruteForce(n: Int) throws {
        var rng = EmbeddingTestRNG(UInt64(100 + n))
        for trial in 0..<20 {
            let m = n + trial % 3  // square and rectangular
            // Integer costs with ties, and continuous costs.
            let cost = (0..<(n * m)).map { _ in trial % 2 == 0 ? Double(Int(rng.uniform() * 5)) : rng.uniform() }
            let (a, total) = try LinearAssignment.solve(cost: cost, rows: n, cols: m)
            #expect(Set(a).count == n && a.allSatisfy { $0 >= 0 && $0 < m })
            #expect(abs(total - Self.bruteForce(cost, n, m)) < 1e-12)
        }
    }

    @Test func gridOf1024MatchesScipy() throws {
        let ref = try EmbeddingFixtures.json("embedding_lap1024.json")
        let points = (ref["points"] as! [[Double]]).flatMap { $0 }
        let optimal = ref["optimal_cost"] as! Double
        var cost = [Double](repeating: 0, count: 1024 * 1024)
        for i in 0..<1024 {
            for c in 0..<1024 {
                let dx = points[2 * i] - (Double(c % 32) + 0.5), dy = points[2 * i + 1] - (Double(c / 32) + 0.5)
                cost[i * 1024 + c] = dx * dx + dy * dy
            }
        }
        let (a, total) = try LinearAssignment.solve(cost: cost, rows: 1024, cols: 1024)
        #expect(Set(a).count == 1024)
        #expect(abs(total - optimal) <= 1e-9 * optimal, "JV \(total) vs scipy \(optimal)")
    }

    @Test func gridLayoutExactAndSplitAgree() throws {
        var rng = EmbeddingTestRNG(77)
        let n = 600
        let pts = (0..<(2 * n)).map { _ in Float(rng.gaussian()) }
        let exact = try GridLayout.assign(points: pts, cols: 25, exact: true)
        let split = try GridLayout.assign(points: pts, cols: 25, exact: false, pieceSize: 100)
        for g in [exact, split] {
            #expect(g.rows == 24 && Set(g.cellOfPoint).count == n && g.cellOfPoint.allSatisfy { $0 >= 0 && $0 < 25 * 24 })
        }
        #expect(split.cost >= exact.cost - 1e-9)
        #expect(split.lowerBound <= exact.cost + 1e-9)
        #expect(split.ratio >= 1 && split.ratio < 3)
        #expect(split.cost < 1.5 * exact.cost, "split \(split.cost) vs exact \(exact.cost)")
    }

    @Test func rejectsBadInput() {
        #expect(throws: LinearAssignmentError.badShape("3 costs for 2×1 (need rows ≤ cols)")) {
            try LinearAssignment.solve(cost: [1, 2, 3], rows: 2, cols: 1)
        }
        #expect(throws: LinearAssignmentError.nonFiniteCost) {
            try LinearAssignment.solve(cost: [1, .nan, 3, 4], rows: 2, cols: 2)
        }
        #expect(throws: GridAssignmentError.tooFewCells(points: 5, cells: 4)) {
            try GridLayout.assign(points: [Float](repeating: 0, count: 10), cols: 2, rows: 2)
        }
    }
}
