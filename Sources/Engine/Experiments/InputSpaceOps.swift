import Foundation

/// Image operations on `[N, C, H, W]` tensors in the model's input space, used by the optimisation experiments.
extension Tensor {
    /// Circular shift by `dy` rows and `dx` columns (CS231n's `jitter`, numpy's `roll`).
    public func rolled(dy: Int, dx: Int) -> Tensor {
        precondition(rank == 4, "rolled expects [N, C, H, W]")
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        guard h > 0, w > 0 else { return self }
        // Each source row lands in one target row, split in two pieces at the wrap: two copies, no modulo
        // per pixel.
        let (sy, sx) = ((dy % h + h) % h, (dx % w + w) % w)
        var out = Tensor(uninitializedShape: shape)
        out.withUnsafeMutableBufferPointer { o in
            withUnsafeBufferPointer { x in
                for p in 0..<planes {
                    let base = p * h * w
                    for y in 0..<h {
                        let ty = y + sy < h ? y + sy : y + sy - h
                        let src = x.baseAddress! + base + y * w, dst = o.baseAddress! + base + ty * w
                        (dst + sx).update(from: src, count: w - sx)
                        dst.update(from: src + w - sx, count: sx)
                    }
                }
            }
        }
        return out
    }

    /// Gaussian blur over H and W, separably, like scipy's `gaussian_filter1d` (mode "reflect", truncate 4).
    public func gaussianBlurred(sigma: Float) -> Tensor {
        precondition(rank == 4, "gaussianBlurred expects [N, C, H, W]")
        guard sigma > 0 else { return self }
        let radius = Int(4 * sigma + 0.5)
        var kernel: [Float] = (-radius...radius).map { (k: Int) -> Float in
            let x = Float(k)
            return Foundation.exp(-0.5 * x * x / (sigma * sigma))
        }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        func reflect(_ i: Int, _ n: Int) -> Int {
            // scipy "reflect": (d c b a | a b c d | d c b a)
            var i = i
            let period = 2 * n
            i = ((i % period) + period) % period
            return i < n ? i : period - 1 - i
        }
        var tmp = Tensor.zeros(shape)
        var out = Tensor.zeros(shape)
        tmp.withUnsafeMutableBufferPointer { t in
            withUnsafeBufferPointer { x in
                for p in 0..<planes {
                    let base = p * h * w
                    for y in 0..<h {
                        for xx in 0..<w {
                            var s: Float = 0
                            for k in -radius...radius { s += kernel[k + radius] * x[base + reflect(y + k, h) * w + xx] }
                            t[base + y * w + xx] = s
                        }
                    }
                }
            }
        }
        out.withUnsafeMutableBufferPointer { o in
            tmp.withUnsafeBufferPointer { t in
                for p in 0..<planes {
                    let base = p * h * w
                    for y in 0..<h {
                        for xx in 0..<w {
                            var s: Float = 0
                            for k in -radius...radius { s += kernel[k + radius] * t[base + y * w + reflect(xx + k, w)] }
                            o[base + y * w + xx] = s
                        }
                    }
                }
            }
        }
        return out
    }

    /// Clamps each channel c to [low[c], high[c]].
    public func clampedPerChannel(low: [Float], high: [Float]) -> Tensor {
        precondition(rank == 4, "clampedPerChannel expects [N, C, H, W]")
        let (n, c, plane) = (shape[0], shape[1], shape[2] * shape[3])
        var out = self
        out.withUnsafeMutableBufferPointer { o in
            for b in 0..<n {
                for ch in 0..<c {
                    let (lo, hi) = (low[low.count == 1 ? 0 : ch], high[high.count == 1 ? 0 : ch])
                    let base = (b * c + ch) * plane
                    for i in 0..<plane { o[base + i] = Swift.min(hi, Swift.max(lo, o[base + i])) }
                }
            }
        }
        return out
    }

    /// √(Σ x²), accumulated in Double.
    public var l2Norm: Float {
        withUnsafeBufferPointer { x in Float(x.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()) }
    }
}

extension Preprocessing {
    /// The input-space values of pixel 0 and pixel 1 per channel: the valid range after normalisation.
    public var validRange: (low: [Float], high: [Float]) {
        let means = (0..<channels).map { mean.count == 1 ? mean[0] : mean[$0] }
        let stds = (0..<channels).map { std.count == 1 ? std[0] : std[$0] }
        return (zip(means, stds).map { -$0 / $1 }, zip(means, stds).map { (1 - $0) / $1 })
    }
}
