import Engine
import Foundation

/// Lecture 12 §1 attribution: `saliency`, `occlusion`, `gradcam`, `guided_backprop`, `faithfulness`, `sanity`.
public enum AttributionVerbs {
    public static let category = "Understanding CNNs"

    public static var all: [Verb] { [saliency, occlusion, gradcam, guidedBackprop, faithfulness, sanity] }

    /// The layout saliency, occlusion and Grad-CAM share: one row per drawn input (at most `Pictures.drawnRows`)
    /// with the picture, the map panel, and row n of `overlay(n).heat` laid over the picture.
    static func rowsOfPictureMapOverlay(_ input: ModelInput, _ net: Model, cmap: ColorMap, alpha: Float,
                                        pictureTitle: (Int) -> String?, map: (Int) -> Figure.Panel,
                                        overlay: (Int) -> (heat: Tensor, title: String?)) throws -> [Figure.Panel] {
        var panels: [Figure.Panel] = []
        for n in 0..<min(Pictures.drawnRows, input.tensor.shape[0]) {
            let picture = try input.picture(n, model: net)
            let (heat, title) = overlay(n)
            panels += [.image(picture, title: pictureTitle(n)), map(n),
                       .overlay(picture, Pictures.heat(heat, row: n), map: cmap, alpha: alpha, title: title)]
        }
        return panels
    }

    static let netParameter = Parameter("net", .object("Model"), doc: "the model")
    static let imageParameter = Parameter("img", .any, doc: "an Image, or a Tensor (C×H×W or a N×C×H×W batch) fed as is")

    static let saliency = Verb(
        "saliency", category: category, summary: "Which pixels the class score is most sensitive to (gradient methods).",
        parameters: [
            netParameter, imageParameter, Pictures.targetParameter,
            Parameter("method", .string, default: .string("vanilla"), choices: SaliencyMethod.allCases.map(\.rawValue),
                      doc: "vanilla (Simonyan: max |∂score/∂x| over channels), guided (guided backprop), smoothgrad, integrated"),
            Parameter("samples", .integer, default: .int(25), min: 1, max: 10000, doc: "smoothgrad: noisy samples"),
            Parameter("noise", .number, default: .double(0.15), min: 0, max: 10, doc: "smoothgrad: noise σ as a fraction of the input's range"),
            Parameter("steps", .integer, default: .int(50), min: 2, max: 10000, doc: "integrated: points on the path from the baseline (trapezoid rule)"),
            Parameter("baseline", .number, default: .double(0), doc: "integrated: baseline value in the model's input space"),
            Pictures.colorMapParameter,
            Parameter("seed", .integer, default: Value.none, doc: "smoothgrad's noise seed (default: from the session's seed)"),
        ],
        returns: "Result",
        doc: "Shows the input, the map and an overlay titled with the class and its probability. `.values` is the map drawn (N×H×W; for guided, the N×C×H×W gradient), `.attributions` the per-channel values Captum returns.",
        example: "saliency(net, data[0], method=\"guided\")"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let input = try ModelInput.make(args["img"], for: net, parameter: "img", args: args)
        let method = SaliencyMethod(rawValue: try args.string("method")) ?? .vanilla
        var options = SaliencyOptions()
        options.samples = try args.int("samples")
        options.noise = Float(try args.double("noise"))
        options.steps = try args.int("steps")
        options.baseline = Tensor(shape: input.tensor.shape, repeating: Float(try args.double("baseline")))
        let seed = try Pictures.seed(args, context)
        options.seed = seed
        let progress = context.progress("\(method.rawValue) saliency")
        let result = try net.saliency(input.tensor, target: try Pictures.target(args, net), method: method, options: options,
                                      interruption: context.interruption) { done, total in progress.step(done, status: "\(done)/\(total) gradients") }
        let cmap = try Pictures.colorMap(args)
        let panels = try rowsOfPictureMapOverlay(input, net, cmap: cmap, alpha: 0.6,
                                                 pictureTitle: { $0 == 0 ? "input" : nil },
                                                 map: { n in method == .guided
                                                     ? .image(Pictures.normalizedImage(result.attributions, row: n), title: "guided backprop")
                                                     : .heatmap(Pictures.heat(result.map, row: n), map: cmap, title: method.rawValue) },
                                                 overlay: { n in (result.map, Pictures.label(net, result.targets[n], result.probabilities[n])) })
        let figure = Figure(panels: panels, columns: 3, title: "\(method.rawValue) saliency")
        let values = method == .guided ? result.attributions : result.map
        return .object(ExperimentResult(verb: "saliency", figure: figure, values: values, extras: [
            ("attributions", .object(TensorValue(result.attributions))),
            ("map", .object(TensorValue(result.map))),
            ("targets", .list(result.targets.map { .int($0) })),
            ("probs", .list(result.probabilities.map { .double(Double($0)) })),
        ], args: args, seed: method == .smoothgrad ? seed : nil))
    }

    static let occlusion = Verb(
        "occlusion", category: category, summary: "How much the class probability drops when a patch of the image is hidden (Zeiler & Fergus).",
        parameters: [
            netParameter, imageParameter, Pictures.targetParameter,
            Parameter("patch", .integer, default: Value.none, min: 1, max: 4096, doc: "side of the square occluding patch (default: 1/7 of the image side)"),
            Parameter("stride", .integer, default: Value.none, min: 1, max: 4096, doc: "step between patch positions (default: half the patch)"),
            Parameter("fill", .number, default: .double(0.5), doc: "pixel value written into the patch (for Tensor inputs: in the tensor's own units)"),
            Parameter("score", .string, default: .string("prob"), choices: ["prob", "logit"], doc: "measure the drop of the probability or of the logit"),
            Parameter("batch", .integer, default: .int(64), min: 1, max: 4096, doc: "occluded copies per forward pass (the result does not depend on it)"),
            Pictures.colorMapParameter,
        ],
        returns: "Result",
        doc: "`.values` follows Captum's Occlusion: each pixel gets the mean drop over the windows covering it.",
        example: "occlusion(net, data[0], patch=6, stride=2)"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let input = try ModelInput.make(args["img"], for: net, parameter: "img", args: args)
        let (h, w) = (input.tensor.shape[2], input.tensor.shape[3])
        let patch = try args.optionalInt("patch") ?? max(1, min(h, w) / 7)
        guard patch <= min(h, w) else { throw args.error("patch", "patch \(patch) is larger than the \(h)×\(w) input") }
        let stride = try args.optionalInt("stride") ?? max(1, patch / 2)
        let fillPixel = Float(try args.double("fill"))
        let fill: [Float]
        if input.fromImages {
            let p = net.preprocessing
            fill = (0..<p.channels).map { c in (fillPixel - p.mean[p.mean.count == 1 ? 0 : c]) / p.std[p.std.count == 1 ? 0 : c] }
        } else {
            fill = [fillPixel]
        }
        let score = ScoreKind(rawValue: try args.string("score")) ?? .probability
        let settings = OcclusionSettings(window: (patch, patch), stride: (stride, stride), fill: fill, score: score,
                                         batchSize: try args.int("batch"))
        let progress = context.progress("occlusion")
        let result = try net.occlusion(input.tensor, target: try Pictures.target(args, net), settings: settings,
                                       interruption: context.interruption) { done, total in progress.step(done, status: "\(done)/\(total) occluded copies") }
        let cmap = try Pictures.colorMap(args)
        let panels = try rowsOfPictureMapOverlay(input, net, cmap: cmap, alpha: 0.6,
                                                 pictureTitle: { n in Pictures.label(net, result.targets[n], score == .probability ? result.baseScores[n] : nil) },
                                                 map: { n in .heatmap(Pictures.heat(result.map, row: n), map: cmap, title: "drop of the \(score == .probability ? "probability" : "logit")") },
                                                 overlay: { _ in (result.map, "patch \(patch), stride \(stride)") })
        return .object(ExperimentResult(verb: "occlusion", figure: Figure(panels: panels, columns: 3, title: "occlusion"),
                                        values: result.map, extras: [
            ("attributions", .object(TensorValue(result.attributions))),
            ("targets", .list(result.targets.map { .int($0) })),
        ], args: args, seed: nil))
    }

    static let gradcam = Verb(
        "gradcam", category: category, summary: "Grad-CAM: where in the image a convolutional layer found evidence for the class.",
        parameters: [
            netParameter, imageParameter, Pictures.targetParameter,
            Parameter("layer", .layer(model: "net"), default: Value.none, doc: "the layer (default: the last one with a spatial output)"),
            Pictures.colorMapParameter,
        ],
        returns: "Result",
        doc: "`.values` is the map at the layer's resolution (Captum's LayerGradCam with ReLU), `.upsampled` at the input's.",
        example: "gradcam(net, data[0], layer=\"conv2\")"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let input = try ModelInput.make(args["img"], for: net, parameter: "img", args: args)
        let result = try net.gradCAM(input.tensor, target: try Pictures.target(args, net), layer: try args.optionalString("layer"),
                                     interruption: context.interruption)
        let cmap = try Pictures.colorMap(args)
        let panels = try rowsOfPictureMapOverlay(input, net, cmap: cmap, alpha: 0.5,
                                                 pictureTitle: { n in Pictures.label(net, result.targets[n], result.probabilities[n]) },
                                                 map: { n in .heatmap(Pictures.heat(result.map, row: n), map: cmap, title: "Grad-CAM at \(result.layer)") },
                                                 overlay: { _ in (result.upsampled, "overlay") })
        let n = result.map.shape[0]
        return .object(ExperimentResult(verb: "gradcam", figure: Figure(panels: panels, columns: 3, title: "Grad-CAM"),
                                        values: result.map.reshaped([n] + Array(result.map.shape.suffix(2))), extras: [
            ("upsampled", .object(TensorValue(result.upsampled.reshaped([n] + Array(result.upsampled.shape.suffix(2)))))),
            ("layer", .string(result.layer)),
            ("targets", .list(result.targets.map { .int($0) })),
        ], args: args, seed: nil))
    }

    static let guidedBackprop = Verb(
        "guided_backprop", category: category, summary: "The guided-backprop image of one neuron: what in the input excites a channel of a layer.",
        parameters: [
            netParameter, imageParameter,
            Parameter("layer", .layer(model: "net"), doc: "the layer"),
            Parameter("channel", .integer, min: 0, doc: "the channel (at its most active position)"),
        ],
        returns: "Result",
        example: "guided_backprop(net, data[0], \"conv2\", 3)"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let input = try ModelInput.make(args["img"], for: net, parameter: "img", args: args)
        let layer = try args.string("layer"), channel = try args.int("channel")
        let gradient = try net.guidedNeuronGradient(input.tensor, layer: layer, channel: channel, interruption: context.interruption)
        var panels: [Figure.Panel] = []
        for n in 0..<min(Pictures.drawnRows, input.tensor.shape[0]) {
            panels.append(.image(try input.picture(n, model: net), title: n == 0 ? "input" : nil))
            panels.append(.image(Pictures.normalizedImage(gradient, row: n), title: "\(layer) channel \(channel)"))
        }
        return .object(ExperimentResult(verb: "guided_backprop", figure: Figure(panels: panels, columns: 2, title: "guided backprop"),
                                        values: gradient, args: args, seed: nil))
    }

    static let faithfulness = Verb(
        "faithfulness", category: category, summary: "Deletion and insertion curves (and their AUCs) for an attribution map.",
        parameters: [
            netParameter, imageParameter,
            Parameter("map", .any, doc: "an attribution: a Result of saliency/occlusion/gradcam, or an H×W Tensor"),
            Pictures.targetParameter,
            Parameter("steps", .integer, default: .int(32), min: 2, max: 1000, doc: "pixel fractions evaluated"),
        ],
        returns: "Result",
        doc: "Deletion removes the most important pixels first (lower AUC is better); insertion adds them to a blurred copy (higher is better).",
        example: "faithfulness(net, img, saliency(net, img))"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let input = try ModelInput.make(args["img"], for: net, parameter: "img", args: args)
        guard input.tensor.shape[0] == 1 else { throw args.error("img", "faithfulness takes one image, not a batch of \(input.tensor.shape[0])") }
        var map: Tensor
        if let r = args["map"].object(as: ExperimentResult.self) {
            map = OverlayVerb.mapTensor(of: r)
            if map.rank == 4 { map = maxAbsOverChannels(map) }
        } else if let t = args["map"].object(as: TensorValue.self)?.tensor {
            map = t
        } else {
            throw args.error("map", "map must be a Result of an attribution verb or a Tensor, not \(args["map"].typeName)", kind: .type)
        }
        let curves = try net.faithfulness(input.tensor, map: map, target: try Pictures.target(args, net), steps: try args.int("steps"),
                                          interruption: context.interruption)
        let x = curves.fractions.map(Double.init)
        let plot = LinePlot(series: [.init(name: "deletion (AUC \(String(format: "%.3f", curves.deletionAUC)))", x: x, y: curves.deletion.map(Double.init)),
                                     .init(name: "insertion (AUC \(String(format: "%.3f", curves.insertionAUC)))", x: x, y: curves.insertion.map(Double.init))],
                            title: "faithfulness for \(Pictures.label(net, curves.target, nil))", xLabel: "fraction of pixels",
                            yLabel: "probability", yRange: 0...1)
        let figure = Figure(panels: [.image(try input.picture(0, model: net), title: "input"), Figure.Panel(.line(plot))], columns: 2, panelSize: 320)
        let values = Tensor(shape: [3, curves.fractions.count], data: curves.fractions + curves.deletion + curves.insertion)
        return .object(ExperimentResult(verb: "faithfulness", figure: figure, values: values, extras: [
            ("deletion_auc", .double(Double(curves.deletionAUC))),
            ("insertion_auc", .double(Double(curves.insertionAUC))),
        ], args: args, seed: nil))
    }

    static let sanity = Verb(
        "sanity", category: category, summary: "Model-randomisation sanity check (Adebayo et al. 2018): do the maps change when the weights are randomised?",
        parameters: [
            netParameter, imageParameter,
            Parameter("method", .string, default: .string("vanilla"), choices: SaliencyMethod.allCases.map(\.rawValue), doc: "the saliency method to check"),
            Pictures.targetParameter,
            Parameter("seed", .integer, default: Value.none, doc: "seed of the random weights"),
            Pictures.colorMapParameter,
        ],
        returns: "Result",
        doc: "Layers are randomised from the top down (cascading); each panel shows the map and its Spearman rank correlation with the original. A trustworthy method's correlation falls.",
        example: "sanity(net, data[0], \"guided\")"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let input = try ModelInput.make(args["img"], for: net, parameter: "img", args: args)
        guard input.tensor.shape[0] == 1 else { throw args.error("img", "sanity takes one image, not a batch of \(input.tensor.shape[0])") }
        let method = SaliencyMethod(rawValue: try args.string("method")) ?? .vanilla
        let seed = try Pictures.seed(args, context)
        let progress = context.progress("sanity check")
        let result = try net.sanityCheck(input.tensor, method: method, target: try Pictures.target(args, net), seed: seed,
                                         interruption: context.interruption) { done, total in progress.step(done, status: "\(done)/\(total) layers randomised") }
        let cmap = try Pictures.colorMap(args)
        var panels: [Figure.Panel] = [.image(try input.picture(0, model: net), title: "input"),
                                      .heatmap(Pictures.heat(result.originalMap.reshaped([1] + result.originalMap.shape), row: 0), map: cmap, title: "original", colorBar: false)]
        for (k, map) in result.randomizedMaps.enumerated() {
            panels.append(.heatmap(Pictures.heat(map.reshaped([1] + map.shape), row: 0), map: cmap,
                                   title: "up to \(result.layers[k])\nρ = \(String(format: "%.2f", result.rankCorrelations[k]))", colorBar: false))
        }
        let figure = Figure(panels: panels, columns: 4, panelSize: 160, title: "\(method.rawValue) saliency under cascading randomisation")
        return .object(ExperimentResult(verb: "sanity", figure: figure, values: Tensor(shape: [result.rankCorrelations.count], data: result.rankCorrelations), extras: [
            ("layers", .list(result.layers.map { .string($0) })),
        ], args: args, seed: seed))
    }
}
