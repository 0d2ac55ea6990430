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
        precondition(features.shape == target.shape, "content loss: features \(features.shape) vs target \(target.shape)")
        var gradient = Tensor.zeros(features.shape)
        var total = 0.0
        features.withUnsafeBufferPointer { f in
            target.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    for i in 0..<f.count {
                        let d = f[i] - p[i]
                        total += Double(d) * Double(d)
                        g[i] = 2 * weight * d
                    }
                }
            }
        }
        return (Float(Double(weight) * total), gradient)
    }

    /// The content loss alone (`content(…).loss`, the same sum).
    public static func contentLoss(_ features: Tensor, target: Tensor, weight: Float) -> Float {
        precondition(features.shape == target.shape, "content loss: features \(features.shape) vs target \(target.shape)")
        var total = 0.0
        features.withUnsafeBufferPointer { f in
            target.withUnsafeBufferPointer { p in
                for i in 0..<f.count {
                    let d = f[i] - p[i]
                    total += Double(d) * Double(d)
                }
            }
        }
        return Float(Double(weight) * total)
    }

    /// Gram matrices `[N, C, C]` of features `[N, C, H, W]` (or `[N, C, L]`), normalised by C·H·W.
    public static func gram(_ features: Tensor) -> Tensor {
        precondition(features.rank >= 3, "gram expects [N, C, H, W], got \(features.shape)")
        let (n, c) = (features.shape[0], features.shape[1])
        let length = features.count / max(1, n * c)
        var out = Tensor.zeros([n, c, c])
        let scale = 1 / Float(c * length)
        features.withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { g in
                for b in 0..<n {
                    let a = f.baseAddress! + b * c * length
                    BLAS.sgemm(transB: true, m: c, n: c, k: length, alpha: scale, a: a, lda: length, b: a, ldb: length,
                               c: g.baseAddress! + b * c * c, ldc: c)
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
    /// gradient with respect to `x`.
    public static func totalVariation(_ x: Tensor, weight: Float) -> (loss: Float, gradient: Tensor) {
        precondition(x.rank == 4, "total variation expects [N, C, H, W], got \(x.shape)")
        let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        var gradient = Tensor.zeros(x.shape)
        var total = 0.0
        x.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                for plane in 0..<planes {
                    let base = plane * h * w
                    for y in 0..<h {
                        for xx in 0..<w {
                            let i = base + y * w + xx
                            if y + 1 < h {
                                let d = p[i + w] - p[i]
                                total += Double(d) * Double(d)
                                g[i + w] += 2 * weight * d
                                g[i] -= 2 * weight * d
                            }
                            if xx + 1 < w {
                                let d = p[i + 1] - p[i]
                                total += Double(d) * Double(d)
                                g[i + 1] += 2 * weight * d
                                g[i] -= 2 * weight * d
                            }
                        }
                    }
                }
            }
        }
        return (Float(Double(weight) * total), gradient)
    }

    /// Total variation alone (`totalVariation(…).loss`, the same sum in the same order).
    public static func totalVariationLoss(_ x: Tensor, weight: Float) -> Float {
        precondition(x.rank == 4, "total variation expects [N, C, H, W], got \(x.shape)")
        let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        var total = 0.0
        x.withUnsafeBufferPointer { p in
            for plane in 0..<planes {
                let base = plane * h * w
                for y in 0..<h {
                    for xx in 0..<w {
                        let i = base + y * w + xx
                        if y + 1 < h {
                            let d = p[i + w] - p[i]
                            total += Double(d) * Double(d)
                        }
                        if xx + 1 < w {
                            let d = p[i + 1] - p[i]
                            total += Double(d) * Double(d)
                        }
                    }
                }
            }
        }
        return Float(Double(weight) * total)
    }
}
