import Engine
import Foundation

/// Lecture 12 §3, Gram matrices: `texture`, `style_transfer`, `style_grid`.
enum StyleVerbs {
    static let styleLayerParameters: [Parameter] = [
        Parameter("style_layers", .oneOf([.layer(model: "net"), .list(of: .layer(model: "net"))]), default: Value.none,
                  doc: "layers whose Gram matrices are matched (default: CS231n's features.1/4/6/7 for SqueezeNet, the model's style layers otherwise)"),
        Parameter("style_weights", .oneOf([.list(of: .number), .dict(of: .number)]), default: Value.none,
                  doc: "one weight per style layer, or a dict layer → weight (default: CS231n's 20000, 500, 12, 1; relative 1 each otherwise)"),
    ]

    static let texture = Verb(
        "texture", category: Synthesis.category, summary: "Texture synthesis: a new image with the same Gram matrices as the example (Gatys et al.).",
        parameters: [
            Synthesis.netParameter,
            Parameter("style", .oneOf([.object("Image"), .object("Tensor")]), doc: "the texture example"),
            Parameter("layers", .oneOf([.layer(model: "net"), .list(of: .layer(model: "net"))]), default: Value.none, doc: "Gram layers (default: the model's style layers)"),
            Parameter("weights", .oneOf([.list(of: .number), .dict(of: .number)]), default: Value.none, doc: "one weight per layer, or a dict layer → weight"),
        ] + Synthesis.optimiserParameters + [
            Parameter("size", .integer, default: Value.none, min: 8, max: 2048, doc: "shorter side of the example and of the result (default: the example's, at most 256)"),
            Parameter("tv_weight", .number, default: .double(0), min: 0, doc: "total-variation weight"),
        ],
        returns: "Result",
        doc: "Style loss only, from uniform noise, with CS231n's Adam schedule. Offline, `model(\"random-multiscale\")` (random multi-scale filters, Ustyuzhaninov et al. 2017) already synthesises convincing textures. `.values` is the texture (C×H×W, pixels).",
        example: "texture(model(\"random-multiscale\"), image(\"sample:brick\"), size=96, steps=100)"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let size = try sizeArgument(args, "size", fallbackFrom: args["style"])
        let style = try Synthesis.input(args, "style", net, size: size)
        let defaults = net.synthesisDefaults
        let (layers, weights) = try Synthesis.styleLayers(args, layers: "layers", weights: "weights", net, defaults: defaults)
        let seed = try Pictures.seed(args, context)
        var settings = try Synthesis.settings(args, seed: seed)
        settings.weighting = defaults.weighting
        settings.styleLayers = layers
        settings.styleWeights = weights
        settings.tvWeight = Float(try args.double("tv_weight"))
        settings.contentLayer = nil
        settings.start = .random
        let targets = try net.synthesisTargets(content: nil, contentLayer: nil, styles: [style], styleLayers: layers,
                                               interruption: context.interruption)
        let start = try net.synthesisStart(.random, content: nil, style: style, shape: style.shape, seed: seed)
        let example = Synthesis.picture(style, net)
        func result(_ state: SynthesisResult) -> Value {
            let made = Synthesis.picture(state.image, net)
            let figure = Figure(panels: [.image(example, title: "example"), .image(made, title: "synthesised (\(state.stepsTaken) steps)")],
                                columns: 2, title: "texture synthesis, \(layers.count) Gram layers")
            return .object(ExperimentResult(verb: "texture", figure: figure, values: Synthesis.values(made),
                                            extras: lossExtras(state), args: args, seed: seed))
        }
        let state = try Synthesis.run(net, start: start, targets: targets, settings: settings, label: "texture synthesis",
                                      context: context, partial: result)
        return result(state)
    }

    static let styleTransfer = Verb(
        "style_transfer", category: Synthesis.category, summary: "Neural style transfer: the content of one image painted in the style of another (Gatys et al., CS231n).",
        parameters: [
            Synthesis.netParameter,
            Parameter("content", .oneOf([.object("Image"), .object("Tensor")]), doc: "the content image"),
            Parameter("style", .oneOf([.object("Image"), .object("Tensor"), .list(of: .oneOf([.object("Image"), .object("Tensor")]))]), doc: "the style image, or a list of them (see `blend`)"),
            Parameter("content_layer", .layer(model: "net"), default: Value.none, doc: "the content layer (default: CS231n's features.3, the model's content layer otherwise)"),
            Parameter("content_weight", .number, default: Value.none, min: 0, doc: "content weight (default: CS231n's 5e-2; relative 0.1 otherwise)"),
        ] + styleLayerParameters + [
            Parameter("tv_weight", .number, default: Value.none, min: 0, doc: "total-variation weight (default: CS231n's 5e-2; relative 1 otherwise)"),
        ] + Synthesis.optimiserParameters + [
            Parameter("init", .string, default: .string("content"), choices: SynthesisStart.allCases.map(\.rawValue), doc: "start from the content image, noise or the style image"),
            Parameter("size", .integer, default: .int(192), min: 8, max: 2048, doc: "shorter side of the content image (CS231n: 192)"),
            Parameter("style_size", .integer, default: Value.none, min: 8, max: 2048, doc: "shorter side of the style images (default: size)"),
            Parameter("blend", .list(of: .number), default: Value.none, min: 0, doc: "weights of several style images (blended Gram targets; default equal)"),
            Parameter("original_colors", .bool, default: .bool(false), doc: "keep the content's colours (luminance-only transfer, as neural-style)"),
        ],
        returns: "Result",
        doc: "CS231n's losses: content w·Σ(F−P)², Gram G = FFᵀ/(C·H·W), style Σ_l w_l·Σ(G−A)², TV w·(Σdx²+Σdy²), minimised by Adam (lr 3.0, 0.1 after 90 % of the steps, pixels clamped to ±1.5 until 95 %) or, with optimizer=\"lbfgs\", by neural-style's L-BFGS (torch.optim.LBFGS: `steps` iterations, history 100, lr 1; with PyTorch's strong-Wolfe line search unless line_search=\"none\", neural-style's fixed steps). With an imported torchvision SqueezeNet 1.1 the CS231n settings apply unchanged; for other models weights are relative (each term divided by its target's squared norm). The image updates live; an interrupt keeps it (in `_`). `.values` is the result (C×H×W, pixels).",
        example: "style_transfer(model(\"random-multiscale\"), image(\"sample:chelsea\"), image(\"sample:rocket\"), size=96, steps=100)"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let setup = try StyleSetup(args, net, context: context)
        func result(_ state: SynthesisResult) -> Value {
            let made = setup.finalPicture(state.image)
            let panels = [Figure.Panel.image(setup.contentPicture, title: "content")]
                + setup.stylePictures.enumerated().map { Figure.Panel.image($1, title: setup.stylePictures.count > 1 ? "style \($0 + 1)" : "style") }
                + [Figure.Panel.image(made, title: "result (\(state.stepsTaken) steps)")]
            let figure = Figure(panels: panels, columns: panels.count, title: "style transfer")
            return .object(ExperimentResult(verb: "style_transfer", figure: figure, values: Synthesis.values(made),
                                            extras: lossExtras(state), args: args, seed: setup.seed))
        }
        let state = try Synthesis.run(net, start: setup.start, targets: setup.targets, settings: setup.settings,
                                      label: "style transfer", context: context, partial: result)
        return result(state)
    }

    static let styleGrid = Verb(
        "style_grid", category: Synthesis.category, summary: "The content/style trade-off: one style transfer per pair of weights, in a grid.",
        parameters: [
            Synthesis.netParameter,
            Parameter("content", .oneOf([.object("Image"), .object("Tensor")]), doc: "the content image"),
            Parameter("style", .oneOf([.object("Image"), .object("Tensor"), .list(of: .oneOf([.object("Image"), .object("Tensor")]))]), doc: "the style image (or a list, see style_transfer's blend)"),
            Parameter("content_weights", .list(of: .number), min: 0, doc: "rows: content weights"),
            Parameter("style_weights", .list(of: .number), min: 0, doc: "columns: factors applied to every style layer's weight"),
            Parameter("steps", .integer, default: .int(100), min: 1, max: 100000, doc: "Adam steps per cell"),
            Parameter("lr", .number, default: .double(3), min: 0, doc: "Adam's learning rate"),
            Parameter("size", .integer, default: .int(96), min: 8, max: 2048, doc: "shorter side of the content image"),
            Parameter("init", .string, default: .string("content"), choices: SynthesisStart.allCases.map(\.rawValue), doc: "where each cell starts"),
            Parameter("seed", .integer, default: Value.none, doc: "seed of the random start"),
        ],
        returns: "Result",
        doc: "Rows are content weights, columns style-weight factors (Gatys et al.'s α/β figure). The other settings are style_transfer's defaults. `.values` is R×C×channels×H×W.",
        example: "style_grid(net, img, style, content_weights=[0.1, 1], style_weights=[1, 10])"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let rows = try args.list("content_weights").compactMap(\.number).map(Float.init)
        let cols = try args.list("style_weights").compactMap(\.number).map(Float.init)
        guard !rows.isEmpty, !cols.isEmpty else { throw args.error(rows.isEmpty ? "content_weights" : "style_weights", "give at least one weight") }
        let setup = try StyleSetup(args, net, context: context, perLayerWeights: false)
        let progress = context.progress("style grid \(rows.count)×\(cols.count)", total: rows.count * cols.count * setup.settings.steps,
                                        maxRate: Synthesis.displayRate)
        var cells: [(title: String, image: Image)] = []
        func result() -> Value {
            let panels = cells.map { Figure.Panel.image($0.image, title: $0.title) }
            let figure = Figure(panels: panels, columns: cols.count, panelSize: 160, title: "rows: content weight, columns: style weight ×")
            let c = setup.contentPicture
            let values = Tensor(shape: [cells.count, c.channels, c.height, c.width], data: cells.flatMap { $0.image.chwData() })
            return .object(ExperimentResult(verb: "style_grid", figure: figure, values: values, args: args, seed: setup.seed))
        }
        for (i, cw) in rows.enumerated() {
            for (j, sw) in cols.enumerated() {
                var settings = setup.settings
                settings.contentWeight = cw
                settings.styleWeights = settings.styleWeights.map { $0 * sw }
                let offset = (i * cols.count + j) * settings.steps
                let title = "content \(Repr.number(Double(cw))), style ×\(Repr.number(Double(sw)))"
                let state = try net.styleTransfer(from: setup.start, targets: setup.targets, settings: settings,
                                                  interruption: context.interruption, progress: { p in
                    progress.step(offset + p.step, status: title + " " + Synthesis.status(p.values),
                                  picture: p.image.map { .object(ImageValue(Synthesis.picture($0, net))) })
                }, partial: { state in
                    cells.append((title + " (stopped)", setup.finalPicture(state.image)))
                    context.partial = result()
                })
                cells.append((title, setup.finalPicture(state.image)))
            }
        }
        return result()
    }

    static func lossExtras(_ state: SynthesisResult) -> [(String, Value)] {
        [("loss", .double(Double(state.finalLoss.total))), ("initial_loss", .double(Double(state.initialLoss.total))),
         ("content_loss", .double(Double(state.finalLoss.content))), ("style_loss", .double(Double(state.finalLoss.style))),
         ("tv_loss", .double(Double(state.finalLoss.tv))), ("steps", .int(state.stepsTaken))]
    }

    /// `size` if given, else the image's shorter side capped at 256.
    static func sizeArgument(_ args: Arguments, _ name: String, fallbackFrom value: Value) throws -> Int? {
        if let size = try args.optionalInt(name) { return size }
        guard let image = value.object(as: ImageValue.self)?.image else { return nil }
        return min(256, min(image.height, image.width))
    }
}

/// The arguments of `style_transfer` / `style_grid` turned into targets, a start and settings.
struct StyleSetup {
    var settings: StyleTransferSettings
    var targets: SynthesisTargets
    var start: Tensor
    var seed: UInt64
    var contentPicture: Image
    var stylePictures: [Image]
    var originalColors: Bool
    let net: Model

    /// - Parameter perLayerWeights: whether `style_layers`/`style_weights` are style_transfer's per-layer
    ///   arguments (style_grid's `style_weights` are factors instead).
    init(_ args: Arguments, _ net: Model, context: VerbContext, perLayerWeights: Bool = true) throws {
        self.net = net
        let size = try args.int("size")
        let content = try Synthesis.input(args, "content", net, size: size)
        let styleSize = args.values["style_size"].flatMap { $0.isNone ? nil : $0.number }.map { Int($0) } ?? size
        let styleValues: [Value]
        if case .list(let items) = args["style"] { styleValues = items } else { styleValues = [args["style"]] }
        guard !styleValues.isEmpty else { throw args.error("style", "give at least one style image") }
        let styles = try styleValues.map { try Synthesis.input($0, args, "style", net, size: styleSize) }
        var blend: [Float]?
        if args.values["blend"] != nil, !args.isNone("blend") {
            let weights = try args.list("blend").compactMap(\.number).map(Float.init)
            guard weights.count == styles.count else {
                throw args.error("blend", "\(weights.count) blend weights for \(styles.count) style images")
            }
            guard weights.reduce(0, +) > 0 else { throw args.error("blend", "blend weights must not all be 0") }
            blend = weights
        }
        let defaults = net.synthesisDefaults
        let style: (layers: [String], weights: [Float]) = perLayerWeights
            ? try Synthesis.styleLayers(args, layers: "style_layers", weights: "style_weights", net, defaults: defaults)
            : (defaults.styleLayers, defaults.styleWeights)
        seed = try Pictures.seed(args, context)
        var s = StyleTransferSettings()
        if args.values["steps"] != nil { s.steps = try args.int("steps") }
        if args.values["optimizer"] != nil {
            try Synthesis.applyOptimizer(args, to: &s)
        } else if let lr = try args.optionalDouble("lr") {
            s.learningRate = Float(lr)
        }
        s.seed = seed
        s.weighting = defaults.weighting
        s.contentLayer = try args.optionalString("content_layer") ?? defaults.contentLayer
        s.contentWeight = (args.values["content_weight"]?.number).map(Float.init) ?? defaults.contentWeight
        s.styleLayers = style.layers
        s.styleWeights = style.weights
        s.tvWeight = (args.values["tv_weight"]?.number).map(Float.init) ?? defaults.tvWeight
        s.start = SynthesisStart(rawValue: try args.string("init")) ?? .content
        settings = s
        targets = try net.synthesisTargets(content: content, contentLayer: s.contentLayer, styles: styles, blend: blend,
                                           styleLayers: s.styleLayers, interruption: context.interruption)
        start = try net.synthesisStart(s.start, content: content, style: styles[0], shape: content.shape, seed: seed)
        contentPicture = Synthesis.picture(content, net)
        stylePictures = styles.map { Synthesis.picture($0, net) }
        originalColors = args.values["original_colors"].map { if case .bool(true) = $0 { return true } else { return false } } ?? false
    }

    /// The optimised image as a picture, with the content's colours when `original_colors` is on.
    func finalPicture(_ t: Tensor) -> Image {
        var picture = Synthesis.picture(t, net)
        if originalColors, picture.channels == 3 {
            let pixels = Tensor(shape: [1, 3, picture.height, picture.width], data: picture.chwData())
            let content = Tensor(shape: [1, 3, contentPicture.height, contentPicture.width], data: contentPicture.chwData())
            let recoloured = pixels.withOriginalColors(from: content)
            picture = Image(chw: recoloured.scalars, channels: 3, height: picture.height, width: picture.width).clamped()
        }
        return picture
    }
}

/// The synthesis verbs, registered as one group.
public enum SynthesisVerbs {
    public static var all: [Verb] {
        [DreamVerbs.deepdream, DreamVerbs.invert, StyleVerbs.texture, StyleVerbs.styleTransfer, StyleVerbs.styleGrid,
         StylizerVerbs.stylizer, StylizerVerbs.stylize]
    }
}
