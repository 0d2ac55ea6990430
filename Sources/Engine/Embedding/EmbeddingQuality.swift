/// Quality measures of a low-dimensional embedding, defined exactly as in tools/oracle/embedding/common.py
/// so Swift and openTSNE figures are comparable.
public enum EmbeddingQuality {
    /// k-NN classification accuracy with `folds` folds by index (fold = i mod folds): each point is classified
    /// by majority vote of its k nearest points (by (distance, index)) outside its fold; ties → smallest label.
    public static func knnAccuracy(_ x: [Float], rows: Int, cols: Int, labels: [Int], k: Int = 5, folds: Int = 5) -> Double {
        precondition(labels.count == rows && x.count == rows * cols && k >= 1 && folds >= 2)
        let norms = NearestNeighbors.squaredNorms(x, rows: rows, cols: cols)
        let maxLabel = (labels.max() ?? 0) + 1
        let correct = EmbeddingParallel.mapChunks(count: rows) { range -> Int in
            var good = 0
            var bestD = [Double](repeating: .infinity, count: k), bestI = [Int](repeating: Int.max, count: k)
            var votes = [Int](repeating: 0, count: maxLabel)
            for i in range {
                for t in 0..<k { bestD[t] = .infinity; bestI[t] = Int.max }
                for j in 0..<rows where j % folds != i % folds {
                    var dot = 0.0
                    for c in 0..<cols { dot += Double(x[i * cols + c]) * Double(x[j * cols + c]) }
                    let d = Double(norms[i]) + Double(norms[j]) - 2 * dot
                    if d < bestD[k - 1] || (d == bestD[k - 1] && j < bestI[k - 1]) {
                        var t = k - 1
                        while t > 0 && (bestD[t - 1] > d || (bestD[t - 1] == d && bestI[t - 1] > j)) {
                            bestD[t] = bestD[t - 1]; bestI[t] = bestI[t - 1]; t -= 1
                        }
                        bestD[t] = d; bestI[t] = j
                    }
                }
                for t in 0..<maxLabel { votes[t] = 0 }
                for t in 0..<k { votes[labels[bestI[t]]] += 1 }
                var winner = 0
                for t in 1..<maxLabel where votes[t] > votes[winner] { winner = t }
                if winner == labels[i] { good += 1 }
            }
            return good
        }
        return Double(correct.reduce(0, +)) / Double(rows)
    }

    /// Mean fraction of each point's k nearest neighbours in `high` that are also among its k nearest in `low`.
    public static func neighborPreservation(high: NeighborGraph, low: NeighborGraph) -> Double {
        precondition(high.count == low.count && high.k == low.k)
        let k = high.k
        var total = 0
        for i in 0..<high.count {
            let a = Set(high.indices[(i * k)..<((i + 1) * k)])
            for t in 0..<k where a.contains(low.indices[i * k + t]) { total += 1 }
        }
        return Double(total) / Double(high.count * k)
    }

    /// Trustworthiness (Venna & Kaski): 1 − 2/(n k (2n − 3k − 1)) Σ_i Σ_{j ∈ U_k(i)} (r(i, j) − k), U_k(i) the
    /// low-dimensional k-NN of i that are not high-dimensional k-NN, r the rank in the high-dimensional order.
    public static func trustworthiness(high x: [Float], rows: Int, cols: Int, highNeighbors: NeighborGraph,
                                       lowNeighbors: NeighborGraph) -> Double {
        let k = highNeighbors.k
        let norms = NearestNeighbors.squaredNorms(x, rows: rows, cols: cols)
        let parts = EmbeddingParallel.mapChunks(count: rows) { range -> Double in
            var sum = 0.0
            var dist = [Double](repeating: 0, count: rows)
            for i in range {
                let near = Set(highNeighbors.indices[(i * k)..<((i + 1) * k)])
                let extra = (0..<k).map { Int(lowNeighbors.indices[i * k + $0]) }.filter { !near.contains(Int32($0)) }
                if extra.isEmpty { continue }
                for j in 0..<rows {
                    var dot = 0.0
                    for c in 0..<cols { dot += Double(x[i * cols + c]) * Double(x[j * cols + c]) }
                    dist[j] = Double(norms[i]) + Double(norms[j]) - 2 * dot
                }
                dist[i] = -.infinity
                for j in extra {
                    var closer = 0
                    for t in 0..<rows where dist[t] < dist[j] { closer += 1 }
                    sum += Double(closer - 1 + 1 - k)  // rank among others = (closer excluding self) + 1
                }
            }
            return sum
        }
        let n = Double(rows), kk = Double(k)
        return 1 - 2 / (n * kk * (2 * n - 3 * kk - 1)) * parts.reduce(0, +)
    }
}
