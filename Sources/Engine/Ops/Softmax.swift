import Foundation

/// Splits a shape around `axis` into (outer, extent, inner) for row-wise kernels; `flattenTail` folds all
/// axes from `axis` on into one (ONNX Softmax before opset 13).
func rows(_ shape: [Int], axis: Int, flattenTail: Bool) throws -> (outer: Int, extent: Int, inner: Int) {
    let a = try Tensor.normalizedAxis(axis, rank: shape.count)
    if flattenTail { return (shape[..<a].reduce(1, *), shape[a...].reduce(1, *), 1) }
    return (shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *))
}

/// Numerically stable softmax (or log-softmax) along one axis, into `out`. With `precise`, exp and the sum are
/// taken in Double: explanations subtract probabilities of nearby inputs (occlusion's drop of a 1e-3
/// probability by 2e-5 on 1000 classes), where Float's sum costs about 5e-4 relative error against Captum.
@inline(__always)
func softmaxRows(
    _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, outer: Int, extent: Int, inner: Int,
    log: Bool, precise: Bool = false
) {
    for o in 0..<outer {
        for i in 0..<inner {
            let base = o * extent * inner + i
            var m = -Float.infinity
            for k in 0..<extent { m = Swift.max(m, x[base + k * inner]) }
            if precise {
                var s = 0.0
                for k in 0..<extent { s += Foundation.exp(Double(x[base + k * inner] - m)) }
                for k in 0..<extent {
                    let shifted = Double(x[base + k * inner] - m)
                    out[base + k * inner] = Float(log ? shifted - Foundation.log(s) : Foundation.exp(shifted) / s)
                }
                continue
            }
            var s: Float = 0
            for k in 0..<extent { s += expf(x[base + k * inner] - m) }
            if log {
                let ls = logf(s)
                for k in 0..<extent { out[base + k * inner] = x[base + k * inner] - m - ls }
            } else {
                for k in 0..<extent { out[base + k * inner] = expf(x[base + k * inner] - m) / s }
            }
        }
    }
}

/// softmax along `axis` (opset ≥ 13 semantics; `legacyFlatten` gives opset < 13: rows are all axes from
/// `axis` on). Backward: dx = y ⊙ (g − Σ g ⊙ y).
public struct Softmax: Operator {
    public var axis: Int
    public var legacyFlatten: Bool
    public var opType: String { "Softmax" }
    public init(axis: Int = -1, legacyFlatten: Bool = false) {
        self.axis = axis
        self.legacyFlatten = legacyFlatten
    }
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] { try sameShapeAsFirst(shapes) }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        let r = try rows(x.shape, axis: axis, flattenTail: legacyFlatten)
        var y = Tensor(uninitializedShape: x.shape)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                softmaxRows(
                    xs.baseAddress!, ys.baseAddress!, outer: r.outer, extent: r.extent, inner: r.inner, log: false)
            }
        }
        return [y]
    }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        let y = c.outputs[0]
        let r = try rows(y.shape, axis: axis, flattenTail: legacyFlatten)
        var dx = c.outputGradient()
        y.withUnsafeBufferPointer { ys in
            dx.withUnsafeMutableBufferPointer { gs in
                for o in 0..<r.outer {
                    for i in 0..<r.inner {
                        let base = o * r.extent * r.inner + i
                        var dot: Float = 0
                        for k in 0..<r.extent { dot += gs[base + k * r.inner] * ys[base + k * r.inner] }
                        for k in 0..<r.extent {
                            let idx = base + k * r.inner
                            gs[idx] = ys[idx] * (gs[idx] - dot)
                        }
                    }
                }
            }
        }
        return [dx]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { false }
}

/// log(softmax) along `axis`. Backward: dx = g − softmax ⊙ Σ g.
public struct LogSoftmax: Operator {
    public var axis: Int
    public var legacyFlatten: Bool
    public var opType: String { "LogSoftmax" }
    public init(axis: Int = -1, legacyFlatten: Bool = false) {
        self.axis = axis
        self.legacyFlatten = legacyFlatten
    }
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] { try sameShapeAsFirst(shapes) }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        let r = try rows(x.shape, axis: axis, flattenTail: legacyFlatten)
        var y = Tensor(uninitializedShape: x.shape)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                softmaxRows(
                    xs.baseAddress!, ys.baseAddress!, outer: r.outer, extent: r.extent, inner: r.inner, log: true)
            }
        }
        return [y]
    }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        let y = c.outputs[0]
        let r = try rows(y.shape, axis: axis, flattenTail: legacyFlatten)
        var dx = c.outputGradient()
        y.withUnsafeBufferPointer { ys in
            dx.withUnsafeMutableBufferPointer { gs in
                for o in 0..<r.outer {
                    for i in 0..<r.inner {
                        let base = o * r.extent * r.inner + i
                        var total: Float = 0
                        for k in 0..<r.extent { total += gs[base + k * r.inner] }
                        for k in 0..<r.extent {
                            let idx = base + k * r.inner
                            gs[idx] -= expf(ys[idx]) * total
                        }
                    }
                }
            }
        }
        return [dx]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { false }
}
