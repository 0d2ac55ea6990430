import Foundation

/// Fooling images (Szegedy et al. 2014; CS231n): nudge an input along the normalised gradient of the target
/// score until the model predicts the target.
public struct FoolingResult: Sendable {
    /// `[1, C, H, W]` in input space.
    public var image: Tensor
    public var original: Tensor
    public var target: Int
    public var succeeded: Bool
    public var steps: Int
    public var logitsBefore: Tensor
    public var logitsAfter: Tensor
}

extension Model {
    /// CS231n's loop: while argmax ≠ target, x += lr · ∇s_target / ‖∇s_target‖, at most `steps` times; the image
    /// is kept in the valid pixel range when `clip` is set.
    public func foolingImage(_ input: Tensor, target: Int, steps: Int = 100, learningRate: Float = 1,
                             clip: Bool = true, interruption: Interruption? = nil,
                             progress: ProgressHandler? = nil) throws -> FoolingResult {
        guard input.rank == 4, input.shape[0] == 1 else {
            throw ExperimentError("fool takes one image ([1, C, H, W]); got \(input.shape)")
        }
        let before = try outputLogits(input)
        guard (0..<before.shape[1]).contains(target) else {
            throw ExperimentError("target \(target) is out of range: the model has \(before.shape[1]) classes (0…\(before.shape[1] - 1))")
        }
        let (low, high) = preprocessing.validRange
        var x = input
        var logits = before
        var taken = 0
        while taken < steps, logits.argmaxLastAxis()[0] != target {
            try interruption?.check()
            let result = try scoreGradient(x, targets: [target])
            let norm = result.gradient.l2Norm
            guard norm > 0 else { break }
            x.add(result.gradient, scaledBy: learningRate / norm)
            if clip { x = x.clampedPerChannel(low: low, high: high) }
            logits = try outputLogits(x)
            taken += 1
            progress?(OptimisationProgress(step: taken, total: steps, values: [("score", logits[0, target])], image: x))
        }
        return FoolingResult(image: x, original: input, target: target,
                             succeeded: logits.argmaxLastAxis()[0] == target, steps: taken,
                             logitsBefore: before, logitsAfter: logits)
    }
}
