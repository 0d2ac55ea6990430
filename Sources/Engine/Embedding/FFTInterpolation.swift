import Foundation

/// FIt-SNE's repulsive forces (Linderman et al. 2019): the square bounding box of the embedding is cut into
/// B×B boxes, each with p×p equispaced interpolation nodes; charges are spread to the nodes by Lagrange
/// interpolation, the kernel sums over the (pB)² node grid are one FFT convolution, and the potentials are
/// interpolated back. Charges (1, y₁, y₂) with the kernel w·u give the forces, charge 1 with the kernel w gives
/// Z; four real convolutions in two complex FFT round trips.
///
/// Boxes: B = minIntervals boxes over the extent while the extent is below minIntervals·intsInInterval (early
/// exaggeration); beyond, boxes are exactly `intsInInterval` wide and B = ⌈extent / width⌉ rounded up to a
/// 2,3,5-smooth count (openTSNE's rule, except that the width is fixed rather than stretched to the extent).
/// With a fixed width the node spacing is constant, so the kernel's spectrum is computed once per grid size and
/// reused across iterations, with the FFT plan: keep one `FFTInterpolation` for a whole optimisation.
///
/// Accuracy (bench/tsne/README.md, gradient accuracy): openTSNE's p = 3 gives 3.5 % repulsive-force error on a
/// converged N = 2,000 embedding (openTSNE itself: 3.6 %), p = 4 1.1 %, the default p = 5 0.35 %.
final class FFTInterpolation: @unchecked Sendable {
    let interpolationPoints: Int
    let minIntervals: Int
    let intsInInterval: Double
    private var plan: FFTPlan?
    /// Kernel spectra for the current grid: FFT(w·u) and FFT(w) (both real), m×m transposed.
    private var spectrum: (m: Int, spacing: Double, dof: Double, wu: [Double], w: [Double])?

    init(interpolationPoints: Int = 5, minIntervals: Int = 20, intsInInterval: Double = 1) {
        self.interpolationPoints = max(1, interpolationPoints)
        self.minIntervals = max(1, minIntervals)
        self.intsInInterval = intsInInterval > 0 ? intsInInterval : 1
    }

    /// Boxes per axis, box width and the FFT size m (2,3,5-smooth, ≥ 2·p·boxes: the circulant embedding) for an
    /// embedding spanning `extent` along its wider axis.
    func grid(extent: Double) -> (boxes: Int, width: Double, m: Int) {
        let boxes: Int, width: Double
        if extent <= Double(minIntervals) * intsInInterval {
            boxes = minIntervals
            width = extent / Double(boxes) * (1 + 1e-12)
        } else {
            boxes = FFTPlan.nextSmooth(Int((extent / intsInInterval).rounded(.up)))
            width = intsInInterval
        }
        return (boxes, width, FFTPlan.nextSmooth(2 * boxes * interpolationPoints))
    }

    /// Estimated CPU milliseconds of one `repulsive` call for n points spanning `extent` (fitted on this
    /// machine: a·n·p²/25 + b·m²·log₂m + c; bench/tsne/README.md, sessions 2 and 3), for choosing between FFT
    /// and Barnes–Hut.
    func estimatedCost(count n: Int, extent: Double) -> Double {
        let m = Double(grid(extent: extent).m), p = Double(interpolationPoints)
        return 4.2e-4 * Double(n) * p * p / 25 + 9.6e-6 * m * m * log2(m) + 4
    }

    func repulsive(_ y: [Double], kernel: TSNEKernel) -> RepulsiveForces {
        let n = y.count / 2
        let p = interpolationPoints
        var lo = Double.infinity, hi = -Double.infinity
        for v in y { lo = min(lo, v); hi = max(hi, v) }
        if !(hi > lo) { hi = lo + 1e-6 }
        let (boxes, boxWidth, m) = grid(extent: hi - lo)
        let g = boxes * p  // interpolation nodes per axis
        let spacing = boxWidth / Double(p)
        if plan?.n != m { plan = FFTPlan(size: m) }
        let plan = self.plan!

        // Relative node positions inside a box and Lagrange denominators.
        let h = 1.0 / Double(p)
        let nodes = (0..<p).map { h / 2 + Double($0) * h }
        var denominators = [Double](repeating: 1, count: p)
        for a in 0..<p { for b in 0..<p where a != b { denominators[a] *= nodes[a] - nodes[b] } }

        // Per point: box indices and the p Lagrange weights per axis.
        var cell = [Int32](repeating: 0, count: 2 * n)
        var weights = [Double](repeating: 0, count: 2 * n * p)
        for i in 0..<n {
            for axis in 0..<2 {
                let v = y[2 * i + axis]
                var b = Int((v - lo) / boxWidth)
                if b >= boxes { b = boxes - 1 }
                if b < 0 { b = 0 }
                cell[2 * i + axis] = Int32(b)
                let rel = (v - (lo + Double(b) * boxWidth)) / boxWidth
                for a in 0..<p {
                    var l = 1.0
                    for c in 0..<p where c != a { l *= rel - nodes[c] }
                    weights[(2 * i + axis) * p + a] = l / denominators[a]
                }
            }
        }
        // Spread charges onto the node grid: g×g arrays zero-padded inside m×m complex buffers, two real
        // charge arrays per complex one: c1 = 1 + i·y₁ and c2 = y₂ + i·1.
        let mm = m * m
        let buffer = UnsafeMutablePointer<Double>.allocate(capacity: 4 * mm)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 0, count: 4 * mm)
        let c1r = buffer, c1i = buffer + mm, c2r = buffer + 2 * mm, c2i = buffer + 3 * mm
        for i in 0..<n {
            let bx = Int(cell[2 * i]), by = Int(cell[2 * i + 1])
            let y1 = y[2 * i], y2 = y[2 * i + 1]
            for a in 0..<p {
                let wx = weights[(2 * i) * p + a]
                let row = (bx * p + a) * m
                for b in 0..<p {
                    let wxy = wx * weights[(2 * i + 1) * p + b]
                    let idx = row + by * p + b
                    c1r[idx] += wxy; c1i[idx] += wxy * y1; c2r[idx] += wxy * y2; c2i[idx] += wxy
                }
            }
        }
        // Convolutions: c1 (both parts) and c2's real part with w·u (for the forces), c2's imaginary part with
        // w (for Z = Σ w directly: FIt-SNE's (1 + ‖y‖²)·φ − 2y·φ_y + φ_‖y‖² form cancels catastrophically when
        // ‖y‖ is large). The kernels' spectra are real, so c1 is simply scaled; c2's parts are separated by
        // Hermitian symmetry, A(k) = (C(k) + C̄(−k))/2, B(k) = (C(k) − C̄(−k))/2i, and A·K_wu + i·B·K_w inverted.
        let (kwu, kw) = kernelSpectra(m: m, g: g, spacing: spacing, kernel: kernel, plan: plan)
        EmbeddingParallel.forEachChunk(count: 2, chunks: 2) { range in
            for t in range {
                let (re, im) = t == 0 ? (c1r, c1i) : (c2r, c2i)
                FFT2D.forwardTransposed(re, im, plan: plan, nonzeroRows: g, threads: 1)
                if t == 0 {
                    for e in 0..<mm { re[e] *= kwu[e]; im[e] *= kwu[e] }
                } else {
                    for r in 0..<m {
                        let rr = (m - r) % m
                        for c in 0..<m {
                            let e = r * m + c, e2 = rr * m + (m - c) % m
                            if e2 < e { continue }  // each ±k pair once
                            let cr = re[e], ci = im[e], pr = re[e2], pi = im[e2]
                            let sr = 0.5 * (cr + pr), dr = 0.5 * (cr - pr), si = 0.5 * (ci + pi), di = 0.5 * (ci - pi)
                            re[e] = kwu[e] * sr + kw[e] * dr; im[e] = kwu[e] * di + kw[e] * si
                            if e2 != e {
                                // At −k the roles swap: C(−k) = pr + i·pi, C̄(k) = cr − i·ci.
                                re[e2] = kwu[e2] * sr - kw[e2] * dr; im[e2] = -kwu[e2] * di + kw[e2] * si
                            }
                        }
                    }
                }
                FFT2D.inverseFromTransposed(re, im, plan: plan, neededRows: g, threads: 1)
            }
        }

        // Each point's interpolated interaction with itself, removed from Z exactly (it is not 1: subtracting N,
        // as FIt-SNE does, leaves an error that dominates Z when the points are few and far apart). Offsets
        // between two nodes of one box take (2p − 1)² values: table[u·(2p−1) + v] = w at ((u, v) − p + 1)·spacing.
        let span = 2 * p - 1
        var table = [Double](repeating: 0, count: span * span)
        for u in 0..<span {
            for v in 0..<span {
                let dx = Double(u - p + 1) * spacing, dy = Double(v - p + 1) * spacing
                table[u * span + v] = kernel.w(dx * dx + dy * dy)
            }
        }

        // Interpolate potentials back to the points.
        var forces = [Double](repeating: 0, count: 2 * n)
        let zs = forces.withUnsafeMutableBufferPointer { fp -> [Double] in
            let f = fp.baseAddress!
            return EmbeddingParallel.mapChunks(count: n) { range -> Double in
                var z = 0.0
                for i in range {
                    let bx = Int(cell[2 * i]), by = Int(cell[2 * i + 1])
                    var phi0 = 0.0, phi1 = 0.0, phi2 = 0.0, zi = 0.0
                    for a in 0..<p {
                        let wx = weights[(2 * i) * p + a]
                        let row = (bx * p + a) * m
                        for b in 0..<p {
                            let wxy = wx * weights[(2 * i + 1) * p + b]
                            let idx = row + by * p + b
                            phi0 += wxy * c1r[idx]; phi1 += wxy * c1i[idx]; phi2 += wxy * c2r[idx]
                            zi += wxy * c2i[idx]
                        }
                    }
                    // self = Σ_ac Lx_a Lx_c Σ_bd Ly_b Ly_d table[a − c, b − d].
                    var selfZ = 0.0
                    for u in 0..<span {
                        var su = 0.0
                        for b in 0..<p {
                            let lb = weights[(2 * i + 1) * p + b]
                            for d in 0..<p { su += lb * weights[(2 * i + 1) * p + d] * table[u * span + b - d + p - 1] }
                        }
                        for a in max(0, u - p + 1)..<min(p, u + 1) {
                            selfZ += weights[(2 * i) * p + a] * weights[(2 * i) * p + a - u + p - 1] * su
                        }
                    }
                    let y1 = y[2 * i], y2 = y[2 * i + 1]
                    z += zi - selfZ
                    f[2 * i] = y1 * phi0 - phi1
                    f[2 * i + 1] = y2 * phi0 - phi2
                }
                return z
            }
        }
        return RepulsiveForces(forces: forces, z: zs.reduce(0, +))
    }

    /// FFTs of the kernels on node offsets, embedded circulantly (real-even, so the spectra are real), cached
    /// while the grid size and node spacing stay the same.
    private func kernelSpectra(m: Int, g: Int, spacing: Double, kernel: TSNEKernel, plan: FFTPlan)
        -> ([Double], [Double])
    {
        if let s = spectrum, s.m == m, s.spacing == spacing, s.dof == kernel.dof { return (s.wu, s.w) }
        var kr = [Double](repeating: 0, count: m * m), ki = [Double](repeating: 0, count: m * m)
        kr.withUnsafeMutableBufferPointer { krp in
            ki.withUnsafeMutableBufferPointer { kip in
                let kr = krp.baseAddress!, ki = kip.baseAddress!
                for a in 0..<g {
                    for b in 0..<g {
                        let dx = Double(a) * spacing, dy = Double(b) * spacing
                        let d2 = dx * dx + dy * dy
                        let v = kernel.wu(d2), v2 = kernel.w(d2)
                        let ma = (m - a) % m, mb = (m - b) % m
                        kr[a * m + b] = v; ki[a * m + b] = v2
                        kr[ma * m + b] = v; ki[ma * m + b] = v2
                        kr[a * m + mb] = v; ki[a * m + mb] = v2
                        kr[ma * m + mb] = v; ki[ma * m + mb] = v2
                    }
                }
                FFT2D.forwardTransposed(kr, ki, plan: plan)
            }
        }
        spectrum = (m, spacing, kernel.dof, kr, ki)
        return (kr, ki)
    }
}
