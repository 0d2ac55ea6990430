import Foundation

/// Where a pixel optimisation starts (CS231n's `init_random`, neural-style's `-init`).
public enum SynthesisStart: String, Sendable, CaseIterable {
    /// The content image itself.
    case content
    /// Uniform noise in [0, 1) in the model's input space (CS231n's `uniform_(0, 1)`).
    case random
    /// The (first) style image resized to the content's size.
    case style
}

/// How loss weights are read. CS231n's weights are tuned for SqueezeNet's feature magnitudes; for any other
/// network (random-multiscale, a Fashion-MNIST CNN) they are meaningless, so there each term is divided by
/// the size of its target: content by Σ P², each style layer by Σ A_l², total variation by C·H·W.
public enum SynthesisWeighting: String, Sendable {
    case absolute
    case relative
}

/// The optimiser of a pixel optimisation.
public enum SynthesisOptimizer: String, Sendable, CaseIterable {
    /// CS231n's Adam schedule.
    case adam
    /// neural-style's L-BFGS (`torch.optim.LBFGS`: history 100, lr 1, all `steps` iterations, no clamping), with a strong-Wolfe line search unless `lineSearch` is `.none`.
    case lbfgs
}

/// Settings of `Model.styleTransfer`, which also runs texture synthesis (no content) and feature inversion
/// (no style). The default optimiser is CS231n's: Adam at `learningRate`, restarted at `decayedLearningRate` after 90 %
/// of the steps (step 180 of 200), pixels clamped to ±1.5 until 95 % (step 190 of 200). With `.lbfgs` it is
/// neural-style's instead: one `LBFGS.step` of `steps` iterations at `learningRate` (neural-style: 1).
public struct StyleTransferSettings: Sendable {
    public var contentLayer: String?
    public var contentWeight: Float = 5e-2
    public var styleLayers: [String] = []
    public var styleWeights: [Float] = []
    public var tvWeight: Float = 5e-2
    public var weighting = SynthesisWeighting.absolute
    public var steps = 200
    public var learningRate: Float = 3
    public var decayedLearningRate: Float = 0.1
    /// Step at which Adam restarts with the decayed rate (default: 90 % of `steps`).
    public var decayAt: Int?
    /// Pixels are clamped to `clampRange` before every step below this one (default: 95 % of `steps`).
    public var clampUntil: Int?
    public var clampRange: ClosedRange<Float>? = -1.5...1.5
    public var start = SynthesisStart.content
    public var optimizer = SynthesisOptimizer.adam
    /// L-BFGS only: the line search. neural-style runs without one, but on the offline random-multiscale
    /// features fixed steps of lr 1 overshoot (the loss jumps a thousandfold at the second step), so the default
    /// is PyTorch's strong-Wolfe search; `.none` gives neural-style's exact setting.
    public var lineSearch = LineSearch.strongWolfe
    public var seed: UInt64 = 0
    public init() {}

    var resolvedDecayAt: Int { decayAt ?? max(1, steps * 9 / 10) }
    var resolvedClampUntil: Int { clampUntil ?? max(1, steps * 19 / 20) }
}

/// What the losses compare against: the content layer's features and one Gram matrix per style layer.
public struct SynthesisTargets: Sendable {
    /// `[1, C, H, W]` features of the content image at the content layer.
    public var content: Tensor?
    /// `[1, C, C]` Gram matrices by style layer (blended over the style images).
    public var grams: [String: Tensor]
    public init(content: Tensor?, grams: [String: Tensor]) {
        self.content = content
        self.grams = grams
    }
}

/// The loss terms at one step.
public struct SynthesisLossTerms: Sendable, Equatable {
    public var content: Float = 0
    public var style: Float = 0
    public var tv: Float = 0
    public var total: Float { content + style + tv }
    public init(content: Float = 0, style: Float = 0, tv: Float = 0) {
        self.content = content
        self.style = style
        self.tv = tv
    }

    var named: [(name: String, value: Float)] { [("content", content), ("style", style), ("tv", tv), ("loss", total)] }
}

/// The state of a pixel optimisation: the image (input space, `[1, C, H, W]`), the losses at the first step
/// and after the last one, and how many steps ran.
public struct SynthesisResult: Sendable {
    public var image: Tensor
    public var initialLoss: SynthesisLossTerms
    public var finalLoss: SynthesisLossTerms
    public var stepsTaken: Int
}

extension Model {
    /// Activations of `layers` for `input` (`[N, C, H, W]`, input space).
    public func layerFeatures(_ input: Tensor, layers: [String], interruption: Interruption? = nil) throws -> [String: Tensor] {
        let wanted = Array(Set(layers))
        guard !wanted.isEmpty else { return [:] }
        return try graph.run([self.input: input], fetch: wanted, interruption: interruption)
    }

    /// Content features and Gram targets. Several style images give the blended Gram `Σ bᵢ Gᵢ / Σ bᵢ`
    /// (neural-style's `-style_blend_weights`).
    public func synthesisTargets(content: Tensor?, contentLayer: String?, styles: [Tensor], blend: [Float]? = nil,
                                 styleLayers: [String], interruption: Interruption? = nil) throws -> SynthesisTargets {
        var targets = SynthesisTargets(content: nil, grams: [:])
        if let content, let contentLayer {
            targets.content = try layerFeatures(content, layers: [contentLayer], interruption: interruption)[contentLayer]
        }
        guard !styleLayers.isEmpty else { return targets }
        let weights = blend ?? Array(repeating: 1, count: styles.count)
        guard weights.count == styles.count else {
            throw ExperimentError("\(weights.count) blend weights for \(styles.count) style images")
        }
        let total = weights.reduce(0, +)
        guard total > 0 else { throw ExperimentError("blend weights must have a positive sum") }
        for (style, weight) in zip(styles, weights) {
            let features = try layerFeatures(style, layers: styleLayers, interruption: interruption)
            for layer in styleLayers {
                guard let f = features[layer], f.rank >= 3 else {
                    throw ExperimentError("layer '\(layer)' has no feature maps for a Gram matrix")
                }
                var g = SynthesisLoss.gram(f)
                g = g * (weight / total)
                if targets.grams[layer] == nil { targets.grams[layer] = g } else { targets.grams[layer]!.add(g) }
            }
        }
        return targets
    }

    /// The weights actually applied: as given (absolute), or divided by the targets' squared norms (relative).
    func effectiveWeights(_ settings: StyleTransferSettings, targets: SynthesisTargets,
                          imageShape: [Int]) -> (content: Float, style: [Float], tv: Float) {
        guard settings.weighting == .relative else {
            return (settings.contentWeight, settings.styleWeights, settings.tvWeight)
        }
        func squaredNorm(_ t: Tensor?) -> Float { max(1e-12, t.map { $0.l2Norm * $0.l2Norm } ?? 1) }
        let content = settings.contentWeight / squaredNorm(targets.content)
        let style = zip(settings.styleLayers, settings.styleWeights).map { $1 / squaredNorm(targets.grams[$0]) }
        return (content, style, settings.tvWeight / Float(Tensor.count(of: imageShape)))
    }

    /// Loss terms and their gradient with respect to `image` (`[1, C, H, W]`, input space): one forward pass
    /// up to the deepest layer needed, seeds injected at the content and style layers, one backward pass.
    public func synthesisLoss(_ image: Tensor, targets: SynthesisTargets, settings: StyleTransferSettings,
                              interruption: Interruption? = nil) throws -> (terms: SynthesisLossTerms, gradient: Tensor) {
        let weights = effectiveWeights(settings, targets: targets, imageShape: image.shape)
        var layers = settings.styleLayers.filter { targets.grams[$0] != nil }
        if let c = settings.contentLayer, targets.content != nil { layers.append(c) }
        var terms = SynthesisLossTerms()
        let tv = SynthesisLoss.totalVariation(image, weight: weights.tv)
        terms.tv = tv.loss
        var gradient = tv.gradient
        guard !layers.isEmpty else { return (terms, gradient) }
        let unique = Array(Set(layers))
        let pass = try graph.forward([self.input: image], fetch: unique, capture: unique, interruption: interruption)
        var seeds: [String: Tensor] = [:]
        func seed(_ layer: String, _ g: Tensor) {
            if seeds[layer] == nil { seeds[layer] = g } else { seeds[layer]!.add(g) }
        }
        if let layer = settings.contentLayer, let target = targets.content {
            guard let f = pass[layer] else { throw GraphError("layer '\(layer)' was not computed") }
            let c = SynthesisLoss.content(f, target: target, weight: weights.content)
            terms.content = c.loss
            seed(layer, c.gradient)
        }
        for (layer, w) in zip(settings.styleLayers, weights.style) {
            guard let target = targets.grams[layer] else { continue }
            guard let f = pass[layer] else { throw GraphError("layer '\(layer)' was not computed") }
            let s = SynthesisLoss.style(f, target: target, weight: w)
            terms.style += s.loss
            seed(layer, s.gradient)
        }
        let gradients = try pass.backward(seeds: seeds, inputs: true, interruption: interruption)
        guard let g = gradients[self.input] else { throw GraphError("no gradient reached the input") }
        gradient.add(g)
        return (terms, gradient)
    }

    /// The loss terms alone at `image`: a forward pass only (no backward, no gradients), for reporting the loss
    /// after the last step. The same values as `synthesisLoss(…).terms`, bit for bit (the same features and sums).
    public func synthesisLossTerms(_ image: Tensor, targets: SynthesisTargets, settings: StyleTransferSettings,
                                   interruption: Interruption? = nil) throws -> SynthesisLossTerms {
        let weights = effectiveWeights(settings, targets: targets, imageShape: image.shape)
        var layers = settings.styleLayers.filter { targets.grams[$0] != nil }
        if let c = settings.contentLayer, targets.content != nil { layers.append(c) }
        var terms = SynthesisLossTerms()
        terms.tv = SynthesisLoss.totalVariationLoss(image, weight: weights.tv)
        guard !layers.isEmpty else { return terms }
        let features = try layerFeatures(image, layers: layers, interruption: interruption)
        if let layer = settings.contentLayer, let target = targets.content {
            guard let f = features[layer] else { throw GraphError("layer '\(layer)' was not computed") }
            terms.content = SynthesisLoss.contentLoss(f, target: target, weight: weights.content)
        }
        for (layer, w) in zip(settings.styleLayers, weights.style) {
            guard let target = targets.grams[layer] else { continue }
            guard let f = features[layer] else { throw GraphError("layer '\(layer)' was not computed") }
            terms.style += SynthesisLoss.styleLoss(f, target: target, weight: w)
        }
        return terms
    }

    /// The image a synthesis starts from (`[1, C, H, W]`, input space).
    public func synthesisStart(_ start: SynthesisStart, content: Tensor?, style: Tensor?, shape: [Int],
                               seed: UInt64) throws -> Tensor {
        switch start {
        case .random:
            var generator = SeededGenerator(seed: seed)
            return Tensor.random(shape, .uniform(low: 0, high: 1), using: &generator)
        case .content:
            guard let content else { throw ExperimentError("init \"content\" needs a content image") }
            return content
        case .style:
            guard let style else { throw ExperimentError("init \"style\" needs a style image") }
            return style.resizedBilinear(height: shape[2], width: shape[3])
        }
    }

    /// CS231n's `style_transfer` loop (also texture synthesis and feature inversion): clamp, loss and gradient,
    /// Adam step; the optimiser restarts with the decayed rate at `decayAt`. On interrupt the image so far is
    /// handed to `partial` before `Interrupted` propagates.
    public func styleTransfer(from start: Tensor, targets: SynthesisTargets, settings: StyleTransferSettings,
                              interruption: Interruption? = nil, progress: ProgressHandler? = nil,
                              partial: ((SynthesisResult) -> Void)? = nil) throws -> SynthesisResult {
        if settings.optimizer == .lbfgs {
            return try styleTransferLBFGS(from: start, targets: targets, settings: settings, interruption: interruption,
                                          progress: progress, partial: partial)
        }
        var parameters = ["image": start]
        var optimizer = Adam(learningRate: settings.learningRate)
        var state = SynthesisResult(image: start, initialLoss: SynthesisLossTerms(), finalLoss: SynthesisLossTerms(), stepsTaken: 0)
        for t in 0..<settings.steps {
            if interruption?.isRequested == true { partial?(state); try interruption?.check() }
            if t < settings.resolvedClampUntil, let range = settings.clampRange {
                parameters["image"] = parameters["image"]!.clamped(min: range.lowerBound, max: range.upperBound)
            }
            let step: (terms: SynthesisLossTerms, gradient: Tensor)
            do {
                step = try synthesisLoss(parameters["image"]!, targets: targets, settings: settings, interruption: interruption)
            } catch is Interrupted {
                partial?(state)
                throw Interrupted()
            }
            if t == 0 { state.initialLoss = step.terms }
            if t > 0 && t == settings.resolvedDecayAt { optimizer = Adam(learningRate: settings.decayedLearningRate) }
            optimizer.step(&parameters, gradients: ["image": step.gradient])
            state.image = parameters["image"]!
            state.finalLoss = step.terms
            state.stepsTaken = t + 1
            progress?(OptimisationProgress(step: t + 1, total: settings.steps, values: step.terms.named, image: state.image))
        }
        state.finalLoss = try synthesisLossTerms(state.image, targets: targets, settings: settings, interruption: interruption)
        return state
    }
}

extension Tensor {
    /// Bilinear resampling of `[N, C, H, W]` with corners aligned (scipy's `ndimage.zoom(order=1)`).
    public func resizedBilinear(height: Int, width: Int) -> Tensor {
        precondition(rank == 4 && height >= 1 && width >= 1, "resizedBilinear expects [N, C, H, W] and a positive size")
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        if h == height && w == width { return self }
        var out = Tensor.zeros([shape[0], shape[1], height, width])
        func source(_ i: Int, _ outSize: Int, _ inSize: Int) -> (Int, Int, Float) {
            guard outSize > 1, inSize > 1 else { return (0, 0, 0) }
            let p = Float(i) * Float(inSize - 1) / Float(outSize - 1)
            let lo = Swift.min(Int(p), inSize - 1)
            let hi = Swift.min(lo + 1, inSize - 1)
            return (lo, hi, p - Float(lo))
        }
        let rows = (0..<height).map { source($0, height, h) }
        let cols = (0..<width).map { source($0, width, w) }
        withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                for p in 0..<planes {
                    let inBase = p * h * w, outBase = p * height * width
                    for (y, (y0, y1, fy)) in rows.enumerated() {
                        for (xx, (x0, x1, fx)) in cols.enumerated() {
                            let top = x[inBase + y0 * w + x0] * (1 - fx) + x[inBase + y0 * w + x1] * fx
                            let bottom = x[inBase + y1 * w + x0] * (1 - fx) + x[inBase + y1 * w + x1] * fx
                            o[outBase + y * width + xx] = top * (1 - fy) + bottom * fy
                        }
                    }
                }
            }
        }
        return out
    }
}
