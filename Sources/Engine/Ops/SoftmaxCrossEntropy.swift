import Foundation

/// Mean softmax cross-entropy of logits [N, C] against integer class labels [N] (ONNX
/// SoftmaxCrossEntropyLoss with reduction "mean"; PyTorch `F.cross_entropy`). Output: a scalar (shape []).
/// Fused so the backward is the stable (softmax − one-hot) / N. Labels get no gradient.
public struct SoftmaxCrossEntropy: Operator {
    public var opType: String { "SoftmaxCrossEntropyLoss" }
    public init() {}

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let x = try shapes.required(0), y = try shapes.required(1, "labels")
        guard x.count == 2, y == [x[0]] else { throw ShapeError("cross-entropy needs logits [N, C] and labels [N]; got \(x), \(y)") }
        return [[]]
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let (loss, _) = try SoftmaxCrossEntropy.evaluate(logits: try inputs.required(0),
                                                         labels: try inputs.required(1, "labels"),
                                                         wantGradient: false)
        return [Tensor(scalar: loss)]
    }

    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        guard c.needs(0) else { return [nil, nil] }
        let (_, grad) = try SoftmaxCrossEntropy.evaluate(logits: try c.input(0), labels: try c.input(1),
                                                         wantGradient: true)
        let upstream = c.outputGradient().scalar
        return [grad! * upstream, nil]
    }
    public var backwardReadsOutputs: Bool { false }

    /// Loss (mean over the batch, accumulated in Double) and optionally d(loss)/d(logits).
    public static func evaluate(logits: Tensor, labels: Tensor, wantGradient: Bool = true) throws -> (loss: Float, gradient: Tensor?) {
        guard logits.rank == 2, labels.shape == [logits.shape[0]] else {
            throw ShapeError("cross-entropy needs logits [N, C] and labels [N]; got \(logits.shape), \(labels.shape)")
        }
        let n = logits.shape[0], classes = logits.shape[1]
        let targets = try labels.scalars.map { v -> Int in
            let k = Int(v)
            guard Float(k) == v, k >= 0, k < classes else { throw ShapeError("label \(v) is not a class in 0..<\(classes)") }
            return k
        }
        var logProb = Tensor(uninitializedShape: logits.shape)
        logits.withUnsafeBufferPointer { xs in
            logProb.withUnsafeMutableBufferPointer { ls in
                softmaxRows(xs.baseAddress!, ls.baseAddress!, outer: n, extent: classes, inner: 1, log: true)
            }
        }
        var total = 0.0
        logProb.withUnsafeBufferPointer { ls in
            for i in 0..<n { total -= Double(ls[i * classes + targets[i]]) }
        }
        let loss = n > 0 ? Float(total / Double(n)) : 0
        guard wantGradient else { return (loss, nil) }
        var grad = logProb
        grad.withUnsafeMutableBufferPointer { gs in
            let scale = 1 / Float(Swift.max(n, 1))
            for i in 0..<n {
                for k in 0..<classes { gs[i * classes + k] = expf(gs[i * classes + k]) * scale }
                gs[i * classes + targets[i]] -= scale
            }
        }
        return (loss, grad)
    }
}
