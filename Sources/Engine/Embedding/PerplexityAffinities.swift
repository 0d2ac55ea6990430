import Foundation

/// Symmetric sparse input affinities P in CSR form: row i's neighbours are columns[rowStart[i]..<rowStart[i+1]]
/// (ascending), with probabilities values[...]; all values sum to 1.
public struct SparseAffinities: Sendable, Equatable {
    public var count: Int
    public var rowStart: [Int]
    public var columns: [Int32]
    public var values: [Double]

    public init(count: Int, rowStart: [Int], columns: [Int32], values: [Double]) {
        self.count = count; self.rowStart = rowStart; self.columns = columns; self.values = values
    }
}

/// openTSNE's perplexity calibration: for each point a Gaussian precision τ found by bisection on the entropy
/// over its k exact neighbours (p_j ∝ √τ · exp(−τ d_j²/2), tolerance 1e-8, ≤ 200 steps), then
/// P = (P_cond + P_condᵀ)/2 normalised to sum 1.
public enum PerplexityAffinities {
    public static func compute(neighbors graph: NeighborGraph, perplexity: Double) -> SparseAffinities {
        // Without an interruption nothing can throw.
        try! compute(neighbors: graph, perplexity: perplexity, interruption: nil)
    }

    /// As above, polling `interruption` every 64 rows of the calibration (up to 200 bisection steps of k
    /// exponentials per row: seconds for tens of thousands of points) and before symmetrising.
    /// - Throws: `Interrupted` when a stop was requested.
    public static func compute(
        neighbors graph: NeighborGraph, perplexity: Double, interruption: Interruption?
    ) throws -> SparseAffinities {
        let n = graph.count, k = graph.k
        var conditional = [Double](repeating: 0, count: n * k)
        let target = log(perplexity)
        conditional.withUnsafeMutableBufferPointer { cp in
            let out = cp.baseAddress!
            graph.squaredDistances.withUnsafeBufferPointer { dp in
                let d2 = dp.baseAddress!
                EmbeddingParallel.forEachChunk(count: n) { range in
                    var p = [Double](repeating: 0, count: k)
                    for i in range {
                        if (i - range.lowerBound) % 64 == 0, interruption?.isRequested == true { return }
                        calibrateRow(d2 + i * k, k: k, targetEntropy: target, into: &p)
                        for j in 0..<k { out[i * k + j] = p[j] }
                    }
                }
            }
        }
        try interruption?.check()
        return symmetrize(graph: graph, conditional: conditional)
    }

    static func calibrateRow(_ d2: UnsafePointer<Float>, k: Int, targetEntropy: Double, into p: inout [Double]) {
        var tau = 1.0, minTau = -Double.infinity, maxTau = Double.infinity
        var sum = 0.0
        for _ in 0..<200 {
            sum = 0
            let sqrtTau = tau.squareRoot()
            for j in 0..<k {
                p[j] = sqrtTau * exp(-Double(d2[j]) * tau * 0.5)
                sum += p[j]
            }
            sum += Double.ulpOfOne
            var sumPD = 0.0
            for j in 0..<k { sumPD += p[j] / sum * Double(d2[j]) }
            let entropy = tau * 0.5 * sumPD + log(sum) - log(tau) * 0.5
            let diff = entropy - targetEntropy
            if abs(diff) <= 1e-8 { break }
            if diff > 0 {
                minTau = tau
                tau = maxTau.isInfinite ? tau * 2 : (tau + maxTau) * 0.5
            } else {
                maxTau = tau
                tau = minTau.isInfinite ? tau / 2 : (tau + minTau) * 0.5
            }
        }
        var total = 0.0
        for j in 0..<k { total += p[j] }
        for j in 0..<k { p[j] /= total }
    }

    /// (C + Cᵀ)/2 normalised to sum 1, rows sorted by column, duplicates merged.
    static func symmetrize(graph: NeighborGraph, conditional: [Double]) -> SparseAffinities {
        let n = graph.count, k = graph.k
        var counts = [Int](repeating: 0, count: n + 1)
        for i in 0..<n {
            counts[i] += k
            for t in 0..<k { counts[Int(graph.indices[i * k + t])] += 1 }
        }
        var start = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { start[i + 1] = start[i] + counts[i] }
        var fill = start
        var cols = [Int32](repeating: 0, count: start[n])
        var vals = [Double](repeating: 0, count: start[n])
        for i in 0..<n {
            for t in 0..<k {
                let j = Int(graph.indices[i * k + t]), v = conditional[i * k + t] * 0.5
                cols[fill[i]] = Int32(j); vals[fill[i]] = v; fill[i] += 1
                cols[fill[j]] = Int32(i); vals[fill[j]] = v; fill[j] += 1
            }
        }
        // Sort each row by column and merge duplicates.
        var rowStart = [Int](repeating: 0, count: n + 1)
        var outCols = [Int32](), outVals = [Double]()
        outCols.reserveCapacity(start[n]); outVals.reserveCapacity(start[n])
        var order = [Int]()
        for i in 0..<n {
            order = Array(start[i]..<start[i + 1])
            order.sort { cols[$0] < cols[$1] || (cols[$0] == cols[$1] && $0 < $1) }
            var last: Int32 = -1
            for e in order {
                if cols[e] == last { outVals[outVals.count - 1] += vals[e] } else {
                    outCols.append(cols[e]); outVals.append(vals[e]); last = cols[e]
                }
            }
            rowStart[i + 1] = outCols.count
        }
        var total = 0.0
        for v in outVals { total += v }
        for e in 0..<outVals.count { outVals[e] /= total }
        return SparseAffinities(count: n, rowStart: rowStart, columns: outCols, values: outVals)
    }
}
