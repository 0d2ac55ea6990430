import Foundation

/// Which scalar of a classifier an attribution explains.
public enum ScoreKind: String, Sendable, CaseIterable {
    /// The unnormalised class score (what Simonyan et al. and CS231n differentiate).
    case logit
    /// The softmax probability (what Zeiler & Fergus's occlusion measures).
    case probability = "prob"
    /// The target's logit minus the largest other logit: positive exactly when the target wins, so its
    /// gradient is the direct way to make the target win (what `fool` climbs; Carlini & Wagner's margin).
    case margin
}

/// Errors of the experiments: a bad layer, target or argument found before any work is done.
public struct ExperimentError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Model {
    /// Logits for a batch already in the model's input space ([N, C, H, W], normalised).
    public func outputLogits(_ input: Tensor, interruption: Interruption? = nil) throws -> Tensor {
        let values = try graph.run([self.input: input], fetch: [output], interruption: interruption)
        guard let logits = values[output] else { throw GraphError("model \(name) computed no output") }
        return logits.rank == 2 ? logits : logits.reshaped([logits.shape[0], logits.count / max(1, logits.shape[0])])
    }

    /// The class each row explains: `target` when given (checked against the number of classes), else the
    /// row's top prediction.
    public func resolveTargets(_ target: Int?, logits: Tensor) throws -> [Int] {
        let classes = logits.shape.last ?? 0
        if let target {
            guard (0..<classes).contains(target) else {
                throw ExperimentError("target \(target) is out of range: the model has \(classes) classes (0…\(classes - 1))")
            }
            return Array(repeating: target, count: logits.shape[0])
        }
        return logits.argmaxLastAxis()
    }

    /// Forward and backward for a batch: the gradient of Σₙ score[n, targets[n]] with respect to the input.
    /// Rows do not interact, so each row of the gradient is that row's own d score / d input.
    ///
    /// - Parameters:
    ///   - input: `[N, C, H, W]` in the model's input space.
    ///   - rule: the backward rule applied to every rectifier (guided backprop uses `.guided`).
    ///   - capture: layers whose activation and arriving gradient to return too (Grad-CAM).
    /// - Returns: logits `[N, K]`, the input gradient `[N, C, H, W]`, and the captured layers.
    public func scoreGradient(_ input: Tensor, targets: [Int], score: ScoreKind = .logit,
                              rule: ReluBackwardRule = .plain, capture: [String] = [],
                              interruption: Interruption? = nil) throws -> ScoreGradient {
        try scoreGradient(input, resolve: { _ in targets }, score: score, rule: rule, capture: capture,
                          interruption: interruption)
    }

    /// `scoreGradient` for the class each row explains (`resolveTargets`: `target`, else the top prediction),
    /// resolved from the same forward pass, so explaining the top class costs one forward, not two.
    /// `toInput: false` stops the backward pass at the captured layers (Grad-CAM needs nothing below its
    /// layer); `gradient` is then empty.
    public func scoreGradient(_ input: Tensor, target: Int?, score: ScoreKind = .logit,
                              rule: ReluBackwardRule = .plain, capture: [String] = [], toInput: Bool = true,
                              interruption: Interruption? = nil) throws -> ScoreGradient {
        try scoreGradient(input, resolve: { try self.resolveTargets(target, logits: $0) }, score: score, rule: rule,
                          capture: capture, toInput: toInput, interruption: interruption)
    }

    private func scoreGradient(_ input: Tensor, resolve: (Tensor) throws -> [Int], score: ScoreKind,
                               rule: ReluBackwardRule, capture: [String], toInput: Bool = true,
                               interruption: Interruption?) throws -> ScoreGradient {
        // Keep only what the backward pass and the captured layers need: activations freed early are reused by
        // later ones instead of being faulted in fresh (a large share of a batch's time otherwise).
        // Without the input's gradient, the nodes above the captured layers record nothing for the backward pass.
        let pass = try graph.forward([self.input: input], capture: capture, gradientsFrom: toInput ? nil : capture,
                                     interruption: interruption)
        guard let raw = pass[output] else { throw GraphError("model \(name) computed no output") }
        let classes = raw.count / max(1, raw.shape[0])
        let logits = raw.reshaped([raw.shape[0], classes])
        let targets = try resolve(logits)
        let seed = Model.scoreSeed(logits: logits, targets: targets, score: score).reshaped(raw.shape)
        let gradients = try pass.backward(seeds: [output: seed], rule: rule, inputs: toInput, capture: capture,
                                          interruption: interruption)
        let inputGradient: Tensor
        if toInput {
            guard let g = gradients[self.input] else { throw GraphError("no gradient reached the input") }
            inputGradient = g
        } else {
            inputGradient = Tensor.zeros([0])
        }
        var layers: [String: (activation: Tensor, gradient: Tensor)] = [:]
        for name in capture {
            guard let a = pass[name], let g = gradients[name] else { throw GraphError("layer '\(name)' was not computed") }
            layers[name] = (a, g)
        }
        return ScoreGradient(logits: logits, gradient: inputGradient, layers: layers, targets: targets)
    }

    /// d score[n, t_n] / d logits: one-hot for logits; p_t (e_t − p) for probabilities; e_t − e_j for the
    /// margin, j the strongest other class.
    static func scoreSeed(logits: Tensor, targets: [Int], score: ScoreKind) -> Tensor {
        let (rows, classes) = (logits.shape[0], logits.shape[1])
        var seed = Tensor.zeros([rows, classes])
        let probabilities = score == .probability ? softmaxRows(logits) : logits
        seed.withUnsafeMutableBufferPointer { s in
            probabilities.withUnsafeBufferPointer { p in
                for n in 0..<rows {
                    let t = targets[n]
                    switch score {
                    case .logit:
                        s[n * classes + t] = 1
                    case .probability:
                        let pt = p[n * classes + t]
                        for k in 0..<classes { s[n * classes + k] = pt * ((k == t ? 1 : 0) - p[n * classes + k]) }
                    case .margin:
                        s[n * classes + t] = 1
                        if let j = strongestOther(p, row: n, classes: classes, target: t) { s[n * classes + j] = -1 }
                    }
                }
            }
        }
        return seed
    }
}

/// The result of `Model.scoreGradient`.
public struct ScoreGradient: Sendable {
    public var logits: Tensor
    /// ∂score/∂input, `[N, C, H, W]`; empty when taken with `toInput: false`.
    public var gradient: Tensor
    public var layers: [String: (activation: Tensor, gradient: Tensor)]
    /// The class each row's score belongs to.
    public var targets: [Int]
}

/// Row-wise softmax of `[N, K]` logits: the `Softmax` operator's kernel (max-shifted) in its precise mode
/// (Double exp and sum), which Captum's probability-score tolerances need.
public func softmaxRows(_ logits: Tensor) -> Tensor {
    let (rows, classes) = (logits.shape[0], logits.count / max(1, logits.shape[0]))
    var out = Tensor.zeros([rows, classes])
    guard rows * classes > 0 else { return out }
    out.withUnsafeMutableBufferPointer { o in
        logits.withUnsafeBufferPointer { x in
            guard let source = x.baseAddress, let target = o.baseAddress else { return }
            softmaxRows(source, target, outer: rows, extent: classes, inner: 1, log: false, precise: true)
        }
    }
    return out
}

/// The chosen score of each row: logits[n, t], softmax(logits)[n, t], or logits[n, t] − max_{k≠t} logits[n, k].
func scores(of logits: Tensor, targets: [Int], kind: ScoreKind) -> [Float] {
    let classes = logits.shape[1]
    let source = kind == .probability ? softmaxRows(logits) : logits
    return source.withUnsafeBufferPointer { p in
        targets.enumerated().map { n, t in
            let own = p[n * classes + t]
            guard kind == .margin else { return own }
            return strongestOther(p, row: n, classes: classes, target: t).map { own - p[n * classes + $0] } ?? own
        }
    }
}

/// The class with the largest value in row `row` other than `target` (the lowest index on ties); nil with one class.
func strongestOther(_ values: UnsafeBufferPointer<Float>, row: Int, classes: Int, target: Int) -> Int? {
    var best = -1
    for k in 0..<classes where k != target {
        if best < 0 || values[row * classes + k] > values[row * classes + best] { best = k }
    }
    return best < 0 ? nil : best
}
