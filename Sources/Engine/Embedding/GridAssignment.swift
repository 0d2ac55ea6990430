/// Snapping a 2-D embedding to the cells of a regular cols×rows grid (the CS231n t-SNE image grid): points are
/// scaled per axis onto [0, cols]×[0, rows], cells are unit squares with centres (c + ½, r + ½), and each point
/// gets a distinct cell minimising the total squared distance. Exact Jonker–Volgenant up to `exactLimit`
/// points; above (or when not exact) a recursive bisection of the grid into pieces solved exactly, with the
/// cost reported against a lower bound (the sum of the two per-axis 1-D optimal transport costs, which any
/// assignment must pay).
public struct GridAssignment: Sendable {
    public var cols: Int
    public var rows: Int
    /// Cell index (row · cols + col) of each point.
    public var cellOfPoint: [Int]
    /// Total squared distance in grid units.
    public var cost: Double
    /// A lower bound on the optimal cost (equal to `cost` when exact).
    public var lowerBound: Double
    public var exact: Bool
    /// cost / lowerBound (1 when exact).
    public var ratio: Double { exact ? 1 : (lowerBound > 0 ? cost / lowerBound : 1) }
}

public enum GridAssignmentError: Error, Equatable, Sendable {
    case tooFewCells(points: Int, cells: Int)
    case badShape(String)
}

public enum GridLayout {
    public static let exactLimit = 2_500
    public static let pieceSize = 1_024

    /// - Parameters: points N×2 row-major; cols (and rows, default ⌈N/cols⌉); exact nil = automatic (N ≤ 2,500);
    ///   pieceSize: the most cells a piece of the recursive split may have (each piece solved exactly).
    public static func assign(points: [Float], cols: Int, rows: Int? = nil, exact: Bool? = nil,
                              pieceSize: Int = GridLayout.pieceSize) throws -> GridAssignment {
        guard points.count % 2 == 0, cols >= 1 else { throw GridAssignmentError.badShape("\(points.count) values, \(cols) columns") }
        let n = points.count / 2
        let rowCount = rows ?? max(1, (n + cols - 1) / cols)
        guard rowCount * cols >= n else { throw GridAssignmentError.tooFewCells(points: n, cells: rowCount * cols) }
        let p = normalized(points, cols: cols, rows: rowCount)
        let useExact = exact ?? (n <= exactLimit)
        var cellOf = [Int](repeating: -1, count: n)
        if useExact {
            let cells = (0..<(rowCount * cols)).map { $0 }
            try solvePiece(p, Array(0..<n), cells, cols: cols, into: &cellOf)
        } else {
            try split(p, Array(0..<n), c0: 0, c1: cols, r0: 0, r1: rowCount, cols: cols, pieceSize: max(1, pieceSize),
                      into: &cellOf)
        }
        var cost = 0.0
        for i in 0..<n { cost += cellCost(p, i, cellOf[i], cols: cols) }
        let bound = useExact ? cost : lowerBound(p, cols: cols, rows: rowCount)
        return GridAssignment(cols: cols, rows: rowCount, cellOfPoint: cellOf, cost: cost, lowerBound: bound,
                              exact: useExact)
    }

    static func normalized(_ points: [Float], cols: Int, rows: Int) -> [Double] {
        let n = points.count / 2
        var out = [Double](repeating: 0, count: 2 * n)
        for axis in 0..<2 {
            var lo = Double.infinity, hi = -Double.infinity
            for i in 0..<n { lo = min(lo, Double(points[2 * i + axis])); hi = max(hi, Double(points[2 * i + axis])) }
            let span = hi > lo ? hi - lo : 1
            let extent = Double(axis == 0 ? cols : rows)
            for i in 0..<n { out[2 * i + axis] = (Double(points[2 * i + axis]) - lo) / span * extent }
        }
        return out
    }

    @inline(__always) static func cellCost(_ p: [Double], _ i: Int, _ cell: Int, cols: Int) -> Double {
        let dx = p[2 * i] - (Double(cell % cols) + 0.5), dy = p[2 * i + 1] - (Double(cell / cols) + 0.5)
        return dx * dx + dy * dy
    }

    static func solvePiece(_ p: [Double], _ items: [Int], _ cells: [Int], cols: Int, into cellOf: inout [Int]) throws {
        var cost = [Double](repeating: 0, count: items.count * cells.count)
        for (a, i) in items.enumerated() {
            for (b, c) in cells.enumerated() { cost[a * cells.count + b] = cellCost(p, i, c, cols: cols) }
        }
        let (assignment, _) = try LinearAssignment.solve(cost: cost, rows: items.count, cols: cells.count)
        for (a, i) in items.enumerated() { cellOf[i] = cells[assignment[a]] }
    }

    /// Bisects the cell rectangle [c0, c1)×[r0, r1) along its longer side; points are shared in proportion to
    /// the cells, the ones with the smaller coordinate along that side going to the lower half.
    static func split(_ p: [Double], _ items: [Int], c0: Int, c1: Int, r0: Int, r1: Int, cols: Int, pieceSize: Int,
                      into cellOf: inout [Int]) throws {
        let cellCount = (c1 - c0) * (r1 - r0)
        if cellCount <= pieceSize || items.count <= 1 {
            var cells = [Int]()
            for r in r0..<r1 { for c in c0..<c1 { cells.append(r * cols + c) } }
            if !items.isEmpty { try solvePiece(p, items, cells, cols: cols, into: &cellOf) }
            return
        }
        let alongX = (c1 - c0) >= (r1 - r0)
        let axis = alongX ? 0 : 1
        let mid = alongX ? (c0 + c1) / 2 : (r0 + r1) / 2
        let lowerCells = alongX ? (mid - c0) * (r1 - r0) : (c1 - c0) * (mid - r0)
        let upperCells = cellCount - lowerCells
        var lowerPoints = Int((Double(items.count) * Double(lowerCells) / Double(cellCount)).rounded())
        lowerPoints = min(lowerCells, max(items.count - upperCells, lowerPoints))
        let sorted = items.sorted { p[2 * $0 + axis] < p[2 * $1 + axis] || (p[2 * $0 + axis] == p[2 * $1 + axis] && $0 < $1) }
        let lower = Array(sorted[..<lowerPoints]), upper = Array(sorted[lowerPoints...])
        if alongX {
            try split(p, lower, c0: c0, c1: mid, r0: r0, r1: r1, cols: cols, pieceSize: pieceSize, into: &cellOf)
            try split(p, upper, c0: mid, c1: c1, r0: r0, r1: r1, cols: cols, pieceSize: pieceSize, into: &cellOf)
        } else {
            try split(p, lower, c0: c0, c1: c1, r0: r0, r1: mid, cols: cols, pieceSize: pieceSize, into: &cellOf)
            try split(p, upper, c0: c0, c1: c1, r0: mid, r1: r1, cols: cols, pieceSize: pieceSize, into: &cellOf)
        }
    }

    /// Σ over axes of the optimal 1-D partial matching cost of the points' coordinates to the cells'
    /// (monotone matching by dynamic programming); a valid lower bound since ‖·‖² separates by axis.
    static func lowerBound(_ p: [Double], cols: Int, rows: Int) -> Double {
        let n = p.count / 2
        var total = 0.0
        for axis in 0..<2 {
            let a = (0..<n).map { p[2 * $0 + axis] }.sorted()
            var b = [Double]()
            for r in 0..<rows { for c in 0..<cols { b.append(Double(axis == 0 ? c : r) + 0.5) } }
            b.sort()
            let m = b.count, slack = m - n
            // dp over j - i ∈ [0, slack]: best cost matching a[0..<i] into b[0..<j].
            var prev = [Double](repeating: 0, count: slack + 1)
            var cur = [Double](repeating: 0, count: slack + 1)
            for i in 1...max(1, n) where n > 0 {
                for s in 0...slack {
                    let j = i + s
                    let take = prev[s] + (a[i - 1] - b[j - 1]) * (a[i - 1] - b[j - 1])
                    let skip = s > 0 ? cur[s - 1] : Double.infinity
                    cur[s] = min(take, skip)
                }
                swap(&prev, &cur)
            }
            total += n > 0 ? prev.min()! : 0
        }
        return total
    }
}
