import Foundation

/// Local response normalisation across channels (ONNX LRN, AlexNet):
/// y[c] = x[c] / (bias + alpha/size · Σ x[c′]²)^beta over c′ in [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉].
public struct LRN: Operator {
    public var size: Int
    public var alpha: Float
    public var beta: Float
    public var bias: Float
    public var opType: String { "LRN" }

    public init(size: Int, alpha: Float = 1e-4, beta: Float = 0.75, bias: Float = 1) {
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.bias = bias
    }

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let x = try shapes.required(0)
        guard x.count >= 2, size > 0 else { throw ShapeError("LRN needs [N, C, …] and size > 0; got \(x)") }
        return [x]
    }

    /// The denominators d = bias + alpha/size · Σ window x², same layout as x.
    private func denominators(_ x: Tensor) -> Tensor {
        let n = x.shape[0], c = x.shape[1], plane = x.count / Swift.max(n * c, 1)
        let before = (size - 1) / 2, after = size - 1 - before
        let scale = alpha / Float(size)
        var d = Tensor(uninitializedShape: x.shape)
        x.withUnsafeBufferPointer { xs in
            d.withUnsafeMutableBufferPointer { ds in
                for i in 0..<n {
                    for ch in 0..<c {
                        let out = ds.baseAddress! + (i * c + ch) * plane
                        out.update(repeating: 0, count: plane)
                        for k in Swift.max(0, ch - before)...Swift.min(c - 1, ch + after) {
                            let src = xs.baseAddress! + (i * c + k) * plane
                            for j in 0..<plane { out[j] += src[j] * src[j] }
                        }
                        for j in 0..<plane { out[j] = bias + scale * out[j] }
                    }
                }
            }
        }
        return d
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        _ = try outputShapes([x.shape], values: [nil])
        let b = beta
        return [x.zipMap(denominators(x)) { v, d in v * powf(d, -b) }]
    }

    /// dx_i = g_i·d_i^−β − (2αβ/size)·x_i·Σ_{c: i ∈ window(c)} g_c·x_c·d_c^(−β−1).
    public func backward(_ ctx: BackwardContext) throws -> [Tensor?] {
        let x = try ctx.input(0)
        let d = denominators(x)
        let g = ctx.outputGradient()
        let n = x.shape[0], c = x.shape[1], plane = x.count / Swift.max(n * c, 1)
        let before = (size - 1) / 2, after = size - 1 - before
        let b = beta
        // t_c = g_c · x_c · d_c^(−β−1)
        let t = g.zipMap(x) { $0 * $1 }.zipMap(d) { v, dd in v * powf(dd, -b - 1) }
        var dx = g.zipMap(d) { gg, dd in gg * powf(dd, -b) }
        let factor = 2 * alpha * beta / Float(size)
        x.withUnsafeBufferPointer { xs in
            t.withUnsafeBufferPointer { ts in
                dx.withUnsafeMutableBufferPointer { dxs in
                    for i in 0..<n {
                        for ch in 0..<c {
                            // Channels whose window contains ch: c′ with c′ − before ≤ ch ≤ c′ + after.
                            let out = dxs.baseAddress! + (i * c + ch) * plane
                            let xv = xs.baseAddress! + (i * c + ch) * plane
                            for k in Swift.max(0, ch - after)...Swift.min(c - 1, ch + before) {
                                let tk = ts.baseAddress! + (i * c + k) * plane
                                for j in 0..<plane { out[j] -= factor * xv[j] * tk[j] }
                            }
                        }
                    }
                }
            }
        }
        return [dx]
    }
    public var backwardReadsOutputs: Bool { false }
}
