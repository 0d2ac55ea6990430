/// Exact k nearest neighbours (squared Euclidean) by blocked GEMM: ‖q−r‖² = ‖q‖² + ‖r‖² − 2 q·r, the dot
/// products for a block of queries × a tile of references in one `sgemm`, then a bounded max-heap per query.
/// Deterministic: ties are broken by the smaller reference index, and the work split does not depend on
/// thread scheduling.
public struct NeighborGraph: Sendable, Equatable {
    /// Number of query points.
    public var count: Int
    /// Neighbours per point.
    public var k: Int
    /// count×k reference indices, nearest first.
    public var indices: [Int32]
    /// count×k squared Euclidean distances (≥ 0), ascending.
    public var squaredDistances: [Float]
}

public enum NearestNeighborsError: Error, Equatable, Sendable {
    case badShape(String)
    case tooFewPoints(k: Int, available: Int)
}

public enum NearestNeighbors {
    static let queryBlock = 512
    static let referenceTile = 8192

    /// k nearest neighbours of every row of x among the OTHER rows of x (self excluded).
    public static func exact(
        _ x: [Float], rows: Int, cols: Int, k: Int, interruption: Interruption? = nil
    ) throws -> NeighborGraph {
        try search(queries: x, queryRows: rows, reference: x, referenceRows: rows, cols: cols, k: k,
                   excludeSelf: true, interruption: interruption)
    }

    /// k nearest rows of `reference` for every row of `queries` (both row-major with `cols` columns).
    /// With excludeSelf, queries and reference must be the same set and query i never returns i.
    public static func search(
        queries: [Float], queryRows: Int, reference: [Float], referenceRows: Int, cols: Int, k: Int,
        excludeSelf: Bool = false, interruption: Interruption? = nil
    ) throws -> NeighborGraph {
        guard cols > 0, queries.count == queryRows * cols, reference.count == referenceRows * cols else {
            throw NearestNeighborsError.badShape("queries \(queries.count) for \(queryRows)×\(cols), reference \(reference.count) for \(referenceRows)×\(cols)")
        }
        let available = excludeSelf ? referenceRows - 1 : referenceRows
        guard k >= 1, k <= available else { throw NearestNeighborsError.tooFewPoints(k: k, available: available) }

        let qNorms = squaredNorms(queries, rows: queryRows, cols: cols)
        let rNorms = excludeSelf ? qNorms : squaredNorms(reference, rows: referenceRows, cols: cols)
        var heapD = [Float](repeating: .infinity, count: queryRows * k)
        var heapI = [Int32](repeating: Int32.max, count: queryRows * k)
        var dots = [Float](repeating: 0, count: queryBlock * referenceTile)

        try queries.withUnsafeBufferPointer { qp in
            try reference.withUnsafeBufferPointer { rp in
                try heapD.withUnsafeMutableBufferPointer { hd in
                    try heapI.withUnsafeMutableBufferPointer { hi in
                        try dots.withUnsafeMutableBufferPointer { dp in
                            let hdp = hd.baseAddress!, hip = hi.baseAddress!, dpp = dp.baseAddress!
                            for q0 in stride(from: 0, to: queryRows, by: queryBlock) {
                                try interruption?.check()
                                let qn = min(queryBlock, queryRows - q0)
                                for r0 in stride(from: 0, to: referenceRows, by: referenceTile) {
                                    let rn = min(referenceTile, referenceRows - r0)
                                    BLAS.sgemm(
                                        transB: true, m: qn, n: rn, k: cols, alpha: -2,
                                        a: qp.baseAddress! + q0 * cols, lda: cols,
                                        b: rp.baseAddress! + r0 * cols, ldb: cols, c: dpp, ldc: rn)
                                    EmbeddingParallel.forEachChunk(count: qn) { range in
                                        for qi in range {
                                            let q = q0 + qi
                                            let row = dpp + qi * rn
                                            let hD = hdp + q * k, hI = hip + q * k
                                            let qq = qNorms[q]
                                            for j in 0..<rn {
                                                let r = r0 + j
                                                if excludeSelf && r == q { continue }
                                                let d = max(0, qq + rNorms[r] + row[j])
                                                if d < hD[0] || (d == hD[0] && Int32(r) < hI[0]) {
                                                    heapReplaceTop(hD, hI, k, d, Int32(r))
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // Heaps → ascending order by (distance, index).
        heapD.withUnsafeMutableBufferPointer { hd in
            heapI.withUnsafeMutableBufferPointer { hi in
                let hdp = hd.baseAddress!, hip = hi.baseAddress!
                EmbeddingParallel.forEachChunk(count: queryRows) { range in
                    var pairs = [(Float, Int32)]()
                    pairs.reserveCapacity(k)
                    for q in range {
                        pairs.removeAll(keepingCapacity: true)
                        for t in 0..<k { pairs.append((hdp[q * k + t], hip[q * k + t])) }
                        pairs.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                        for t in 0..<k { hdp[q * k + t] = pairs[t].0; hip[q * k + t] = pairs[t].1 }
                    }
                }
            }
        }
        return NeighborGraph(count: queryRows, k: k, indices: heapI, squaredDistances: heapD)
    }

    static func squaredNorms(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows)
        x.withUnsafeBufferPointer { xp in
            for r in 0..<rows {
                var s: Float = 0
                let row = xp.baseAddress! + r * cols
                for c in 0..<cols { s += row[c] * row[c] }
                out[r] = s
            }
        }
        return out
    }

    /// Max-heap keyed by (distance, index): replace the root (the current worst) and sift down.
    @inline(__always)
    static func heapReplaceTop(_ d: UnsafeMutablePointer<Float>, _ i: UnsafeMutablePointer<Int32>, _ k: Int,
                               _ nd: Float, _ ni: Int32) {
        var pos = 0
        while true {
            let l = 2 * pos + 1
            if l >= k { break }
            var c = l
            let r = l + 1
            if r < k && (d[r] > d[l] || (d[r] == d[l] && i[r] > i[l])) { c = r }
            if d[c] > nd || (d[c] == nd && i[c] > ni) {
                d[pos] = d[c]; i[pos] = i[c]; pos = c
            } else { break }
        }
        d[pos] = nd; i[pos] = ni
    }
}
