import Foundation

/// A 2-D quad tree over the embedding for the Barnes–Hut approximation of the repulsive forces: a cell of
/// side s whose centre of mass is at distance d from the point stands in for all its points when s/d < θ
/// (openTSNE's opening criterion, applied per group of nearby points with d measured to the group's bounding
/// box: `repulsive`). Unlike openTSNE, a summarised cell contributes its monopole AND its
/// quadrupole term (second moments about the centre of mass; the dipole vanishes there), which makes the error
/// O(θ³) instead of O(θ²): about 5× smaller at θ = 0.5 for a few more flops per interaction (see
/// bench/tsne/README.md, gradient accuracy). Leaves hold up to `leafSize` points (more when points coincide),
/// summed exactly unless the leaf is summarised whole, and a point never interacts with itself.
struct QuadTree {
    struct Node {
        var comX = 0.0, comY = 0.0
        /// Σ (y − com)(y − com)ᵀ over the cell's points: xx, xy, yy.
        var qxx = 0.0, qxy = 0.0, qyy = 0.0
        var side2 = 0.0  // the cell's side, squared
        var count: Int32 = 0
        var firstChild: Int32 = -1  // four consecutive children, or -1 for a leaf
        var start: Int32 = 0, end: Int32 = 0  // the cell's points: order[start..<end]  (64 bytes in all: one cache line)
    }
    var nodes: [Node] = []
    var order: [Int32]
    let y: [Double]

    /// Levels built on the calling thread; the 4² subtrees below them are built concurrently, each into its own
    /// node array, and spliced in subtree order: the same tree (and so the same forces, to the bit) as a serial
    /// build, in a layout that does not depend on thread timing.
    static let serialLevels = 2

    init(_ y: [Double]) {
        self.y = y
        let n = y.count / 2
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for i in 0..<n {
            minX = min(minX, y[2 * i]); maxX = max(maxX, y[2 * i])
            minY = min(minY, y[2 * i + 1]); maxY = max(maxY, y[2 * i + 1])
        }
        let side = max(maxX - minX, maxY - minY) * (1 + 1e-9) + 1e-12
        // Coordinates are permuted along with the point order, so every pass reads them sequentially.
        let points = TreePoints(y)
        defer { points.deallocate() }
        var top = TreeBuilder(points: points)
        var pending = [TreeBuilder.Pending]()
        top.nodes.append(Node())
        top.build(0, 0, n, minX + side / 2, minY + side / 2, side, depth: 0, stopAt: Self.serialLevels, &pending)
        let subtrees = EmbeddingParallel.mapChunks(count: pending.count, chunks: pending.count) { range -> [[Node]] in
            range.map { t -> [Node] in
                let job = pending[t]
                var builder = TreeBuilder(points: points)
                builder.nodes.reserveCapacity(4 * (job.end - job.start) + 1)
                builder.nodes.append(Node())
                var none = [TreeBuilder.Pending]()
                builder.build(0, job.start, job.end, job.cx, job.cy, job.side, depth: job.depth, stopAt: Int.max, &none)
                return builder.nodes
            }
        }.flatMap { $0 }
        var all = top.nodes
        all.reserveCapacity(all.count + subtrees.reduce(0) { $0 + $1.count })
        for (job, local) in zip(pending, subtrees) {
            // Local index c > 0 lands at base + c − 1; the local root replaces the pending node.
            let base = Int32(all.count) - 1
            var root = local[0]
            if root.firstChild >= 0 { root.firstChild += base }
            all[job.node] = root
            for c in 1..<max(1, local.count) {
                var node = local[c]
                if node.firstChild >= 0 { node.firstChild += base }
                all.append(node)
            }
        }
        nodes = all
        order = Array(UnsafeBufferPointer(start: points.order, count: n))
    }

    /// Points per traversal group: the tree is walked once per cell of at most this many points, not once per
    /// point (bench/tsne/README.md, session 3).
    static let groupSize = 64
    /// Points per leaf at most: small leaves are summed directly anyway (or summarised whole), and stopping
    /// the split there saves most of the nodes and levels of the build.
    static let leafSize = 8

    /// Repulsive forces and Z by Barnes–Hut with opening angle θ, walking the tree once per GROUP of nearby
    /// points (a cell with ≤ `groupSize` points, Barnes 1990): a cell is summarised for the whole group when
    /// side / (distance from its centre of mass to the group's bounding box) < θ — for every point of the group
    /// at least as strict as the per-point criterion, so at least as accurate — and opened leaves give direct
    /// interactions. The walk yields two lists, summarised cells and direct points, which every point of the
    /// group then sums in tight loops (two entries per step in SIMD2 lanes for α = 1). Groups are fixed by the
    /// tree, so the result does not depend on thread timing.
    func repulsive(theta: Double, kernel: TSNEKernel) -> RepulsiveForces {
        let n = y.count / 2
        var forces = [Double](repeating: 0, count: 2 * n)
        let theta2 = theta * theta
        let groups = traversalGroups()
        let zs = forces.withUnsafeMutableBufferPointer { fp -> [Double] in
            let f = fp.baseAddress!
            return nodes.withUnsafeBufferPointer { np in
                order.withUnsafeBufferPointer { op in
                    y.withUnsafeBufferPointer { yp in
                        EmbeddingParallel.mapChunks(count: groups.count) { range -> Double in
                            var lists = InteractionLists()
                            var z = 0.0
                            let stack = UnsafeMutablePointer<Int32>.allocate(capacity: 4 * 64 + 8)
                            defer { stack.deallocate() }
                            for g in range {
                                let group = np[Int(groups[g])]
                                let s = Int(group.start), e = Int(group.end)
                                var x0 = Double.infinity, x1 = -Double.infinity, y0 = Double.infinity, y1 = -Double.infinity
                                for t in s..<e {
                                    let i = Int(op[t])
                                    x0 = min(x0, yp[2 * i]); x1 = max(x1, yp[2 * i])
                                    y0 = min(y0, yp[2 * i + 1]); y1 = max(y1, yp[2 * i + 1])
                                }
                                lists.removeAll()
                                stack[0] = 0
                                var top = 1
                                while top > 0 {
                                    top -= 1
                                    let index = Int(stack[top])
                                    let node = np[index]
                                    let dx = max(0, x0 - node.comX, node.comX - x1), dy = max(0, y0 - node.comY, node.comY - y1)
                                    // A cell holding the group is always opened (so each point meets itself, directly).
                                    let holdsGroup = Int(node.start) <= s && e <= Int(node.end)
                                    if !holdsGroup && node.count > 1 && node.side2 < theta2 * (dx * dx + dy * dy) {
                                        lists.appendCell(node)
                                    } else if node.firstChild < 0 {
                                        for t in Int(node.start)..<Int(node.end) {
                                            let j = Int(op[t])
                                            lists.directX.append(yp[2 * j]); lists.directY.append(yp[2 * j + 1])
                                        }
                                    } else {
                                        let c = Int(node.firstChild)
                                        for k in 0..<4 where np[c + k].count > 0 { stack[top] = Int32(c + k); top += 1 }
                                    }
                                }
                                for t in s..<e {
                                    let i = Int(op[t])
                                    let (fx, fy, zi) = lists.sum(at: yp[2 * i], yp[2 * i + 1], kernel: kernel)
                                    // The point itself is in the direct list: force 0, w(0) = 1.
                                    z += zi - 1
                                    f[2 * i] = fx; f[2 * i + 1] = fy
                                }
                            }
                            return z
                        }
                    }
                }
            }
        }
        return RepulsiveForces(forces: forces, z: zs.reduce(0, +))
    }

    /// The traversal groups in tree order: the highest cells with at most `groupSize` points (or leaves).
    func traversalGroups() -> [Int32] {
        var groups = [Int32]()
        guard !nodes.isEmpty, nodes[0].count > 0 else { return groups }
        var stack: [Int32] = [0]
        while let index = stack.popLast() {
            let node = nodes[Int(index)]
            if node.firstChild < 0 || node.count <= Int32(Self.groupSize) { groups.append(index); continue }
            for k in (0..<4).reversed() where nodes[Int(node.firstChild) + k].count > 0 {
                stack.append(node.firstChild + Int32(k))
            }
        }
        return groups
    }
}

/// One group's Barnes–Hut interaction lists (structure of arrays, reused across groups).
struct InteractionLists {
    var cellX = [Double](), cellY = [Double](), cellCount = [Double]()
    var qxx = [Double](), qxy = [Double](), qyy = [Double]()
    var directX = [Double](), directY = [Double]()

    mutating func removeAll() {
        cellX.removeAll(keepingCapacity: true); cellY.removeAll(keepingCapacity: true)
        cellCount.removeAll(keepingCapacity: true); qxx.removeAll(keepingCapacity: true)
        qxy.removeAll(keepingCapacity: true); qyy.removeAll(keepingCapacity: true)
        directX.removeAll(keepingCapacity: true); directY.removeAll(keepingCapacity: true)
    }

    mutating func appendCell(_ node: QuadTree.Node) {
        cellX.append(node.comX); cellY.append(node.comY); cellCount.append(Double(node.count))
        qxx.append(node.qxx); qxy.append(node.qxy); qyy.append(node.qyy)
    }

    /// Σ over the lists of the repulsive force and of w at the point (px, py), the point itself included if it
    /// is in the direct list (it adds w(0) = 1 to Z and nothing to the force).
    ///
    /// A summarised cell stands for Σ_j K(r − δ_j) ≈ n·K(r) + ½ Σ_ab Q_ab ∂a∂b K(r), r = y_i − com, for Z's
    /// w(|r|²) and the force's wu(|r|²)·r (the derivatives are in TSNEKernel).
    func sum(at px: Double, _ py: Double, kernel: TSNEKernel) -> (Double, Double, Double) {
        if kernel.dof == 1 { return cauchySum(at: px, py, a: kernel.a, b: kernel.b) }
        var fx = 0.0, fy = 0.0, z = 0.0
        for c in 0..<cellX.count {
            let dx = px - cellX[c], dy = py - cellY[c]
            let (w, u, wu) = kernel.terms(dx * dx + dy * dy)
            let trQ = qxx[c] + qyy[c]
            let qrx = qxx[c] * dx + qxy[c] * dy, qry = qxy[c] * dx + qyy[c] * dy
            let rQr = dx * qrx + dy * qry
            let a = kernel.a * wu * u
            z += w * cellCount[c] - wu * trQ + 2 * a * rQr
            let k = wu * cellCount[c] + 2 * kernel.b * wu * u * u * rQr - a * trQ
            fx += k * dx - 2 * a * qrx; fy += k * dy - 2 * a * qry
        }
        for t in 0..<directX.count {
            let ex = px - directX[t], ey = py - directY[t]
            let k = kernel.terms(ex * ex + ey * ey)
            z += k.w
            fx += k.wu * ex; fy += k.wu * ey
        }
        return (fx, fy, z)
    }

    /// α = 1: w = u = q = 1/(1 + r²), two list entries per step.
    func cauchySum(at px: Double, _ py: Double, a: Double, b: Double) -> (Double, Double, Double) {
        var fx = SIMD2<Double>(), fy = SIMD2<Double>(), z = SIMD2<Double>()
        let x = SIMD2(repeating: px), y = SIMD2(repeating: py)
        let cells = cellX.count, direct = directX.count
        cellX.withUnsafeBufferPointer { cx in cellY.withUnsafeBufferPointer { cy in
        cellCount.withUnsafeBufferPointer { cn in qxx.withUnsafeBufferPointer { xx in
        qxy.withUnsafeBufferPointer { xy in qyy.withUnsafeBufferPointer { yy in
            @inline(__always) func load(_ p: UnsafeBufferPointer<Double>, _ c: Int) -> SIMD2<Double> {
                UnsafeRawPointer(p.baseAddress! + c).loadUnaligned(as: SIMD2<Double>.self)
            }
            var c = 0
            while c + 2 <= cells {
                let dx = x - load(cx, c), dy = y - load(cy, c)
                let q = 1 / (1 + (dx * dx + dy * dy))
                let wu = q * q
                let qxx = load(xx, c), qxy = load(xy, c), qyy = load(yy, c), count = load(cn, c)
                let trQ = qxx + qyy
                let qrx = qxx * dx + qxy * dy, qry = qxy * dx + qyy * dy
                let rQr = dx * qrx + dy * qry
                let aa = a * wu * q
                z += q * count - wu * trQ + 2 * aa * rQr
                let k = wu * count + 2 * b * wu * q * q * rQr - aa * trQ
                fx += k * dx - 2 * aa * qrx; fy += k * dy - 2 * aa * qry
                c += 2
            }
            if c < cells {
                let dx = px - cx[c], dy = py - cy[c]
                let q = 1 / (1 + (dx * dx + dy * dy))
                let wu = q * q
                let trQ = xx[c] + yy[c]
                let qrx = xx[c] * dx + xy[c] * dy, qry = xy[c] * dx + yy[c] * dy
                let rQr = dx * qrx + dy * qry
                let aa = a * wu * q
                z[0] += q * cn[c] - wu * trQ + 2 * aa * rQr
                let k = wu * cn[c] + 2 * b * wu * q * q * rQr - aa * trQ
                fx[0] += k * dx - 2 * aa * qrx; fy[0] += k * dy - 2 * aa * qry
            }
        } } } } } }
        directX.withUnsafeBufferPointer { dxp in directY.withUnsafeBufferPointer { dyp in
            var t = 0
            while t + 2 <= direct {
                let ex = x - UnsafeRawPointer(dxp.baseAddress! + t).loadUnaligned(as: SIMD2<Double>.self)
                let ey = y - UnsafeRawPointer(dyp.baseAddress! + t).loadUnaligned(as: SIMD2<Double>.self)
                let q = 1 / (1 + (ex * ex + ey * ey))
                z += q
                let wu = q * q
                fx += wu * ex; fy += wu * ey
                t += 2
            }
            if t < direct {
                let ex = px - dxp[t], ey = py - dyp[t]
                let q = 1 / (1 + (ex * ex + ey * ey))
                z[0] += q; fx[0] += q * q * ex; fy[0] += q * q * ey
            }
        } }
        return (fx[0] + fx[1], fy[0] + fy[1], z[0] + z[1])
    }
}

/// The points of a tree under construction, in tree order: ids and coordinates permuted together.
struct TreePoints: @unchecked Sendable {
    let order: UnsafeMutablePointer<Int32>
    let xs: UnsafeMutablePointer<Double>, ys: UnsafeMutablePointer<Double>
    /// Scatter space for the quadrant sort (the same ranges as the points).
    let scratchOrder: UnsafeMutablePointer<Int32>
    let scratchX: UnsafeMutablePointer<Double>, scratchY: UnsafeMutablePointer<Double>

    init(_ y: [Double]) {
        let n = y.count / 2
        order = .allocate(capacity: max(1, n)); scratchOrder = .allocate(capacity: max(1, n))
        xs = .allocate(capacity: max(1, n)); ys = .allocate(capacity: max(1, n))
        scratchX = .allocate(capacity: max(1, n)); scratchY = .allocate(capacity: max(1, n))
        for i in 0..<n { order[i] = Int32(i); xs[i] = y[2 * i]; ys[i] = y[2 * i + 1] }
    }

    func deallocate() {
        order.deallocate(); scratchOrder.deallocate(); xs.deallocate(); ys.deallocate()
        scratchX.deallocate(); scratchY.deallocate()
    }
}

/// Builds (part of) a quad tree depth first into its own node array; different builders work on disjoint
/// ranges of the same `TreePoints`.
struct TreeBuilder {
    typealias Node = QuadTree.Node
    /// A subtree left for later: its node (already in `nodes`), points and cell.
    struct Pending { var node: Int, start: Int, end: Int, cx: Double, cy: Double, side: Double, depth: Int }

    let points: TreePoints
    var nodes: [Node] = []

    init(points: TreePoints) { self.points = points }

    /// Fills `node` for points s..<e in the cell centred at (cx, cy); at depth `stopAt` an internal cell is
    /// recorded in `pending` instead of being split.
    mutating func build(_ node: Int, _ s: Int, _ e: Int, _ cx: Double, _ cy: Double, _ side: Double,
                        depth: Int, stopAt: Int, _ pending: inout [Pending]) {
        let xs = points.xs, ys = points.ys
        nodes[node].side2 = side * side
        nodes[node].count = Int32(e - s)
        nodes[node].start = Int32(s); nodes[node].end = Int32(e)  // every cell's points: order[start..<end]
        var sx = 0.0, sy = 0.0
        for t in s..<e { sx += xs[t]; sy += ys[t] }
        if e > s {
            let mx = sx / Double(e - s), my = sy / Double(e - s)
            var xx = 0.0, xy = 0.0, yy = 0.0
            for t in s..<e {
                let dx = xs[t] - mx, dy = ys[t] - my
                xx += dx * dx; xy += dx * dy; yy += dy * dy
            }
            nodes[node].comX = mx; nodes[node].comY = my
            nodes[node].qxx = xx; nodes[node].qxy = xy; nodes[node].qyy = yy
        }
        if e - s <= QuadTree.leafSize || depth >= 48 { return }
        if depth >= stopAt {
            pending.append(Pending(node: node, start: s, end: e, cx: cx, cy: cy, side: side, depth: depth))
            return
        }
        // Counting sort of the range into the four quadrants (stable, no heap allocation per node).
        var c0 = 0, c1 = 0, c2 = 0
        for t in s..<e {
            let q = (xs[t] >= cx ? 1 : 0) + (ys[t] >= cy ? 2 : 0)
            if q == 0 { c0 += 1 } else if q == 1 { c1 += 1 } else if q == 2 { c2 += 1 }
        }
        let b0 = s, b1 = s + c0, b2 = s + c0 + c1, b3 = s + c0 + c1 + c2
        var o = (b0, b1, b2, b3)
        let order = points.order, so = points.scratchOrder, sxs = points.scratchX, sys = points.scratchY
        for t in s..<e {
            let q = (xs[t] >= cx ? 1 : 0) + (ys[t] >= cy ? 2 : 0)
            let dst: Int
            switch q {
            case 0: dst = o.0; o.0 += 1
            case 1: dst = o.1; o.1 += 1
            case 2: dst = o.2; o.2 += 1
            default: dst = o.3; o.3 += 1
            }
            so[dst] = order[t]; sxs[dst] = xs[t]; sys[dst] = ys[t]
        }
        (order + s).update(from: so + s, count: e - s)
        (xs + s).update(from: sxs + s, count: e - s)
        (ys + s).update(from: sys + s, count: e - s)
        let first = nodes.count
        nodes[node].firstChild = Int32(first)
        for _ in 0..<4 { nodes.append(Node()) }
        let h = side / 4
        build(first, b0, b1, cx - h, cy - h, side / 2, depth: depth + 1, stopAt: stopAt, &pending)
        build(first + 1, b1, b2, cx + h, cy - h, side / 2, depth: depth + 1, stopAt: stopAt, &pending)
        build(first + 2, b2, b3, cx - h, cy + h, side / 2, depth: depth + 1, stopAt: stopAt, &pending)
        build(first + 3, b3, e, cx + h, cy + h, side / 2, depth: depth + 1, stopAt: stopAt, &pending)
    }
}
