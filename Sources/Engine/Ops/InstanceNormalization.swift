/// ONNX InstanceNormalization (Ulyanov et al. 2016, the normalisation of Johnson-style transformer networks):
/// every (sample, channel) plane of X `[N, C, …]` is normalised by its own mean and (biased) variance,
/// y = scale · (x − μ) / √(σ² + ε) + B, with scale and B `[C]`. The same at training and inference.
///
/// Backward (per plane of L elements, x̂ = (x − μ)/√(σ² + ε)):
/// ∂x = scale / √(σ² + ε) · (g − mean(g) − x̂ · mean(g·x̂)), ∂scale = Σ g·x̂, ∂B = Σ g (summed over N and the plane).
public struct InstanceNormalization: Operator {
    public var epsilon: Float
    public var opType: String { "InstanceNormalization" }
    public init(epsilon: Float = 1e-5) { self.epsilon = epsilon }

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let x = try shapes.required(0)
        guard x.count >= 3 else { throw ShapeError("InstanceNormalization needs [N, C, D1, …]; got \(x)") }
        for i in 1...2 where try shapes.required(i, i == 1 ? "scale" : "B") != [x[1]] {
            throw ShapeError("InstanceNormalization \(i == 1 ? "scale" : "B") must be [\(x[1])]; got \(shapes[i]!)")
        }
        return [x]
    }

    /// Mean and 1/√(σ² + ε) of every plane (in Double, then rounded).
    func statistics(_ x: Tensor, planes: Int, length: Int) -> (mean: [Float], invStd: [Float]) {
        var means = [Float](repeating: 0, count: planes)
        var invStds = [Float](repeating: 0, count: planes)
        x.withUnsafeBufferPointer { xs in
            for p in 0..<planes {
                let base = p * length
                var sum = 0.0
                for j in 0..<length { sum += Double(xs[base + j]) }
                let mean = sum / Double(Swift.max(length, 1))
                var squares = 0.0
                for j in 0..<length {
                    let d = Double(xs[base + j]) - mean
                    squares += d * d
                }
                means[p] = Float(mean)
                invStds[p] = Float(1 / (squares / Double(Swift.max(length, 1)) + Double(epsilon)).squareRoot())
            }
        }
        return (means, invStds)
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        _ = try outputShapes(inputs.map { $0?.shape }, values: [])
        let scale = try inputs.required(1).scalars
        let bias = try inputs.required(2).scalars
        let (n, c) = (x.shape[0], x.shape[1])
        let length = x.count / Swift.max(n * c, 1)
        let (mean, invStd) = statistics(x, planes: n * c, length: length)
        var y = Tensor(uninitializedShape: x.shape)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                for p in 0..<(n * c) {
                    let a = scale[p % c] * invStd[p]
                    let b = bias[p % c] - mean[p] * a
                    let base = p * length
                    for j in 0..<length { ys[base + j] = a * xs[base + j] + b }
                }
            }
        }
        return [y]
    }

    public func backward(_ ctx: BackwardContext) throws -> [Tensor?] {
        let x = try ctx.input(0)
        let scale = try ctx.input(1).scalars
        let (n, c) = (x.shape[0], x.shape[1])
        let length = x.count / Swift.max(n * c, 1)
        let (mean, invStd) = statistics(x, planes: n * c, length: length)
        let g = ctx.outputGradient()
        var dx = ctx.needs(0) ? Tensor(uninitializedShape: x.shape) : nil
        var dScale = [Double](repeating: 0, count: c)
        var dBias = [Double](repeating: 0, count: c)
        g.withUnsafeBufferPointer { gs in
            x.withUnsafeBufferPointer { xs in
                for p in 0..<(n * c) {
                    let base = p * length
                    var sumG = 0.0, sumGX = 0.0
                    for j in 0..<length {
                        let xhat = Double((xs[base + j] - mean[p]) * invStd[p])
                        sumG += Double(gs[base + j])
                        sumGX += Double(gs[base + j]) * xhat
                    }
                    dScale[p % c] += sumGX
                    dBias[p % c] += sumG
                    guard dx != nil else { continue }
                    let meanG = Float(sumG / Double(length)), meanGX = Float(sumGX / Double(length))
                    let a = scale[p % c] * invStd[p]
                    dx!.withUnsafeMutableBufferPointer { ds in
                        for j in 0..<length {
                            let xhat = (xs[base + j] - mean[p]) * invStd[p]
                            ds[base + j] = a * (gs[base + j] - meanG - xhat * meanGX)
                        }
                    }
                }
            }
        }
        return [dx, ctx.needs(1) ? Tensor(shape: [c], data: dScale.map(Float.init)) : nil,
                ctx.needs(2) ? Tensor(shape: [c], data: dBias.map(Float.init)) : nil]
    }

    public func backwardReadsInput(_ i: Int) -> Bool { i < 2 }
    public var backwardReadsOutputs: Bool { false }
}
