/// Exact dense linear assignment by Jonker–Volgenant (1987): column reduction, reduction transfer, two rounds
/// of augmenting row reduction, then shortest augmenting paths (Dijkstra on reduced costs). O(n³) worst case,
/// far less in practice.
public enum LinearAssignmentError: Error, Equatable, Sendable {
    case badShape(String)
    case nonFiniteCost
}

public enum LinearAssignment {
    /// Minimises Σ_i cost[i, a(i)] over injective a: rows → columns. cost is row-major rows×cols, rows ≤ cols.
    /// - Returns: the column of each row and the total cost.
    public static func solve(cost: [Double], rows n: Int, cols m: Int) throws -> (assignment: [Int], cost: Double) {
        guard n >= 0, m >= n, cost.count == n * m else {
            throw LinearAssignmentError.badShape("\(cost.count) costs for \(n)×\(m) (need rows ≤ cols)")
        }
        guard cost.allSatisfy({ $0.isFinite }) else { throw LinearAssignmentError.nonFiniteCost }
        if n == 0 { return ([], 0) }
        // Square it with zero-cost dummy rows.
        var square = cost
        if m > n { square += [Double](repeating: 0, count: (m - n) * m) }
        let rowsol = square.withUnsafeBufferPointer { lapjv($0.baseAddress!, m) }
        var total = 0.0
        let a = (0..<n).map { rowsol[$0] }
        for i in 0..<n { total += cost[i * m + a[i]] }
        return (a, total)
    }

    /// The JV algorithm on a square dim×dim row-major matrix; returns rowsol (column of each row).
    /// Every pass reads the cost matrix row by row (the column reduction too), and the working arrays are raw
    /// buffers: this is the hot loop of `tsne_grid`.
    static func lapjv(_ c: UnsafePointer<Double>, _ dim: Int) -> [Int] {
        var rowsolArray = [Int](repeating: -1, count: dim)
        rowsolArray.withUnsafeMutableBufferPointer { rowsolBuffer in
            let rowsol = rowsolBuffer.baseAddress!
            let ints = UnsafeMutablePointer<Int>.allocate(capacity: 5 * dim)
            let doubles = UnsafeMutablePointer<Double>.allocate(capacity: 2 * dim)
            defer { ints.deallocate(); doubles.deallocate() }
            let colsol = ints, free = ints + dim, matches = ints + 2 * dim, pred = ints + 3 * dim, collist = ints + 4 * dim
            let v = doubles, d = doubles + dim
            colsol.initialize(repeating: -1, count: dim)
            matches.initialize(repeating: 0, count: dim)
            solve(c, dim, rowsol: rowsol, colsol: colsol, v: v, free: free, matches: matches, d: d, pred: pred,
                  collist: collist)
        }
        return rowsolArray
    }

    private static func solve(
        _ c: UnsafePointer<Double>, _ dim: Int, rowsol: UnsafeMutablePointer<Int>, colsol: UnsafeMutablePointer<Int>,
        v: UnsafeMutablePointer<Double>, free: UnsafeMutablePointer<Int>, matches: UnsafeMutablePointer<Int>,
        d: UnsafeMutablePointer<Double>, pred: UnsafeMutablePointer<Int>, collist: UnsafeMutablePointer<Int>
    ) {
        // Column reduction: v[j] = min_i c[i, j] (first minimising row), found row by row.
        let imin = pred  // scratch until the augmentation phase
        for j in 0..<dim { v[j] = c[j]; imin[j] = 0 }
        for i in 1..<max(1, dim) {
            let row = c + i * dim
            for j in 0..<dim where row[j] < v[j] { v[j] = row[j]; imin[j] = i }
        }
        for j in stride(from: dim - 1, through: 0, by: -1) {
            let i = imin[j]
            matches[i] += 1
            if matches[i] == 1 { rowsol[i] = j; colsol[j] = i } else { colsol[j] = -1 }
        }
        // Reduction transfer.
        var numfree = 0
        for i in 0..<dim {
            if matches[i] == 0 {
                free[numfree] = i; numfree += 1
            } else if matches[i] == 1 {
                let j1 = rowsol[i], row = c + i * dim
                var minv = Double.infinity
                for j in 0..<dim where j != j1 { minv = min(minv, row[j] - v[j]) }
                if minv.isFinite { v[j1] -= minv }
            }
        }
        // Augmenting row reduction: two rounds, capped at dim + 1000 steps. On grid costs (squared distances to
        // cells: many near-ties) uncapped rounds cycle through long displacement chains; measured on the 1,024 and
        // 2,025 grids, 100·dim steps cost 50 ms and left 23 free rows, dim steps cost 2 ms and left ~120, whose
        // shortest augmenting paths took 17 ms: the cap trades the two phases well (bench/tsne/README.md).
        var budget = dim + 1000
        for _ in 0..<2 {
            var k = 0
            let prvnumfree = numfree
            numfree = 0
            while k < prvnumfree {
                let i = free[k]; k += 1
                if budget <= 0 { free[numfree] = i; numfree += 1; continue }
                budget -= 1
                let row = c + i * dim
                var umin = row[0] - v[0], j1 = 0, j2 = 0
                var usubmin = Double.infinity
                for j in 1..<dim {
                    let h = row[j] - v[j]
                    if h < usubmin {
                        if h >= umin { usubmin = h; j2 = j } else { usubmin = umin; umin = h; j2 = j1; j1 = j }
                    }
                }
                var i0 = colsol[j1]
                if umin < usubmin {
                    v[j1] -= usubmin - umin
                } else if i0 > -1 {
                    j1 = j2; i0 = colsol[j2]
                }
                if i0 > -1 { rowsol[i0] = -1 }
                rowsol[i] = j1; colsol[j1] = i
                if i0 > -1 {
                    if umin < usubmin { k -= 1; free[k] = i0 } else { free[numfree] = i0; numfree += 1 }
                }
            }
        }
        // Augment each remaining free row along a shortest path.
        for f in 0..<numfree {
            let freerow = free[f]
            let frow = c + freerow * dim
            for j in 0..<dim { d[j] = frow[j] - v[j]; pred[j] = freerow; collist[j] = j }
            var low = 0, up = 0, last = 0, endofpath = -1
            var minv = 0.0
            var found = false
            repeat {
                if up == low {
                    last = low - 1
                    minv = d[collist[up]]; up += 1
                    for k in up..<dim {
                        let j = collist[k], h = d[j]
                        if h <= minv {
                            if h < minv { up = low; minv = h }
                            collist[k] = collist[up]; collist[up] = j; up += 1
                        }
                    }
                    for k in low..<up where colsol[collist[k]] < 0 { endofpath = collist[k]; found = true; break }
                }
                if !found {
                    let j1 = collist[low]; low += 1
                    let i = colsol[j1], row = c + i * dim
                    let h = row[j1] - v[j1] - minv
                    for k in up..<dim {
                        let j = collist[k]
                        let v2 = row[j] - v[j] - h
                        if v2 < d[j] {
                            pred[j] = i
                            if v2 == minv {
                                if colsol[j] < 0 { endofpath = j; found = true; break }
                                collist[k] = collist[up]; collist[up] = j; up += 1
                            }
                            d[j] = v2
                        }
                    }
                }
            } while !found
            if last >= 0 {
                for k in 0...last { let j1 = collist[k]; v[j1] += d[j1] - minv }
            }
            var i = -1
            repeat {
                i = pred[endofpath]
                colsol[endofpath] = i
                let j1 = endofpath
                endofpath = rowsol[i]
                rowsol[i] = j1
            } while i != freerow
        }
    }
}
