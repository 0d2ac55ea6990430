import Foundation

/// The heavy-tailed output similarity of t-SNE with `dof` degrees of freedom α:
/// w(d²) = (1 + d²/α)^(−α) (Student-t, α = 1 the usual Cauchy), and u(d²) = (1 + d²/α)^(−1), so that
/// ∂w/∂y_i = −2 w·u·(y_i − y_j). All gradients here follow openTSNE: the factor 4 of the textbook gradient is
/// dropped (the learning rate absorbs it): g_i = Σ_j p_ij u_ij (y_i − y_j) − Σ_j w_ij u_ij (y_i − y_j) / Z.
///
/// With s = d², w = φ(s) and wu = ψ(s): φ′ = −wu, φ″ = a·wu·u, ψ′ = −a·wu·u, ψ″ = b·wu·u², where
/// a = (α+1)/α and b = (α+1)(α+2)/α² (the Barnes–Hut quadrupole terms use them).
struct TSNEKernel: Sendable {
    let dof: Double
    let a: Double, b: Double
    init(dof: Double) {
        self.dof = dof > 0 ? dof : 1e-8
        a = (self.dof + 1) / self.dof
        b = (self.dof + 1) * (self.dof + 2) / (self.dof * self.dof)
    }

    @inline(__always) func u(_ d2: Double) -> Double { 1 / (1 + d2 / dof) }
    /// (w, u, w·u) at once: for α = 1 with ONE division (w = u = 1/(1 + d²), bit-identical to the separate
    /// functions), which is what bounds the Barnes–Hut and exact loops.
    @inline(__always) func terms(_ d2: Double) -> (w: Double, u: Double, wu: Double) {
        if dof == 1 { let q = 1 / (1 + d2); return (q, q, q * q) }
        return (w(d2), u(d2), wu(d2))
    }
    @inline(__always) func w(_ d2: Double) -> Double { dof == 1 ? 1 / (1 + d2) : pow(1 + d2 / dof, -dof) }
    /// w·u = (1 + d²/α)^(−α−1), the repulsive force coefficient.
    @inline(__always) func wu(_ d2: Double) -> Double {
        if dof == 1 { let q = 1 / (1 + d2); return q * q }
        return pow(1 + d2 / dof, -dof - 1)
    }
}

/// The repulsive half of the gradient, unnormalised: rep_i = Σ_{j≠i} w_ij u_ij (y_i − y_j), and Z = Σ_{i≠j} w_ij.
struct RepulsiveForces {
    var forces: [Double]  // N×2
    var z: Double
}

enum TSNEGradient {
    /// Attractive forces Σ_j p_ij u_ij (y_i − y_j) added (times `scale`, the exaggeration) into `gradient`.
    /// When `evaluateKL`, also returns Σ p log(p / w) over the nonzeros (to be completed by + log Z); the forces
    /// are the same bytes either way (the KL terms ride along, they do not change the summation).
    static func addAttractive(
        p: SparseAffinities, embedding y: UnsafePointer<Double>, kernel: TSNEKernel, scale: Double,
        gradient: UnsafeMutablePointer<Double>, evaluateKL: Bool
    ) -> Double {
        let parts = EmbeddingParallel.mapChunks(count: p.count) { range -> Double in
            p.rowStart.withUnsafeBufferPointer { rs in
                p.columns.withUnsafeBufferPointer { cs in
                    p.values.withUnsafeBufferPointer { vs in
                        kernel.dof == 1
                            ? cauchyAttractive(rows: range, rs.baseAddress!, cs.baseAddress!, vs.baseAddress!, y: y,
                                               scale: scale, gradient: gradient, evaluateKL: evaluateKL)
                            : studentAttractive(rows: range, rs.baseAddress!, cs.baseAddress!, vs.baseAddress!, y: y,
                                                kernel: kernel, scale: scale, gradient: gradient, evaluateKL: evaluateKL)
                    }
                }
            }
        }
        return parts.reduce(0, +)
    }

    /// One row's KL terms p·log(p/w), p the exaggerated affinity.
    @inline(__always) static func klTerm(_ v: Double, scale: Double, w: Double) -> Double {
        let pij = v * scale
        return pij * log(pij / (w + Double.ulpOfOne) + Double.ulpOfOne)
    }

    /// α = 1 (u = w = 1/(1 + d²)): two edges per step in SIMD2 lanes, one vector division for both — the
    /// divisions bound this loop (~4.7 ns an edge in scalar form with the general kernel's two divisions).
    static func cauchyAttractive(
        rows: Range<Int>, _ rs: UnsafePointer<Int>, _ cs: UnsafePointer<Int32>, _ vs: UnsafePointer<Double>,
        y: UnsafePointer<Double>, scale: Double, gradient: UnsafeMutablePointer<Double>, evaluateKL: Bool
    ) -> Double {
        var kl = 0.0
        for i in rows {
            let px = SIMD2(repeating: y[2 * i]), py = SIMD2(repeating: y[2 * i + 1])
            var gx = SIMD2<Double>(), gy = SIMD2<Double>()
            var e = rs[i]
            let end = rs[i + 1]
            while e + 2 <= end {
                let j0 = 2 * Int(cs[e]), j1 = 2 * Int(cs[e + 1])
                let dx = px - SIMD2(y[j0], y[j1]), dy = py - SIMD2(y[j0 + 1], y[j1 + 1])
                let u = 1 / (1 + (dx * dx + dy * dy))
                let pu = SIMD2(vs[e], vs[e + 1]) * u
                gx += pu * dx; gy += pu * dy
                if evaluateKL { kl += klTerm(vs[e], scale: scale, w: u[0]) + klTerm(vs[e + 1], scale: scale, w: u[1]) }
                e += 2
            }
            var sx = gx[0] + gx[1], sy = gy[0] + gy[1]
            if e < end {
                let j = 2 * Int(cs[e])
                let dx = y[2 * i] - y[j], dy = y[2 * i + 1] - y[j + 1]
                let u = 1 / (1 + (dx * dx + dy * dy))
                sx += vs[e] * u * dx; sy += vs[e] * u * dy
                if evaluateKL { kl += klTerm(vs[e], scale: scale, w: u) }
            }
            gradient[2 * i] += scale * sx
            gradient[2 * i + 1] += scale * sy
        }
        return kl
    }

    static func studentAttractive(
        rows: Range<Int>, _ rs: UnsafePointer<Int>, _ cs: UnsafePointer<Int32>, _ vs: UnsafePointer<Double>,
        y: UnsafePointer<Double>, kernel: TSNEKernel, scale: Double, gradient: UnsafeMutablePointer<Double>,
        evaluateKL: Bool
    ) -> Double {
        var kl = 0.0
        for i in rows {
            let yx = y[2 * i], yy = y[2 * i + 1]
            var gx = 0.0, gy = 0.0
            for e in rs[i]..<rs[i + 1] {
                let j = Int(cs[e])
                let dx = yx - y[2 * j], dy = yy - y[2 * j + 1]
                let d2 = dx * dx + dy * dy
                let pu = vs[e] * kernel.u(d2)
                gx += pu * dx; gy += pu * dy
                if evaluateKL { kl += klTerm(vs[e], scale: scale, w: kernel.w(d2)) }
            }
            gradient[2 * i] += scale * gx
            gradient[2 * i + 1] += scale * gy
        }
        return kl
    }

    /// Exact O(N²) repulsive forces (reference for tests; also used for small N).
    static func exactRepulsive(_ y: [Double], kernel: TSNEKernel) -> RepulsiveForces {
        let n = y.count / 2
        var forces = [Double](repeating: 0, count: 2 * n)
        let zs = forces.withUnsafeMutableBufferPointer { fp -> [Double] in
            let f = fp.baseAddress!
            return y.withUnsafeBufferPointer { yp in
                EmbeddingParallel.mapChunks(count: n) { range -> Double in
                    var z = 0.0
                    for i in range {
                        var fx = 0.0, fy = 0.0
                        for j in 0..<n where j != i {
                            let dx = yp[2 * i] - yp[2 * j], dy = yp[2 * i + 1] - yp[2 * j + 1]
                            let d2 = dx * dx + dy * dy
                            z += kernel.w(d2)
                            let c = kernel.wu(d2)
                            fx += c * dx; fy += c * dy
                        }
                        f[2 * i] = fx; f[2 * i + 1] = fy
                    }
                    return z
                }
            }
        }
        return RepulsiveForces(forces: forces, z: zs.reduce(0, +))
    }
}
