/// The k best (distance, index) candidates of every query during an exact k-NN search: one bounded max-heap
/// per query (its root is the current k-th best, the admission threshold), filled from blocks of
/// −2·q·r products by `scanRow`/`scanBlock`, which first compare sixteen candidates at once against the threshold
/// (almost all are rejected once the lists are warm) and only then touch the heap.
/// Pointers, not arrays: the lists of different queries are updated from different threads (each query's list by
/// one thread at a time, which the callers guarantee).
struct CandidateLists: @unchecked Sendable {
    let count: Int, k: Int
    let distances: UnsafeMutablePointer<Float>
    let indices: UnsafeMutablePointer<Int32>

    init(count: Int, k: Int) {
        self.count = count; self.k = k
        distances = .allocate(capacity: count * k)
        distances.initialize(repeating: .infinity, count: count * k)
        indices = .allocate(capacity: count * k)
        indices.initialize(repeating: Int32.max, count: count * k)
    }

    /// ‖q − r‖² from the norms and the product −2·q·r, clamped at 0 (rounding can make it slightly negative).
    @inline(__always) static func distance(_ qNorm: Float, _ rNorm: Float, _ dot: Float) -> Float {
        let d = qNorm + rNorm + dot
        return d < 0 ? 0 : d
    }

    /// Lanes per filter step.
    static let lanes = 16

    /// Turns `lanes` products into distances in place, NOT yet clamped (against a threshold ≥ 0 an unclamped
    /// distance passes exactly when its clamped value does; the few that pass are clamped one by one), and
    /// tells whether any passes `threshold` or its column's threshold. Written as sign-bit arithmetic on a fixed
    /// count so the compiler vectorises it (Swift's SIMD comparisons compile to per-lane loops here).
    @inline(__always) static func distancesPass(
        _ dots: UnsafeMutablePointer<Float>, _ qNorm: Float, _ rNorms: UnsafePointer<Float>, _ threshold: Float,
        _ colThresholds: UnsafePointer<Float>
    ) -> Bool {
        var allFail: UInt32 = 0xFFFF_FFFF
        for l in 0..<lanes {
            let d = qNorm + rNorms[l] + dots[l]
            dots[l] = d
            allFail &= (threshold - d).bitPattern & (colThresholds[l] - d).bitPattern  // sign set: d above both
        }
        return allFail >> 31 == 0
    }

    @inline(__always) static func distancesPass(
        _ dots: UnsafeMutablePointer<Float>, _ qNorm: Float, _ rNorms: UnsafePointer<Float>, _ threshold: Float
    ) -> Bool {
        var allFail: UInt32 = 0xFFFF_FFFF
        for l in 0..<lanes {
            let d = qNorm + rNorms[l] + dots[l]
            dots[l] = d
            allFail &= (threshold - d).bitPattern
        }
        return allFail >> 31 == 0
    }

    @inline(__always) static func clamped(_ d: Float) -> Float { d < 0 ? 0 : d }

    /// Offers (d, index) to query q's list; returns the list's new threshold.
    @inline(__always) @discardableResult
    func offer(_ q: Int, _ d: Float, _ index: Int32) -> Float {
        let hd = distances + q * k, hi = indices + q * k
        if d < hd[0] || (d == hd[0] && index < hi[0]) { Self.replaceTop(hd, hi, k, d, index) }
        return hd[0]
    }

    /// Query q against the `count` references whose −2·q·r are in `dots` (reference j is referenceBase + j,
    /// its norm referenceNorms[j]); `skip` (a local j, or −1) is q itself. Overwrites `dots`.
    func scanRow(_ dots: UnsafeMutablePointer<Float>, count: Int, query q: Int, queryNorm: Float, referenceBase: Int,
                 referenceNorms: UnsafePointer<Float>, skip: Int) {
        var threshold = distances[q * k]
        var j = 0
        while j + Self.lanes <= count {
            if Self.distancesPass(dots + j, queryNorm, referenceNorms + j, threshold) {
                for l in j..<(j + Self.lanes) where dots[l] <= threshold && l != skip {
                    threshold = offer(q, Self.clamped(dots[l]), Int32(referenceBase + l))
                }
            }
            j += Self.lanes
        }
        while j < count {
            let d = Self.distance(queryNorm, referenceNorms[j], dots[j])
            if d <= threshold && j != skip { threshold = offer(q, d, Int32(referenceBase + j)) }
            j += 1
        }
    }

    /// The block of rows rowBase..<rowBase+rows against columns colBase..<colBase+cols (disjoint sets), −2·x·y
    /// in `dots` (row stride cols): each distance is offered to the row's list AND to the column's list.
    /// `thresholds` (≥ cols floats) caches the columns' thresholds so the column test is vectorised too.
    /// Overwrites `dots`.
    func scanBlock(_ dots: UnsafeMutablePointer<Float>, rows: Int, cols: Int, rowBase: Int, colBase: Int,
                   norms: UnsafePointer<Float>, thresholds: UnsafeMutablePointer<Float>) {
        for j in 0..<cols { thresholds[j] = distances[(colBase + j) * k] }
        let colNorms = norms + colBase
        for i in 0..<rows {
            let q = rowBase + i, qNorm = norms[q], row = dots + i * cols
            var threshold = distances[q * k]
            var j = 0
            while j + Self.lanes <= cols {
                if Self.distancesPass(row + j, qNorm, colNorms + j, threshold, thresholds + j) {
                    for l in j..<(j + Self.lanes) {
                        let d = row[l]
                        if d <= threshold { threshold = offer(q, Self.clamped(d), Int32(colBase + l)) }
                        if d <= thresholds[l] { thresholds[l] = offer(colBase + l, Self.clamped(d), Int32(q)) }
                    }
                }
                j += Self.lanes
            }
            while j < cols {
                let d = Self.distance(qNorm, colNorms[j], row[j])
                if d <= threshold { threshold = offer(q, d, Int32(colBase + j)) }
                if d <= thresholds[j] { thresholds[j] = offer(colBase + j, d, Int32(q)) }
                j += 1
            }
        }
    }

    /// Max-heap keyed by (distance, index): replace the root (the current worst) and sift down.
    @inline(__always)
    static func replaceTop(_ d: UnsafeMutablePointer<Float>, _ i: UnsafeMutablePointer<Int32>, _ k: Int,
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

    /// Each list in ascending (distance, index) order, as a graph; frees the lists.
    func sortedGraph() -> NeighborGraph {
        let k = self.k, hd = distances, hi = indices
        EmbeddingParallel.forEachChunk(count: count) { range in
            var pairs = [(Float, Int32)]()
            pairs.reserveCapacity(k)
            for q in range {
                pairs.removeAll(keepingCapacity: true)
                for t in 0..<k { pairs.append((hd[q * k + t], hi[q * k + t])) }
                pairs.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                for t in 0..<k { hd[q * k + t] = pairs[t].0; hi[q * k + t] = pairs[t].1 }
            }
        }
        let graph = NeighborGraph(count: count, k: k, indices: Array(UnsafeBufferPointer(start: hi, count: count * k)),
                                  squaredDistances: Array(UnsafeBufferPointer(start: hd, count: count * k)))
        distances.deallocate(); indices.deallocate()
        return graph
    }
}

/// Per-worker buffers of a blocked k-NN search: a tile×tile block of products and a tile of column thresholds.
final class BlockScratch: @unchecked Sendable {
    let dots: [UnsafeMutablePointer<Float>]
    let thresholds: [UnsafeMutablePointer<Float>]
    init(workers: Int) {
        dots = (0..<workers).map { _ in .allocate(capacity: NearestNeighbors.tile * NearestNeighbors.tile) }
        thresholds = (0..<workers).map { _ in .allocate(capacity: NearestNeighbors.tile) }
    }
    func deallocate() {
        for p in dots { p.deallocate() }
        for p in thresholds { p.deallocate() }
    }
}
