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
                    for p in 0..<m {
                        for q in 0..<s {
                            for t in 0..<r { a[t] = xr[q + s * (p + t * m)]; b[t] = xi[q + s * (p + t * m)] }
                            for u in 0..<r {
                                var sr = 0.0, si = 0.0
                                if r == 2 {
                                    sr = u == 0 ? a[0] + a[1] : a[0] - a[1]
                                    si = u == 0 ? b[0] + b[1] : b[0] - b[1]
                                } else if r == 4 {
                                    switch u {
                                    case 0: sr = a[0] + a[1] + a[2] + a[3]; si = b[0] + b[1] + b[2] + b[3]
                                    case 1: sr = a[0] + b[1] - a[2] - b[3]; si = b[0] - a[1] - b[2] + a[3]
                                    case 2: sr = a[0] - a[1] + a[2] - a[3]; si = b[0] - b[1] + b[2] - b[3]
                                    default: sr = a[0] - b[1] - a[2] + b[3]; si = b[0] + a[1] - b[2] - a[3]
                                    }
                                } else {
                                    for t in 0..<r {
                                        let k = (t * u) % r
                                        let wr = rp[2 * k], wi = rp[2 * k + 1]
                                        sr += a[t] * wr - b[t] * wi
                                        si += a[t] * wi + b[t] * wr
                                    }
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
            swap(&xr, &yr); swap(&xi, &yi)
            len = m; s *= r
        }
        if xr != re {
            re.update(from: xr, count: n)
            im.update(from: xi, count: n)
        }
    }
}

/// 2-D FFT of an M×M complex array (row-major), rows in parallel.
enum FFT2D {
    /// Forward transform; the result is stored TRANSPOSED (F ᵀ), which is fine for pointwise products with
    /// another array transformed the same way and undone by `inverseFromTransposed`.
    static func forwardTransposed(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                                  plan: FFTPlan) {
        rows(re, im, plan: plan, conjugate: false)
        transpose(re, plan.n); transpose(im, plan.n)
        rows(re, im, plan: plan, conjugate: false)
    }

    /// Inverse of `forwardTransposed` (scaled by 1/M²).
    static func inverseFromTransposed(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                                      plan: FFTPlan) {
        rows(re, im, plan: plan, conjugate: true)
        transpose(re, plan.n); transpose(im, plan.n)
        rows(re, im, plan: plan, conjugate: true)
        let scale = 1 / Double(plan.n * plan.n)
        for t in 0..<(plan.n * plan.n) { re[t] *= scale; im[t] *= scale }
    }

    /// FFT of every row; `conjugate` computes the unscaled inverse via conj(F(conj x)).
    private static func rows(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                             plan: FFTPlan, conjugate: Bool) {
        let m = plan.n
        EmbeddingParallel.forEachChunk(count: m, chunks: 2) { range in
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

    private static func transpose(_ a: UnsafeMutablePointer<Double>, _ m: Int) {
        for i in 0..<m {
            for j in (i + 1)..<max(i + 1, m) {
                let t = a[i * m + j]; a[i * m + j] = a[j * m + i]; a[j * m + i] = t
            }
        }
    }
}
