import Foundation

/// A small mixed-radix (2, 3, 4, 5) complex FFT, Stockham auto-sort, on split real/imaginary `Double` arrays.
/// Sizes must be 2^a·3^b·5^c (`isSmooth`). Written here because the engine links no FFT library.
final class FFTPlan: @unchecked Sendable {
    let n: Int
    private let radices: [Int]
    /// Per stage: twiddles w_{len}^{p·u} for p < len/r, u < r (interleaved re, im).
    private let twiddles: [[Double]]
    /// Per radix r: roots ω_r^{k} for k < r (re, im).
    private let roots: [Int: [Double]]

    static func isSmooth(_ n: Int) -> Bool {
        guard n >= 1 else { return false }
        var m = n
        for f in [2, 3, 5] { while m % f == 0 { m /= f } }
        return m == 1
    }

    /// Smallest 2,3,5-smooth integer ≥ n.
    static func nextSmooth(_ n: Int) -> Int {
        var m = max(1, n)
        while !isSmooth(m) { m += 1 }
        return m
    }

    init(size n: Int) {
        precondition(FFTPlan.isSmooth(n), "FFT size must be 2^a·3^b·5^c")
        self.n = n
        var rs = [Int]()
        var m = n
        while m % 4 == 0 { rs.append(4); m /= 4 }
        for f in [2, 3, 5] { while m % f == 0 { rs.append(f); m /= f } }
        radices = rs
        var tw = [[Double]]()
        var len = n
        for r in rs {
            let m = len / r
            var t = [Double](repeating: 0, count: 2 * m * r)
            for p in 0..<m {
                for u in 0..<r {
                    let a = -2 * Double.pi * Double(p * u) / Double(len)
                    t[2 * (p * r + u)] = cos(a); t[2 * (p * r + u) + 1] = sin(a)
                }
            }
            tw.append(t)
            len = m
        }
        twiddles = tw
        var ro = [Int: [Double]]()
        for r in Set(rs) {
            var v = [Double](repeating: 0, count: 2 * r)
            for k in 0..<r {
                let a = -2 * Double.pi * Double(k) / Double(r)
                v[2 * k] = cos(a); v[2 * k + 1] = sin(a)
            }
            ro[r] = v
        }
        roots = ro
    }

    /// In-place forward DFT of (re, im), each of length n; `work` holds 2n doubles of scratch.
    func forward(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                 work: UnsafeMutablePointer<Double>) {
        var xr = re, xi = im
        var yr = work, yi = work + n
        var len = n, s = 1
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 10)
        defer { scratch.deallocate() }
        for (stage, r) in radices.enumerated() {
            let m = len / r
            let tw = twiddles[stage]
            let root = roots[r]!
            tw.withUnsafeBufferPointer { twp in
                root.withUnsafeBufferPointer { rp in
                    let a = scratch, b = scratch + 5
                    switch r {
                    case 4:
                        for p in 0..<m {
                            let w = twp.baseAddress! + 8 * p
                            for q in 0..<s {
                                let i0 = q + s * p, st = s * m
                                let a0 = xr[i0], a1 = xr[i0 + st], a2 = xr[i0 + 2 * st], a3 = xr[i0 + 3 * st]
                                let b0 = xi[i0], b1 = xi[i0 + st], b2 = xi[i0 + 2 * st], b3 = xi[i0 + 3 * st]
                                let s0r = a0 + a2, s0i = b0 + b2, d0r = a0 - a2, d0i = b0 - b2
                                let s1r = a1 + a3, s1i = b1 + b3, d1r = a1 - a3, d1i = b1 - b3
                                let o = q + s * 4 * p
                                yr[o] = s0r + s1r; yi[o] = s0i + s1i
                                var tr = d0r + d1i, ti = d0i - d1r
                                yr[o + s] = tr * w[2] - ti * w[3]; yi[o + s] = tr * w[3] + ti * w[2]
                                tr = s0r - s1r; ti = s0i - s1i
                                yr[o + 2 * s] = tr * w[4] - ti * w[5]; yi[o + 2 * s] = tr * w[5] + ti * w[4]
                                tr = d0r - d1i; ti = d0i + d1r
                                yr[o + 3 * s] = tr * w[6] - ti * w[7]; yi[o + 3 * s] = tr * w[7] + ti * w[6]
                            }
                        }
                    case 3:
                        let c = 0.866_025_403_784_438_6  // sin(2π/3)
                        for p in 0..<m {
                            let w = twp.baseAddress! + 6 * p
                            for q in 0..<s {
                                let i0 = q + s * p, st = s * m
                                let a0 = xr[i0], a1 = xr[i0 + st], a2 = xr[i0 + 2 * st]
                                let b0 = xi[i0], b1 = xi[i0 + st], b2 = xi[i0 + 2 * st]
                                let tr = a1 + a2, ti = b1 + b2, dr = c * (a1 - a2), di = c * (b1 - b2)
                                let mr = a0 - 0.5 * tr, mi = b0 - 0.5 * ti
                                let o = q + s * 3 * p
                                yr[o] = a0 + tr; yi[o] = b0 + ti
                                var ur = mr + di, ui = mi - dr
                                yr[o + s] = ur * w[2] - ui * w[3]; yi[o + s] = ur * w[3] + ui * w[2]
                                ur = mr - di; ui = mi + dr
                                yr[o + 2 * s] = ur * w[4] - ui * w[5]; yi[o + 2 * s] = ur * w[5] + ui * w[4]
                            }
                        }
                    case 5:
                        let c1 = 0.309_016_994_374_947_45, c2 = -0.809_016_994_374_947_5  // cos(2π/5), cos(4π/5)
                        let s1 = 0.951_056_516_295_153_5, s2 = 0.587_785_252_292_473_1  // sin(2π/5), sin(4π/5)
                        for p in 0..<m {
                            let w = twp.baseAddress! + 10 * p
                            for q in 0..<s {
                                let i0 = q + s * p, st = s * m
                                let a0 = xr[i0], a1 = xr[i0 + st], a2 = xr[i0 + 2 * st], a3 = xr[i0 + 3 * st], a4 = xr[i0 + 4 * st]
                                let b0 = xi[i0], b1 = xi[i0 + st], b2 = xi[i0 + 2 * st], b3 = xi[i0 + 3 * st], b4 = xi[i0 + 4 * st]
                                let t1r = a1 + a4, t1i = b1 + b4, t2r = a2 + a3, t2i = b2 + b3
                                let t3r = a1 - a4, t3i = b1 - b4, t4r = a2 - a3, t4i = b2 - b3
                                let m1r = a0 + c1 * t1r + c2 * t2r, m1i = b0 + c1 * t1i + c2 * t2i
                                let m2r = a0 + c2 * t1r + c1 * t2r, m2i = b0 + c2 * t1i + c1 * t2i
                                let n1r = s1 * t3r + s2 * t4r, n1i = s1 * t3i + s2 * t4i  // y1 = m1 − i·n1, y4 = m1 + i·n1
                                let n2r = s2 * t3r - s1 * t4r, n2i = s2 * t3i - s1 * t4i  // y2 = m2 − i·n2, y3 = m2 + i·n2
                                let o = q + s * 5 * p
                                yr[o] = a0 + t1r + t2r; yi[o] = b0 + t1i + t2i
                                var ur = m1r + n1i, ui = m1i - n1r
                                yr[o + s] = ur * w[2] - ui * w[3]; yi[o + s] = ur * w[3] + ui * w[2]
                                ur = m2r + n2i; ui = m2i - n2r
                                yr[o + 2 * s] = ur * w[4] - ui * w[5]; yi[o + 2 * s] = ur * w[5] + ui * w[4]
                                ur = m2r - n2i; ui = m2i + n2r
                                yr[o + 3 * s] = ur * w[6] - ui * w[7]; yi[o + 3 * s] = ur * w[7] + ui * w[6]
                                ur = m1r - n1i; ui = m1i + n1r
                                yr[o + 4 * s] = ur * w[8] - ui * w[9]; yi[o + 4 * s] = ur * w[9] + ui * w[8]
                            }
                        }
                    case 2:
                        for p in 0..<m {
                            let wr = twp[4 * p + 2], wi = twp[4 * p + 3]
                            for q in 0..<s {
                                let i0 = q + s * p, i1 = i0 + s * m
                                let o = q + s * 2 * p
                                yr[o] = xr[i0] + xr[i1]; yi[o] = xi[i0] + xi[i1]
                                let tr = xr[i0] - xr[i1], ti = xi[i0] - xi[i1]
                                yr[o + s] = tr * wr - ti * wi; yi[o + s] = tr * wi + ti * wr
                            }
                        }
                    default:
                        for p in 0..<m {
                            for q in 0..<s {
                                for t in 0..<r { a[t] = xr[q + s * (p + t * m)]; b[t] = xi[q + s * (p + t * m)] }
                                for u in 0..<r {
                                    var sr = 0.0, si = 0.0
                                    var k = 0
                                    for t in 0..<r {
                                        let wr = rp[2 * k], wi = rp[2 * k + 1]
                                        sr += a[t] * wr - b[t] * wi
                                        si += a[t] * wi + b[t] * wr
                                        k += u; if k >= r { k -= r }
                                    }
                                    let wr = twp[2 * (p * r + u)], wi = twp[2 * (p * r + u) + 1]
                                    let o = q + s * (r * p + u)
                                    yr[o] = sr * wr - si * wi
                                    yi[o] = sr * wi + si * wr
                                }
                            }
                        }
                    }
                }
            }
            swap(&xr, &yr); swap(&xi, &yi)
            len = m; s *= r
        }
        if xr != re {
            re.update(from: xr, count: n)
            im.update(from: xi, count: n)
        }
    }
}

/// 2-D FFT of an M×M complex array (row-major), rows on `threads` threads. Inputs that are zero outside their first
/// `rows` rows skip those rows' transforms; inverse transforms can likewise produce only the first `rows` rows.
enum FFT2D {
    /// Forward transform; the result is stored TRANSPOSED (Fᵀ), which is fine for pointwise products with
    /// another array transformed the same way and undone by `inverseFromTransposed`.
    static func forwardTransposed(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                                  plan: FFTPlan, nonzeroRows: Int? = nil, threads: Int = 2) {
        rows(re, im, plan: plan, conjugate: false, count: nonzeroRows ?? plan.n, threads: threads)
        transpose(re, plan.n); transpose(im, plan.n)
        rows(re, im, plan: plan, conjugate: false, count: plan.n, threads: threads)
    }

    /// Inverse of `forwardTransposed` (scaled by 1/M²); only the first `neededRows` rows are valid.
    static func inverseFromTransposed(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                                      plan: FFTPlan, neededRows: Int? = nil, threads: Int = 2) {
        let needed = neededRows ?? plan.n
        rows(re, im, plan: plan, conjugate: true, count: plan.n, threads: threads)
        transpose(re, plan.n); transpose(im, plan.n)
        rows(re, im, plan: plan, conjugate: true, count: needed, threads: threads)
        let scale = 1 / Double(plan.n * plan.n)
        for t in 0..<(needed * plan.n) { re[t] *= scale; im[t] *= scale }
    }

    /// FFT of rows 0..<count; `conjugate` computes the unscaled inverse via conj(F(conj x)).
    private static func rows(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                             plan: FFTPlan, conjugate: Bool, count: Int, threads: Int) {
        let m = plan.n
        EmbeddingParallel.forEachChunk(count: count, chunks: threads) { range in
            let work = UnsafeMutablePointer<Double>.allocate(capacity: 2 * m)
            defer { work.deallocate() }
            for r in range {
                let pr = re + r * m, pi = im + r * m
                if conjugate { for t in 0..<m { pi[t] = -pi[t] } }
                plan.forward(pr, pi, work: work)
                if conjugate { for t in 0..<m { pi[t] = -pi[t] } }
            }
        }
    }

    /// In-place square transpose in 32×32 tiles (cache friendly).
    private static func transpose(_ a: UnsafeMutablePointer<Double>, _ m: Int) {
        let tile = 32
        for i0 in stride(from: 0, to: m, by: tile) {
            for j0 in stride(from: i0, to: m, by: tile) {
                for i in i0..<min(i0 + tile, m) {
                    for j in max(j0, i + 1)..<max(max(j0, i + 1), min(j0 + tile, m)) {
                        let t = a[i * m + j]; a[i * m + j] = a[j * m + i]; a[j * m + i] = t
                    }
                }
            }
        }
    }
}
