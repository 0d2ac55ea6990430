import Engine
import Foundation

/// Lecture 12 §2–§3, seeing what a layer responds to by optimising pixels: `deepdream` and `invert`.
enum DreamVerbs {
    static let deepdream = Verb(
        "deepdream", category: Synthesis.category, summary: "DeepDream: amplify whatever a layer sees in the image (google/deepdream).",
        parameters: [
            Synthesis.netParameter,
            Parameter("img", .oneOf([.object("Image"), .object("Tensor")]), doc: "the image to dream on"),
            Parameter("layer", .layer(model: "net"), doc: "the layer whose activations are amplified (½‖a‖²)"),
            Parameter("steps", .integer, default: .int(10), min: 1, max: 10000, doc: "ascent steps per octave"),
            Parameter("octaves", .integer, default: .int(4), min: 1, max: 12, doc: "octaves of the image pyramid"),
            Parameter("octave_scale", .number, default: .double(1.4), min: 1, max: 4, doc: "size ratio between octaves"),
            Parameter("lr", .number, default: .double(1.5), min: 0, doc: "step size, in 0…255 pixel values, along g / mean|g|"),
            Parameter("jitter", .integer, default: Value.none, min: 0, doc: "largest random shift in pixels (default: 32 at 224 px, scaled down for smaller images)"),
            Parameter("clip", .bool, default: .bool(true), doc: "keep pixels in the valid range"),
            Parameter("size", .integer, default: Value.none, min: 8, max: 2048, doc: "resize the image's shorter side first"),
            Parameter("seed", .integer, default: Value.none, doc: "seed of the jitter"),
        ],
        returns: "Result",
        doc: "The reference algorithm: gradient ascent on ½‖a‖² at the layer with steps lr·g/mean|g|, a random roll before each step, an octave pyramid (smallest first) whose added detail is carried up to the next octave, and clipping to the valid range. The image updates live; an interrupt keeps it (in `_`). `.values` is the dream (C×H×W, pixels).",
        example: "deepdream(model(\"random-multiscale\"), image(\"sample:chelsea\", size=128), \"relu7\")"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let base = try Synthesis.input(args, "img", net, size: try args.optionalInt("size"))
        var settings = DeepDreamSettings(layer: try args.string("layer"))
        settings.stepsPerOctave = try args.int("steps")
        settings.octaves = try args.int("octaves")
        settings.octaveScale = Float(try args.double("octave_scale"))
        settings.learningRate = Float(try args.double("lr"))
        settings.jitter = try args.optionalInt("jitter") ?? DeepDreamSettings.defaultJitter(forShorterSide: min(base.shape[2], base.shape[3]))
        settings.clip = try args.bool("clip")
        let seed = try Pictures.seed(args, context)
        settings.seed = seed
        let original = Synthesis.picture(base, net)
        func result(_ state: DeepDreamResult) -> Value {
            let dream = Synthesis.picture(state.image, net)
            let figure = Figure(panels: [.image(original, title: "original"), .image(dream, title: "\(settings.layer), octave \(state.octave)")],
                                columns: 2, title: "DeepDream, \(state.stepsTaken) steps")
            return .object(ExperimentResult(verb: "deepdream", figure: figure, values: Synthesis.values(dream),
                                            extras: [("objective", .double(Double(state.objective))), ("steps", .int(state.stepsTaken))],
                                            args: args, seed: seed))
        }
        let progress = context.progress("deepdream at \(settings.layer)", total: settings.stepsPerOctave * settings.octaves, maxRate: Synthesis.displayRate)
        let state = try net.deepDream(base, settings: settings, interruption: context.interruption,
                                      progress: Synthesis.handler(progress, net), partial: { context.partial = result($0) })
        return result(state)
    }

    static let invert = Verb(
        "invert", category: Synthesis.category, summary: "Feature inversion: an image whose features at a layer match the given image's (Mahendran & Vedaldi).",
        parameters: [
            Synthesis.netParameter,
            Parameter("img", .oneOf([.object("Image"), .object("Tensor")]), doc: "the image whose features are inverted"),
            Parameter("layer", .oneOf([.layer(model: "net"), .list(of: .layer(model: "net"))]), doc: "a layer, or a list of layers to compare (e.g. [\"features.3\", \"features.7\"])"),
        ] + Synthesis.optimiserParameters + [
            Parameter("tv_weight", .number, default: Value.none, min: 0, doc: "total-variation weight (default: CS231n's 2e-2 for SqueezeNet, relative 1 otherwise)"),
            Parameter("content_weight", .number, default: Value.none, min: 0, doc: "feature-distance weight (default: CS231n's 6e-2 for SqueezeNet, relative 1 otherwise)"),
            Parameter("size", .integer, default: Value.none, min: 8, max: 2048, doc: "resize the image's shorter side first"),
        ],
        returns: "Result",
        doc: "Minimises w·‖Φ(x) − Φ(x₀)‖² + TV(x) from a random start with CS231n's Adam schedule. With a list of layers, each is inverted in turn and shown next to the target: shallow layers keep the picture, deep ones only its parts. `.values` holds the reconstructions (L×C×H×W, pixels).",
        example: "invert(net, image(\"sample:chelsea\", size=96), [\"relu3\", \"relu23\"], steps=100)"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let target = try Synthesis.input(args, "img", net, size: try args.optionalInt("size"))
        let layers = try Synthesis.layers(args, "layer", net) ?? []
        let defaults = net.synthesisDefaults
        let seed = try Pictures.seed(args, context)
        var settings = try Synthesis.settings(args, seed: seed)
        settings.weighting = defaults.weighting
        settings.contentWeight = Float(try args.optionalDouble("content_weight") ?? Double(defaults.inversionContentWeight))
        settings.tvWeight = Float(try args.optionalDouble("tv_weight") ?? Double(defaults.inversionTVWeight))
        settings.start = .random
        let original = Synthesis.picture(target, net)
        var done: [(String, SynthesisResult)] = []
        func result(_ finished: [(String, SynthesisResult)]) -> Value {
            let pictures = finished.map { Synthesis.picture($0.1.image, net) }
            let panels = [Figure.Panel.image(original, title: "target")]
                + zip(finished, pictures).map { Figure.Panel.image($1, title: "\($0.0) (\($0.1.stepsTaken) steps)") }
            let figure = Figure(panels: panels, columns: panels.count, title: "feature inversion")
            let values = pictures.isEmpty ? Tensor.zeros([0]) : Tensor(shape: [pictures.count, original.channels, original.height, original.width],
                                                                        data: pictures.flatMap { $0.chwData() })
            let losses = finished.map { Value.double(Double($0.1.finalLoss.total)) }
            return .object(ExperimentResult(verb: "invert", figure: figure, values: values,
                                            extras: [("loss", .list(losses))], args: args, seed: seed))
        }
        let perLayer = Synthesis.progressTotal(settings)
        let progress = context.progress("inverting \(layers.joined(separator: ", "))", total: perLayer * layers.count, maxRate: Synthesis.displayRate)
        for (k, layer) in layers.enumerated() {
            settings.contentLayer = layer
            let targets = try net.synthesisTargets(content: target, contentLayer: layer, styles: [], styleLayers: [],
                                                   interruption: context.interruption)
            let start = try net.synthesisStart(.random, content: target, style: nil, shape: target.shape, seed: seed &+ UInt64(k))
            let offset = k * perLayer
            let state = try net.styleTransfer(from: start, targets: targets, settings: settings, interruption: context.interruption, progress: { p in
                progress.step(offset + p.step, status: "\(layer) " + Synthesis.status(p.values),
                              picture: p.image.map { .object(ImageValue(Synthesis.picture($0, net))) })
            }, partial: { context.partial = result(done + [(layer, $0)]) })
            done.append((layer, state))
        }
        return result(done)
    }
}
