/// Exact k nearest neighbours (squared Euclidean) by blocked GEMM: ‖q−r‖² = ‖q‖² + ‖r‖² − 2 q·r, the dot
/// products for a tile of queries × a tile of references in one `sgemm`, then a bounded max-heap per query.
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
    /// Rows per tile: one tile pair's block of distances (512² floats, 1 MB) stays in a core's L2 cache while
    /// it is filtered, and a 512×512×cols GEMM still runs near the BLAS kernel's peak.
    static let tile = 512

    /// k nearest neighbours of every row of x among the OTHER rows of x (self excluded).
    ///
    /// Only the upper triangle of the distance matrix is computed: the block of tiles (a, b), a < b, updates
    /// the candidate lists of a's rows (row by row) and of b's rows (column by column), which halves the GEMM.
    /// Blocks run in the rounds of a round-robin tournament (every tile in at most one block per round), the
    /// blocks of a round split between the cores with single-threaded GEMMs, so no two threads ever touch one
    /// list. The result does not depend on the order of the updates: each list ends as the k smallest
    /// (distance, index) pairs, a unique set, and every distance is computed once, by a fixed block.
    public static func exact(
        _ x: [Float], rows: Int, cols: Int, k: Int, interruption: Interruption? = nil
    ) throws -> NeighborGraph {
        guard cols > 0, x.count == rows * cols else {
            throw NearestNeighborsError.badShape("\(x.count) values for \(rows)×\(cols)")
        }
        guard k >= 1, k <= rows - 1 else { throw NearestNeighborsError.tooFewPoints(k: k, available: rows - 1) }
        let norms = squaredNorms(x, rows: rows, cols: cols)
        let lists = CandidateLists(count: rows, k: k)
        let tiles = (rows + tile - 1) / tile
        let workers = BatchParallel.workers(for: max(1, tiles))  // ≥ the workers of any round
        let scratch = BlockScratch(workers: workers)
        defer { scratch.deallocate() }
        try x.withUnsafeBufferPointer { xp in
            try norms.withUnsafeBufferPointer { np in
                let x0 = xp.baseAddress!, n0 = np.baseAddress!
                for round in tournamentRounds(tiles) {
                    try interruption?.check()
                    BatchParallel.run(round.count) { worker, range in
                        let dots = scratch.dots[worker], thresholds = scratch.thresholds[worker]
                        for (a, b) in round[range] {
                            let a0 = a * tile, an = min(tile, rows - a0)
                            let b0 = b * tile, bn = min(tile, rows - b0)
                            BLAS.sgemm(transB: true, m: an, n: bn, k: cols, alpha: -2, a: x0 + a0 * cols, lda: cols,
                                       b: x0 + b0 * cols, ldb: cols, c: dots, ldc: bn)
                            if a == b {
                                for i in 0..<an {
                                    lists.scanRow(dots + i * bn, count: bn, query: a0 + i, queryNorm: n0[a0 + i],
                                                  referenceBase: b0, referenceNorms: n0 + b0, skip: i)
                                }
                            } else {
                                lists.scanBlock(dots, rows: an, cols: bn, rowBase: a0, colBase: b0, norms: n0,
                                                thresholds: thresholds)
                            }
                        }
                    }
                }
            }
        }
        return lists.sortedGraph()
    }

    /// k nearest rows of `reference` for every row of `queries` (both row-major with `cols` columns).
    /// With excludeSelf, queries and reference must be the same set and query i never returns i.
    /// Query tiles are split between the cores (single-threaded GEMMs, each list updated by one thread only).
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
        let lists = CandidateLists(count: queryRows, k: k)
        let queryTiles = (queryRows + tile - 1) / tile
        let scratch = BlockScratch(workers: BatchParallel.workers(for: queryTiles))
        defer { scratch.deallocate() }
        try queries.withUnsafeBufferPointer { qp in
            try reference.withUnsafeBufferPointer { rp in
                try rNorms.withUnsafeBufferPointer { rnp in
                    try interruption?.check()
                    BatchParallel.run(queryTiles) { worker, range in
                        let dots = scratch.dots[worker]
                        for t in range {
                            if interruption?.isRequested == true { return }
                            let q0 = t * tile, qn = min(tile, queryRows - q0)
                            for r0 in stride(from: 0, to: referenceRows, by: tile) {
                                let rn = min(tile, referenceRows - r0)
                                BLAS.sgemm(transB: true, m: qn, n: rn, k: cols, alpha: -2,
                                           a: qp.baseAddress! + q0 * cols, lda: cols,
                                           b: rp.baseAddress! + r0 * cols, ldb: cols, c: dots, ldc: rn)
                                for i in 0..<qn {
                                    let q = q0 + i
                                    lists.scanRow(dots + i * rn, count: rn, query: q, queryNorm: qNorms[q],
                                                  referenceBase: r0, referenceNorms: rnp.baseAddress! + r0,
                                                  skip: excludeSelf ? q - r0 : -1)
                                }
                            }
                        }
                    }
                    try interruption?.check()
                }
            }
        }
        return lists.sortedGraph()
    }

    /// The rounds of a round-robin tournament over `tiles` tiles (circle method), then one round of the diagonal
    /// blocks: every unordered pair (a ≤ b) exactly once, and no tile twice in a round.
    static func tournamentRounds(_ tiles: Int) -> [[(Int, Int)]] {
        var rounds = [[(Int, Int)]]()
        let players = tiles + tiles % 2  // an odd count gets a bye (a player `tiles` that never plays)
        if players >= 2 {
            let ring = players - 1
            for r in 0..<ring {
                var round = [(Int, Int)]()
                let pairs = [(players - 1, r)] + (1..<(players / 2)).map { s in ((r + s) % ring, (r - s + ring) % ring) }
                for (u, v) in pairs where u < tiles && v < tiles { round.append((min(u, v), max(u, v))) }
                if !round.isEmpty { rounds.append(round) }
            }
        }
        rounds.append((0..<tiles).map { ($0, $0) })
        return rounds
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
}
