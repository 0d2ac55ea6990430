import Foundation

/// The losses of CS231n's style-transfer assignment, each returning its value and its gradient with respect
/// to what it reads (features or pixels). Sums are accumulated in Double.
///
/// - content: `w · Σ (F − P)²`, ∂/∂F = `2w (F − P)`.
/// - Gram: `G = F Fᵀ / (C·H·W)` for features `[N, C, H, W]` (one `C×C` matrix per batch row).
/// - style: `Σ_l w_l · Σ (G_l − A_l)²`, ∂/∂F_l = `4 w_l (G_l − A_l) F_l / (C·H·W)` (G symmetric).
/// - total variation: `w · (Σ dx² + Σ dy²)` over every channel.
public enum SynthesisLoss {
    /// Content loss and its gradient with respect to `features`. Precondition: same shapes.
    public static func content(_ features: Tensor, target: Tensor, weight: Float) -> (loss: Float, gradient: Tensor) {
        let loss = contentLoss(features, target: target, weight: weight)
        var gradient = Tensor(uninitializedShape: features.shape)
        let k = 2 * weight
        features.withUnsafeBufferPointer { f in
            target.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    for i in 0..<f.count { g[i] = k * (f[i] - p[i]) }
                }
            }
        }
        return (loss, gradient)
    }

    /// The content loss alone (`content(…).loss`).
    public static func contentLoss(_ features: Tensor, target: Tensor, weight: Float) -> Float {
        precondition(features.shape == target.shape, "content loss: features \(features.shape) vs target \(target.shape)")
        let total = features.withUnsafeBufferPointer { f in
            target.withUnsafeBufferPointer { p in sumOfSquaredDifferences(f.baseAddress!, p.baseAddress!, count: f.count) }
        }
        return Float(Double(weight) * total)
    }

    /// Σ (a[i] − b[i])², the differences in Float and their squares summed in Double, eight lanes at a time in
    /// four partial sums (one running Double sum is a chain of dependent additions, 4× slower at 192×256).
    static func sumOfSquaredDifferences(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, count: Int) -> Double {
        guard let a, let b, count > 0 else { return 0 }
        var (s0, s1, s2, s3) = (SIMD2<Double>(), SIMD2<Double>(), SIMD2<Double>(), SIMD2<Double>())
        var i = 0
        while i + 8 <= count {
            let d = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self) - UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            let (d0, d1) = (SIMD2<Double>(Double(d[0]), Double(d[1])), SIMD2<Double>(Double(d[2]), Double(d[3])))
            let (d2, d3) = (SIMD2<Double>(Double(d[4]), Double(d[5])), SIMD2<Double>(Double(d[6]), Double(d[7])))
            s0 += d0 * d0
            s1 += d1 * d1
            s2 += d2 * d2
            s3 += d3 * d3
            i += 8
        }
        var total = ((s0 + s1) + (s2 + s3)).sum()
        while i < count {
            let d = Double(a[i] - b[i])
            total += d * d
            i += 1
        }
        return total
    }

    /// Gram matrices `[N, C, C]` of features `[N, C, H, W]` (or `[N, C, L]`), normalised by C·H·W. G is
    /// symmetric, so only the blocks on and above the diagonal are multiplied, in four block rows (5/8 of the
    /// products: 4.4 → 3.2 ms for squeezenet's four style layers at 192×256, one core), then mirrored.
    public static func gram(_ features: Tensor) -> Tensor {
        precondition(features.rank >= 3, "gram expects [N, C, H, W], got \(features.shape)")
        let (n, c) = (features.shape[0], features.shape[1])
        let length = features.count / max(1, n * c)
        var out = Tensor.zeros([n, c, c])
        let scale = 1 / Float(c * length)
        let blocks = c >= 32 ? 4 : 1
        features.withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { g in
                guard let f = f.baseAddress, let g = g.baseAddress else { return }
                for b in 0..<n {
                    let (a, gb) = (f + b * c * length, g + b * c * c)
                    for block in 0..<blocks {  // rows r0..<r1 against rows r0..<c
                        let (r0, r1) = (block * c / blocks, (block + 1) * c / blocks)
                        BLAS.sgemm(transB: true, m: r1 - r0, n: c - r0, k: length, alpha: scale, a: a + r0 * length, lda: length,
                                   b: a + r0 * length, ldb: length, c: gb + r0 * c + r0, ldc: c)
                    }
                    for i in 0..<c { for j in 0..<i { gb[i * c + j] = gb[j * c + i] } }
                }
            }
        }
        return out
    }

    /// One layer's style term `w · Σ (G − A)²` and its gradient with respect to the features.
    /// - Parameter target: `[N, C, C]` (or `[1, C, C]`, shared by every row).
    public static func style(_ features: Tensor, target: Tensor, weight: Float) -> (loss: Float, gradient: Tensor) {
        let (n, c) = (features.shape[0], features.shape[1])
        let length = features.count / max(1, n * c)
        let (loss, difference) = gramDifference(features, target: target, weight: weight)
        // ∂L/∂F = (∂L/∂G + ∂L/∂Gᵀ) F / (C·L) = 4w (G − A) F / (C·L); the product (β = 0) writes every element.
        var gradient = Tensor(uninitializedShape: features.shape)
        let alpha = 4 * weight / Float(c * length)
        difference.withUnsafeBufferPointer { d in
            features.withUnsafeBufferPointer { f in
                gradient.withUnsafeMutableBufferPointer { out in
                    for b in 0..<n {
                        BLAS.sgemm(m: c, n: length, k: c, alpha: alpha, a: d.baseAddress! + b * c * c, lda: c,
                                   b: f.baseAddress! + b * c * length, ldb: length,
                                   c: out.baseAddress! + b * c * length, ldc: length)
                    }
                }
            }
        }
        return (loss, gradient)
    }

    /// One layer's style term alone (`style(…).loss`, without the gradient's matrix product).
    public static func styleLoss(_ features: Tensor, target: Tensor, weight: Float) -> Float {
        gramDifference(features, target: target, weight: weight).loss
    }

    /// `w · Σ (G − A)²` and `G − A` for features `[N, C, H, W]` and a Gram target `[N, C, C]` or `[1, C, C]`.
    private static func gramDifference(_ features: Tensor, target: Tensor, weight: Float) -> (loss: Float, difference: Tensor) {
        let (n, c) = (features.shape[0], features.shape[1])
        precondition(target.count == c * c || target.count == n * c * c, "style loss: Gram target \(target.shape) for \(c) channels")
        let g = gram(features)
        var difference = Tensor.zeros([n, c, c])
        var total = 0.0
        g.withUnsafeBufferPointer { gs in
            target.withUnsafeBufferPointer { a in
                difference.withUnsafeMutableBufferPointer { d in
                    for i in 0..<gs.count {
                        let v = gs[i] - a[target.count == gs.count ? i : i % (c * c)]
                        d[i] = v
                        total += Double(v) * Double(v)
                    }
                }
            }
        }
        return (Float(Double(weight) * total), difference)
    }

    /// Total variation `w · (Σ (x[i+1, j] − x[i, j])² + Σ (x[i, j+1] − x[i, j])²)` of `[N, C, H, W]`, and its
    /// gradient with respect to `x`: at each pixel `k(x − up) + k(x − left) − k(down − x) − k(right − x)` with
    /// k = 2w, the terms outside the image left out.
    public static func totalVariation(_ x: Tensor, weight: Float) -> (loss: Float, gradient: Tensor) {
        let loss = totalVariationLoss(x, weight: weight)
        let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        var gradient = Tensor(uninitializedShape: x.shape)
        let k = 2 * weight
        x.withUnsafeBufferPointer { ps in
            gradient.withUnsafeMutableBufferPointer { gs in
                guard let p = ps.baseAddress, let g = gs.baseAddress else { return }
                @inline(__always)
                func element(_ i: Int, up: Bool, left: Bool, down: Bool, right: Bool) -> Float {
                    var s: Float = 0
                    if up { s += k * (p[i] - p[i - w]) }
                    if left { s += k * (p[i] - p[i - 1]) }
                    if down { s -= k * (p[i + w] - p[i]) }
                    if right { s -= k * (p[i + 1] - p[i]) }
                    return s
                }
                for plane in 0..<planes {
                    for y in 0..<h {
                        let (up, down, row) = (y > 0, y + 1 < h, (plane * h + y) * w)
                        g[row] = element(row, up: up, left: false, down: down, right: w > 1)
                        guard w > 1 else { continue }
                        if up && down {
                            for i in (row + 1)..<(row + w - 1) { g[i] = element(i, up: true, left: true, down: true, right: true) }
                        } else {
                            for i in (row + 1)..<(row + w - 1) { g[i] = element(i, up: up, left: true, down: down, right: true) }
                        }
                        g[row + w - 1] = element(row + w - 1, up: up, left: true, down: down, right: false)
                    }
                }
            }
        }
        return (loss, gradient)
    }

    /// Total variation alone (`totalVariation(…).loss`).
    public static func totalVariationLoss(_ x: Tensor, weight: Float) -> Float {
        precondition(x.rank == 4, "total variation expects [N, C, H, W], got \(x.shape)")
        let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        var total = 0.0
        x.withUnsafeBufferPointer { ps in
            guard let p = ps.baseAddress, h > 0, w > 0 else { return }
            for plane in 0..<planes {
                let base = p + plane * h * w
                total += sumOfSquaredDifferences(base + w, base, count: (h - 1) * w)  // rows below minus rows above
                for y in 0..<h { total += sumOfSquaredDifferences(base + y * w + 1, base + y * w, count: w - 1) }
            }
        }
        return Float(Double(weight) * total)
    }
}
