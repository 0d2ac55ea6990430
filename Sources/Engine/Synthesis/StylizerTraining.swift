import Foundation

/// How a stylizer is trained. The perceptual loss is `style_transfer`'s (content, Gram style and TV terms
/// through the loss network, `loss` names the layers and weights; its `steps`/`lr` are unused), averaged over
/// the batch. Adam (Johnson et al.: lr 1e-3, batch 4, 256×256 COCO images, 40 000 steps) here runs a few
/// hundred steps of random `size`×`size` crops (with random horizontal flips) of a handful of pictures, so the
/// defaults are a larger rate, batch 1 and 96-pixel crops: 150 steps take about 85 s on two busy cores.
public struct StylizerSettings: Sendable {
    public var architecture = StylizerArchitecture()
    public var steps = 150
    /// Side of the square training crops (images are first resized so their shorter side is 5/4 of this).
    public var size = 96
    public var batchSize = 1
    public var learningRate: Float = 5e-3
    public var loss = StyleTransferSettings()
    public var seed: UInt64 = 0
    public init() {}
}

extension Model {
    /// Trains a stylizer with this model as the loss network.
    ///
    /// - Parameters:
    ///   - style: the style image `[1, 3, h, w]` in this model's input space.
    ///   - images: training pictures (any size; grey ones are made RGB).
    ///   - progress: after every step: the batch's loss terms and the first stylised crop (input space).
    ///   - partial: on interrupt, the stylizer as trained so far, before `Interrupted` propagates.
    public func trainStylizer(style: Tensor, images: [Image], settings: StylizerSettings,
                              interruption: Interruption? = nil, progress: ProgressHandler? = nil,
                              partial: ((Stylizer) -> Void)? = nil) throws -> Stylizer {
        guard preprocessing.channels == 3 else {
            throw ExperimentError("the loss network must take RGB images; \(name) takes \(preprocessing.channels) channel(s)")
        }
        guard !images.isEmpty else { throw ExperimentError("a stylizer needs at least one training image") }
        guard settings.size >= 8, settings.size % 4 == 0 else {
            throw ExperimentError("the crop size must be a multiple of 4 and at least 8, got \(settings.size)")
        }
        var settings = settings
        if let h = preprocessing.inputHeight, let w = preprocessing.inputWidth, h != settings.size || w != settings.size {
            guard h == w, h % 4 == 0 else { throw ExperimentError("\(name) takes \(h)×\(w) inputs; a stylizer trains on square crops") }
            settings.size = h
        }
        let loss = settings.loss
        var graph = try settings.architecture.graph(seed: settings.seed)
        var parameters = graph.initializers.filter { graph.trainable.contains($0.key) }
        var optimizer = Adam(learningRate: settings.learningRate)
        var crops = StylizerCrops(images: images, size: settings.size, seed: settings.seed)
        var targets = try synthesisTargets(content: nil, contentLayer: nil, styles: [style], styleLayers: loss.styleLayers,
                                           interruption: interruption)
        var history: [SynthesisLossTerms] = []
        func current() -> Stylizer {
            var g = graph
            for (name, value) in parameters { g.initializers[name] = value }
            return Stylizer(model: Model(name: "stylizer", graph: g,
                                         preprocessing: Preprocessing(channels: 3, inputHeight: nil, inputWidth: nil, mean: [0], std: [1],
                                                                      classNames: []),
                                         input: StylizerArchitecture.input, output: StylizerArchitecture.output),
                            architecture: settings.architecture, settings: settings, stepsTaken: history.count, losses: history)
        }
        for step in 0..<settings.steps {
            if interruption?.isRequested == true { partial?(current()); try interruption?.check() }
            let batch = crops.next(settings.batchSize)
            do {
                let (terms, gradients, preview) = try stylizerStep(graph: &graph, parameters: parameters, batch: batch,
                                                                   targets: &targets, settings: settings, interruption: interruption)
                optimizer.step(&parameters, gradients: gradients)
                history.append(terms)
                progress?(OptimisationProgress(step: step + 1, total: settings.steps, values: terms.named, image: preview))
            } catch is Interrupted {
                partial?(current())
                throw Interrupted()
            }
        }
        return current()
    }

    /// One training step's loss terms, parameter gradients and the first stylised crop (input space). Kept in
    /// its own function so the forward passes (which hold the parameters) are gone before Adam updates them.
    func stylizerStep(graph: inout Graph, parameters: [String: Tensor], batch: Tensor, targets: inout SynthesisTargets,
                      settings: StylizerSettings, interruption: Interruption?) throws
        -> (terms: SynthesisLossTerms, gradients: [String: Tensor], preview: Tensor) {
        for (name, value) in parameters { graph.initializers[name] = value }
        defer { for name in parameters.keys { graph.initializers[name] = nil } }
        let pass = try graph.forward([StylizerArchitecture.input: batch], fetch: [StylizerArchitecture.output], capture: [],
                                     interruption: interruption)
        guard let stylized = pass[StylizerArchitecture.output] else { throw GraphError("the stylizer computed no output") }
        let n = batch.shape[0]
        var loss = settings.loss
        if let layer = loss.contentLayer {
            targets.content = try layerFeatures(preprocessing.normalize(batch), layers: [layer], interruption: interruption)[layer]
        }
        // Per-image means: absolute weights apply to sums over the batch; relative ones are already divided by
        // the batch's content and TV sizes, only the style targets (one Gram per batch row) count n times.
        let share = 1 / Float(n)
        loss.styleWeights = loss.styleWeights.map { $0 * share }
        if loss.weighting == .absolute {
            loss.contentWeight *= share
            loss.tvWeight *= share
        }
        let input = preprocessing.normalize(stylized)
        var (terms, gradient) = try synthesisLoss(input, targets: targets, settings: loss, interruption: interruption)
        // d(loss)/d(pixels) = d(loss)/d(input) / std, per channel.
        let plane = gradient.shape[2] * gradient.shape[3]
        let std = preprocessing.std
        gradient.withUnsafeMutableBufferPointer { g in
            for b in 0..<n {
                for c in 0..<3 {
                    let inverse = 1 / (std.count == 1 ? std[0] : std[c])
                    let start = (b * 3 + c) * plane
                    for i in start..<(start + plane) { g[i] *= inverse }
                }
            }
        }
        let gradients = try pass.backward(from: StylizerArchitecture.output, gradient: gradient, inputs: false, parameters: true)
        if terms.total.isNaN || !terms.total.isFinite {
            throw ExperimentError("stylizer training diverged (loss \(terms.total)); try a smaller lr")
        }
        terms = SynthesisLossTerms(content: terms.content, style: terms.style, tv: terms.tv)
        return (terms, gradients.parameters, try input.slice(axis: 0, 0..<1))
    }
}

/// Random square crops (with random horizontal flips) of the training pictures, as pixel batches
/// `[B, 3, size, size]`; the same seed gives the same sequence.
struct StylizerCrops {
    let images: [Image]
    let size: Int
    var generator: SeededGenerator

    init(images: [Image], size: Int, seed: UInt64) {
        let side = size * 5 / 4
        self.images = images.map { $0.toRGB().resized(shorterSide: side) }
        self.size = size
        generator = SeededGenerator(seed: seed &+ 0x5717_1E4)
    }

    mutating func next(_ count: Int) -> Tensor {
        var data: [Float] = []
        data.reserveCapacity(count * 3 * size * size)
        for _ in 0..<count {
            let image = images[generator.nextInt(below: images.count)]
            let top = generator.nextInt(below: image.height - size + 1)
            let left = generator.nextInt(below: image.width - size + 1)
            let flip = generator.nextInt(below: 2) == 1
            let crop = image.cropped(top: top, left: left, height: size, width: size).chwData()
            guard flip else { data.append(contentsOf: crop); continue }
            for row in 0..<(3 * size) {
                data.append(contentsOf: crop[(row * size)..<((row + 1) * size)].reversed())
            }
        }
        return Tensor(shape: [count, 3, size, size], data: data)
    }
}
