import Foundation

/// Class model visualisation (Simonyan et al. 2014) with CS231n's recipe: gradient ascent on the
/// unnormalised score minus an L2 penalty, steps of `lr` along the normalised gradient, random jitter,
/// periodic Gaussian blur, and clamping to the valid pixel range.
public struct ClassVisualizationSettings: Sendable {
    public var steps = 100
    public var learningRate: Float = 25
    public var l2: Float = 1e-3
    public var blurEvery = 10
    public var blurSigma: Float = 0.5
    /// Largest jitter in pixels; CS231n uses 16 at 224×224.
    public var jitter = 16
    public var clip = true
    public var seed: UInt64 = 0
    public init() {}
}

public struct ClassVisualization: Sendable {
    /// `[1, C, H, W]` in input space.
    public var image: Tensor
    public var target: Int
    /// Score of the target and its rank among the classes after the last step (0 = top class).
    public var score: Float
    public var rank: Int
    public var stepsTaken: Int
}

extension Model {
    /// The input size this model is fed at: its fixed size, else 224×224.
    public var defaultInputShape: [Int] {
        [1, preprocessing.channels, preprocessing.inputHeight ?? 224, preprocessing.inputWidth ?? 224]
    }

    /// Runs class visualisation. On interrupt the image so far is returned through `partial` before the
    /// `Interrupted` error propagates.
    public func classVisualization(target: Int, settings: ClassVisualizationSettings,
                                   interruption: Interruption? = nil, progress: ProgressHandler? = nil,
                                   partial: ((ClassVisualization) -> Void)? = nil) throws -> ClassVisualization {
        let classes = try outputLogits(Tensor.zeros(defaultInputShape)).shape[1]
        guard (0..<classes).contains(target) else {
            throw ExperimentError("target \(target) is out of range: the model has \(classes) classes (0…\(classes - 1))")
        }
        var generator = SeededGenerator(seed: settings.seed)
        var image = Tensor.random(defaultInputShape, .normal(mean: 0, std: 1), using: &generator)
        let (low, high) = preprocessing.validRange
        if settings.clip { image = image.clampedPerChannel(low: low, high: high) }
        var state = ClassVisualization(image: image, target: target, score: 0, rank: classes, stepsTaken: 0)
        for t in 0..<settings.steps {
            if interruption?.isRequested == true { partial?(state); try interruption?.check() }
            let ox = settings.jitter > 0 ? generator.nextInt(below: settings.jitter + 1) : 0
            let oy = settings.jitter > 0 ? generator.nextInt(below: settings.jitter + 1) : 0
            var x = image.rolled(dy: oy, dx: ox)
            let result = try scoreGradient(x, targets: [target])
            // Objective: score − l2·‖x‖²; its gradient is ∇score − 2·l2·x.
            var g = result.gradient
            g.add(x, scaledBy: -2 * settings.l2)
            let norm = g.l2Norm
            if norm > 0 { x.add(g, scaledBy: settings.learningRate / norm) }
            image = x.rolled(dy: -oy, dx: -ox)
            if settings.clip { image = image.clampedPerChannel(low: low, high: high) }
            if settings.blurEvery > 0 && t % settings.blurEvery == 0 { image = image.gaussianBlurred(sigma: settings.blurSigma) }
            let logits = result.logits
            let score = logits[0, target]
            state = ClassVisualization(image: image, target: target, score: score,
                                       rank: logits.scalars.filter { $0 > score }.count, stepsTaken: t + 1)
            progress?(OptimisationProgress(step: t + 1, total: settings.steps, values: [("score", score)], image: image))
        }
        let final = try outputLogits(image)
        state.score = final[0, target]
        state.rank = final.scalars.filter { $0 > state.score }.count
        return state
    }
}
