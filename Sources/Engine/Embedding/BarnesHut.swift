import Foundation

/// A 2-D quad tree over the embedding for the Barnes–Hut approximation of the repulsive forces: a cell of
/// side s whose centre of mass is at distance d from the point stands in for all its points when s/d < θ
/// (openTSNE's opening criterion). Unlike openTSNE, a summarised cell contributes its monopole AND its
/// quadrupole term (second moments about the centre of mass; the dipole vanishes there), which makes the error
/// O(θ³) instead of O(θ²): about 5× smaller at θ = 0.5 for a few more flops per interaction (see
/// bench/tsne/README.md, gradient accuracy). Leaves hold their points exactly (several when points coincide),
/// and a point never interacts with itself.
struct QuadTree {
    struct Node {
        var comX = 0.0, comY = 0.0
        /// Σ (y − com)(y − com)ᵀ over the cell's points: xx, xy, yy.
        var qxx = 0.0, qxy = 0.0, qyy = 0.0
        var side2 = 0.0  // the cell's side, squared
        var count: Int32 = 0
        var firstChild: Int32 = -1  // four consecutive children, or -1 for a leaf
        var start: Int32 = 0, end: Int32 = 0  // leaf's points: order[start..<end]  (64 bytes in all: one cache line)
    }
    var nodes: [Node] = []
    var order: [Int32]
    let y: [Double]

    init(_ y: [Double]) {
        self.y = y
        let n = y.count / 2
        order = (0..<n).map(Int32.init)
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for i in 0..<n {
            minX = min(minX, y[2 * i]); maxX = max(maxX, y[2 * i])
            minY = min(minY, y[2 * i + 1]); maxY = max(maxY, y[2 * i + 1])
        }
        let side = max(maxX - minX, maxY - minY) * (1 + 1e-9) + 1e-12
        nodes.reserveCapacity(4 * n)
        nodes.append(Node())
        var scratch = [Int32](repeating: 0, count: n)
        build(0, 0, n, minX + side / 2, minY + side / 2, side, depth: 0, &scratch)
    }

    private mutating func build(_ node: Int, _ s: Int, _ e: Int, _ cx: Double, _ cy: Double, _ side: Double,
                                depth: Int, _ scratch: inout [Int32]) {
        nodes[node].side2 = side * side
        nodes[node].count = Int32(e - s)
        var sx = 0.0, sy = 0.0
        for t in s..<e { sx += y[2 * Int(order[t])]; sy += y[2 * Int(order[t]) + 1] }
        if e > s {
            let cx = sx / Double(e - s), cy = sy / Double(e - s)
            var xx = 0.0, xy = 0.0, yy = 0.0
            for t in s..<e {
                let dx = y[2 * Int(order[t])] - cx, dy = y[2 * Int(order[t]) + 1] - cy
                xx += dx * dx; xy += dx * dy; yy += dy * dy
            }
            nodes[node].comX = cx; nodes[node].comY = cy
            nodes[node].qxx = xx; nodes[node].qxy = xy; nodes[node].qyy = yy
        }
        if e - s <= 1 || depth >= 48 {
            nodes[node].start = Int32(s); nodes[node].end = Int32(e)
            return
        }
        // Counting sort of the range into the four quadrants (no heap allocation per node).
        var c0 = 0, c1 = 0, c2 = 0
        for t in s..<e {
            let p = Int(order[t])
            let q = (y[2 * p] >= cx ? 1 : 0) + (y[2 * p + 1] >= cy ? 2 : 0)
            if q == 0 { c0 += 1 } else if q == 1 { c1 += 1 } else if q == 2 { c2 += 1 }
        }
        let b0 = s, b1 = s + c0, b2 = s + c0 + c1, b3 = s + c0 + c1 + c2
        var o0 = b0, o1 = b1, o2 = b2, o3 = b3
        for t in s..<e {
            let p = order[t]
            let q = (y[2 * Int(p)] >= cx ? 1 : 0) + (y[2 * Int(p) + 1] >= cy ? 2 : 0)
            switch q {
            case 0: scratch[o0] = p; o0 += 1
            case 1: scratch[o1] = p; o1 += 1
            case 2: scratch[o2] = p; o2 += 1
            default: scratch[o3] = p; o3 += 1
            }
        }
        for t in s..<e { order[t] = scratch[t] }
        let first = nodes.count
        nodes[node].firstChild = Int32(first)
        for _ in 0..<4 { nodes.append(Node()) }
        let h = side / 4
        build(first, b0, b1, cx - h, cy - h, side / 2, depth: depth + 1, &scratch)
        build(first + 1, b1, b2, cx + h, cy - h, side / 2, depth: depth + 1, &scratch)
        build(first + 2, b2, b3, cx - h, cy + h, side / 2, depth: depth + 1, &scratch)
        build(first + 3, b3, e, cx + h, cy + h, side / 2, depth: depth + 1, &scratch)
    }

    /// Repulsive forces and Z by Barnes–Hut with opening angle θ.
    func repulsive(theta: Double, kernel: TSNEKernel) -> RepulsiveForces {
        let n = y.count / 2
        var forces = [Double](repeating: 0, count: 2 * n)
        let theta2 = theta * theta
        let zs = forces.withUnsafeMutableBufferPointer { fp -> [Double] in
            let f = fp.baseAddress!
            return nodes.withUnsafeBufferPointer { np in
                order.withUnsafeBufferPointer { op in
                    y.withUnsafeBufferPointer { yp in
                        EmbeddingParallel.mapChunks(count: n) { range -> Double in
                            var z = 0.0
                            let stack = UnsafeMutablePointer<Int32>.allocate(capacity: 4 * 64 + 8)
                            defer { stack.deallocate() }
                            // Points in tree order: consecutive points walk nearly the same cells (cache reuse).
                            for ti in range {
                                let i = Int(op[ti])
                                let px = yp[2 * i], py = yp[2 * i + 1]
                                var fx = 0.0, fy = 0.0
                                stack[0] = 0
                                var top = 1
                                while top > 0 {
                                    top -= 1
                                    let node = np[Int(stack[top])]
                                    let dx = px - node.comX, dy = py - node.comY
                                    let d2 = dx * dx + dy * dy
                                    if node.firstChild < 0 {
                                        for t in Int(node.start)..<Int(node.end) {
                                            let j = Int(op[t])
                                            if j == i { continue }
                                            let ex = px - yp[2 * j], ey = py - yp[2 * j + 1]
                                            let e2 = ex * ex + ey * ey
                                            z += kernel.w(e2)
                                            let c = kernel.wu(e2)
                                            fx += c * ex; fy += c * ey
                                        }
                                    } else if node.side2 < theta2 * d2 {
                                        // Σ_j K(r − δ_j) ≈ n·K(r) + ½ Σ_ab Q_ab ∂a∂b K(r), r = y_i − com, for
                                        // Z's w(|r|²) and the force's wu(|r|²)·r (derivatives in TSNEKernel).
                                        let cnt = Double(node.count)
                                        let u = kernel.u(d2), wu = kernel.wu(d2)
                                        let trQ = node.qxx + node.qyy
                                        let qrx = node.qxx * dx + node.qxy * dy, qry = node.qxy * dx + node.qyy * dy
                                        let rQr = dx * qrx + dy * qry
                                        let a = kernel.a * wu * u
                                        z += kernel.w(d2) * cnt - wu * trQ + 2 * a * rQr
                                        let c = wu * cnt + 2 * kernel.b * wu * u * u * rQr - a * trQ
                                        fx += c * dx - 2 * a * qrx; fy += c * dy - 2 * a * qry
                                    } else {
                                        let c = Int(node.firstChild)
                                        for k in 0..<4 where np[c + k].count > 0 { stack[top] = Int32(c + k); top += 1 }
                                    }
                                }
                                f[2 * i] = fx; f[2 * i + 1] = fy
                            }
                            return z
                        }
                    }
                }
            }
        }
        return RepulsiveForces(forces: forces, z: zs.reduce(0, +))
    }
}
