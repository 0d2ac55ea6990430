import Foundation

/// FIt-SNE's repulsive forces (Linderman et al. 2019) with openTSNE's parameters: the square bounding box of
/// the embedding is cut into B×B boxes (B ≥ min_num_intervals, ≥ extent/ints_in_interval, rounded up to a
/// 2,3,5-smooth size), each with p×p equispaced interpolation nodes; charges are spread to the nodes by
/// Lagrange interpolation, the kernel sums over the (3B)² node grid are one FFT convolution, and the
/// potentials are interpolated back. Terms (1, y₁, y₂, ‖y‖²) with the kernel w·u give Z and the forces
/// (α = 1); for α ≠ 1 the fourth term is 1 with kernel w.
struct FFTInterpolation {
    var interpolationPoints = 3
    var minIntervals = 50
    var intsInInterval = 1.0

    func repulsive(_ y: [Double], kernel: TSNEKernel) -> RepulsiveForces {
        let n = y.count / 2
        let p = interpolationPoints
        var lo = Double.infinity, hi = -Double.infinity
        for v in y { lo = min(lo, v); hi = max(hi, v) }
        if !(hi > lo) { hi = lo + 1e-6 }
        var boxes = max(minIntervals, Int((hi - lo) / intsInInterval))
        boxes = FFTPlan.nextSmooth(boxes)
        let boxWidth = (hi - lo) / Double(boxes)
        let g = boxes * p  // interpolation nodes per axis
        let spacing = boxWidth / Double(p)
        let m = 2 * g  // circulant embedding size (smooth since boxes is)
        let plan = FFTPlan(size: m)

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
        let fourthIsOne = kernel.dof != 1

        // Spread charges onto the node grid: four g×g arrays, zero-padded inside m×m complex buffers:
        // c1 = w0 + i·w1, c2 = w2 + i·w3 (α = 1; both share the kernel w·u).
        let mm = m * m
        let buffer = UnsafeMutablePointer<Double>.allocate(capacity: 6 * mm + (fourthIsOne ? 2 * mm : 0))
        defer { buffer.deallocate() }
        let c1r = buffer, c1i = buffer + mm, c2r = buffer + 2 * mm, c2i = buffer + 3 * mm
        let kr = buffer + 4 * mm, ki = buffer + 5 * mm
        let c3r = buffer + 6 * mm, c3i = buffer + 7 * mm  // only for α ≠ 1: w3 with kernel w
        buffer.initialize(repeating: 0, count: 6 * mm + (fourthIsOne ? 2 * mm : 0))
        for i in 0..<n {
            let bx = Int(cell[2 * i]), by = Int(cell[2 * i + 1])
            let y1 = y[2 * i], y2 = y[2 * i + 1]
            let q3 = fourthIsOne ? 1 : y1 * y1 + y2 * y2
            for a in 0..<p {
                let wx = weights[(2 * i) * p + a]
                let row = (bx * p + a) * m
                for b in 0..<p {
                    let wxy = wx * weights[(2 * i + 1) * p + b]
                    let idx = row + by * p + b
                    c1r[idx] += wxy; c1i[idx] += wxy * y1; c2r[idx] += wxy * y2
                    if fourthIsOne { c3r[idx] += wxy * q3 } else { c2i[idx] += wxy * q3 }
                }
            }
        }
        // Kernel on node offsets, embedded circulantly: real part w·u, imaginary part w (α ≠ 1 only).
        for a in 0..<g {
            for b in 0..<g {
                let dx = Double(a) * spacing, dy = Double(b) * spacing
                let d2 = dx * dx + dy * dy
                let v = kernel.wu(d2), v2 = fourthIsOne ? kernel.w(d2) : 0
                let ma = (m - a) % m, mb = (m - b) % m
                kr[a * m + b] = v; ki[a * m + b] = v2
                kr[ma * m + b] = v; ki[ma * m + b] = v2
                kr[a * m + mb] = v; ki[a * m + mb] = v2
                kr[ma * m + mb] = v; ki[ma * m + mb] = v2
            }
        }
        FFT2D.forwardTransposed(kr, ki, plan: plan)  // real-even kernels → real spectra
        FFT2D.forwardTransposed(c1r, c1i, plan: plan, nonzeroRows: g)
        FFT2D.forwardTransposed(c2r, c2i, plan: plan, nonzeroRows: g)
        for t in 0..<mm {
            let k = kr[t]
            c1r[t] *= k; c1i[t] *= k; c2r[t] *= k; c2i[t] *= k
        }
        FFT2D.inverseFromTransposed(c1r, c1i, plan: plan, neededRows: g)
        FFT2D.inverseFromTransposed(c2r, c2i, plan: plan, neededRows: g)
        if fourthIsOne {
            FFT2D.forwardTransposed(c3r, c3i, plan: plan, nonzeroRows: g)
            for t in 0..<mm { c3r[t] *= ki[t]; c3i[t] *= ki[t] }
            FFT2D.inverseFromTransposed(c3r, c3i, plan: plan, neededRows: g)
        }
        let pot3 = fourthIsOne ? UnsafePointer(c3r) : UnsafePointer(c2i)

        // Interpolate potentials back to the points.
        var forces = [Double](repeating: 0, count: 2 * n)
        let zs = forces.withUnsafeMutableBufferPointer { fp -> [Double] in
            let f = fp.baseAddress!
            return EmbeddingParallel.mapChunks(count: n) { range -> Double in
                var z = 0.0
                for i in range {
                    let bx = Int(cell[2 * i]), by = Int(cell[2 * i + 1])
                    var phi0 = 0.0, phi1 = 0.0, phi2 = 0.0, phi3 = 0.0
                    for a in 0..<p {
                        let wx = weights[(2 * i) * p + a]
                        let row = (bx * p + a) * m
                        for b in 0..<p {
                            let wxy = wx * weights[(2 * i + 1) * p + b]
                            let idx = row + by * p + b
                            phi0 += wxy * c1r[idx]; phi1 += wxy * c1i[idx]; phi2 += wxy * c2r[idx]
                            phi3 += wxy * pot3[idx]
                        }
                    }
                    let y1 = y[2 * i], y2 = y[2 * i + 1]
                    if fourthIsOne {
                        z += phi3
                    } else {
                        z += (1 + y1 * y1 + y2 * y2) * phi0 - 2 * (y1 * phi1 + y2 * phi2) + phi3
                    }
                    f[2 * i] = y1 * phi0 - phi1
                    f[2 * i + 1] = y2 * phi0 - phi2
                }
                return z
            }
        }
        return RepulsiveForces(forces: forces, z: zs.reduce(0, +) - Double(n))
    }
}
