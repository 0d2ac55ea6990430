/// Inference-mode batch normalisation over axis 1: y = scale · (x − mean) / √(var + ε) + B.
/// Inputs X [N, C, …], scale, B, mean, var (each [C]). Backward treats it as the per-channel affine map it
/// is at inference, giving gradients to X, scale and B (and to mean and var, for completeness).
public struct BatchNormalization: Operator {
    public var epsilon: Float
    public var opType: String { "BatchNormalization" }
    public init(epsilon: Float = 1e-5) { self.epsilon = epsilon }

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let x = try shapes.required(0)
        guard x.count >= 2 else { throw ShapeError("BatchNormalization needs [N, C, …]; got \(x)") }
        for i in 1...4 where try shapes.required(i) != [x[1]] {
            throw ShapeError("BatchNormalization parameter \(i) must be [\(x[1])]; got \(shapes[i]!)")
        }
        return [x]
    }

    /// Per-channel a, b with y = a·x + b, and 1/√(var + ε).
    func affine(_ inputs: [Tensor?]) throws -> (a: [Float], b: [Float], invStd: [Float]) {
        let scale = try inputs.required(1).scalars, bias = try inputs.required(2).scalars
        let mean = try inputs.required(3).scalars, variance = try inputs.required(4).scalars
        let invStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
        let a = (0..<scale.count).map { scale[$0] * invStd[$0] }
        let b = (0..<scale.count).map { bias[$0] - mean[$0] * a[$0] }
        return (a, b, invStd)
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        _ = try outputShapes(inputs.map { $0?.shape }, values: [])
        let (a, b, _) = try affine(inputs)
        let n = x.shape[0], c = x.shape[1], plane = x.count / Swift.max(n * c, 1)
        var y = Tensor(uninitializedShape: x.shape)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                for i in 0..<n {
                    for ch in 0..<c {
                        let off = (i * c + ch) * plane
                        let ai = a[ch], bi = b[ch]
                        for j in 0..<plane { ys[off + j] = ai * xs[off + j] + bi }
                    }
                }
            }
        }
        return [y]
    }

    public func backward(_ ctx: BackwardContext) throws -> [Tensor?] {
        let x = try ctx.input(0)
        let (a, _, invStd) = try affine(ctx.inputs)
        let scale = try ctx.input(1).scalars, mean = try ctx.input(3).scalars
        let n = x.shape[0], c = x.shape[1], plane = x.count / Swift.max(n * c, 1)
        let g = ctx.outputGradient()
        var dx: Tensor?
        if ctx.needs(0) {
            var out = Tensor(uninitializedShape: x.shape)
            g.withUnsafeBufferPointer { gs in
                out.withUnsafeMutableBufferPointer { os in
                    for i in 0..<n {
                        for ch in 0..<c {
                            let off = (i * c + ch) * plane
                            for j in 0..<plane { os[off + j] = a[ch] * gs[off + j] }
                        }
                    }
                }
            }
            dx = out
        }
        // Per-channel sums of g and g·(x − mean).
        var sumG = [Double](repeating: 0, count: c), sumGX = [Double](repeating: 0, count: c)
        g.withUnsafeBufferPointer { gs in
            x.withUnsafeBufferPointer { xs in
                for i in 0..<n {
                    for ch in 0..<c {
                        let off = (i * c + ch) * plane
                        var s: Float = 0, sx: Float = 0
                        for j in 0..<plane {
                            s += gs[off + j]
                            sx += gs[off + j] * (xs[off + j] - mean[ch])
                        }
                        sumG[ch] += Double(s)
                        sumGX[ch] += Double(sx)
                    }
                }
            }
        }
        let dScale = (0..<c).map { Float(sumGX[$0]) * invStd[$0] }
        let dBias = sumG.map(Float.init)
        let dMean = (0..<c).map { -a[$0] * Float(sumG[$0]) }
        let dVar = (0..<c).map { -0.5 * scale[$0] * Float(sumGX[$0]) * invStd[$0] * invStd[$0] * invStd[$0] }
        func wrap(_ v: [Float], _ i: Int) -> Tensor? { ctx.needs(i) ? Tensor(shape: [c], data: v) : nil }
        return [dx, wrap(dScale, 1), wrap(dBias, 2), wrap(dMean, 3), wrap(dVar, 4)]
    }
    public var backwardReadsOutputs: Bool { false }
}
