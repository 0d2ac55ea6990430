import Engine
import Foundation

/// Lecture 12 §1, looking at the network itself: `filters`, `activations`, `patches`, `classvis`, `fool`.
public enum UnderstandingVerbs {
    public static let category = "Understanding CNNs"

    public static var all: [Verb] { [filters, activations, patches, classvis, fool] }

    static let filters = Verb(
        "filters", category: category, summary: "A convolution layer's kernels as a grid (colour for RGB first layers).",
        parameters: [
            AttributionVerbs.netParameter,
            Parameter("layer", .layer(model: "net"), default: Value.none, doc: "a convolution layer (default: the first)"),
            Parameter("max", .integer, default: .int(64), min: 1, max: 1024, doc: "show at most this many kernels"),
        ],
        returns: "Result",
        doc: "Each kernel is normalised for display and enlarged with nearest neighbour so 3×3 kernels are visible. Kernels of deeper layers are shown per input channel in gray (first input channel).",
        example: "filters(model(\"fashion-cnn\"))"
    ) { args, _ in
        let net = try args.object("net", as: ModelValue.self).model
        let convs = net.graph.nodes.filter { $0.op is Conv }
        guard let node = try args.optionalString("layer").map({ name in net.graph.node(named: name) }) ?? convs.first else {
            throw args.error("net", "model \(net.name) has no convolution layer")
        }
        guard node.op is Conv, node.inputs.count > 1, let weights = net.graph.initializers[node.inputs[1]], weights.rank == 4 else {
            throw args.error("layer", "layer \"\(node.name)\" is a \(node.op.opType), not a convolution with weights; convolutions are: \(convs.map(\.name).joined(separator: ", "))")
        }
        let (o, i, kh, kw) = (weights.shape[0], weights.shape[1], weights.shape[2], weights.shape[3])
        let shown = min(o, try args.int("max"))
        let scale = max(1, 32 / max(kh, kw))
        var tiles: [Image] = []
        for k in 0..<shown {
            let kernel = try weights.slice(axis: 0, k..<(k + 1))
            let channels = i == 3 ? 3 : 1
            let data = Array(kernel.scalars.prefix(channels * kh * kw))
            let tile = Image(chw: data, channels: channels, height: kh, width: kw).normalizedForDisplay(symmetric: false)
            tiles.append(tile.resized(height: kh * scale, width: kw * scale, filter: .nearest))
        }
        let picture = try ImageGrid(images: tiles, columns: min(8, tiles.count), padding: 2).render()
        let figure = Figure(panels: [.image(picture, title: "\(node.name): \(o) kernels \(i)×\(kh)×\(kw)")], panelSize: max(224, picture.width))
        return .object(ExperimentResult(verb: "filters", figure: figure, values: weights, extras: [("layer", .string(node.name))], args: args, seed: nil))
    }

    static let activations = Verb(
        "activations", category: category, summary: "A layer's feature maps for one image, as a grid with a colour bar.",
        parameters: [
            AttributionVerbs.netParameter, AttributionVerbs.imageParameter,
            Parameter("layer", .layer(model: "net"), doc: "the layer"),
            Parameter("channels", .list(of: .integer), default: Value.none, doc: "which channels (default: the first 64)"),
            Parameter("scale", .string, default: .string("shared"), choices: ["shared", "each"], doc: "one colour scale for all maps, or one per map"),
            Pictures.colorMapParameter,
        ],
        returns: "Result",
        example: "activations(net, data[0], \"conv1\")"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let input = try ModelInput.make(args["img"], for: net, parameter: "img", args: args)
        let layer = try args.string("layer")
        guard let a = try net.graph.run([net.input: try input.tensor.slice(axis: 0, 0..<1)], fetch: [layer], interruption: context.interruption)[layer] else {
            throw FoveaError(.value, "layer \"\(layer)\" was not computed")
        }
        guard a.rank == 4 else {
            throw args.error("layer", "layer \"\(layer)\" has output shape \(a.shape); activations shows layers with feature maps (N×C×H×W)", kind: .shape)
        }
        let (c, h, w) = (a.shape[1], a.shape[2], a.shape[3])
        let channels: [Int]
        if args.isNone("channels") {
            channels = Array(0..<min(c, 64))
        } else {
            channels = try args.list("channels").map { Int($0.number ?? -1) }
            if let bad = channels.first(where: { !(0..<c).contains($0) }) {
                throw args.error("channels", "channel \(bad) is out of range: layer \"\(layer)\" has \(c) channels (0…\(c - 1))")
            }
        }
        let cmap = try Pictures.colorMap(args)
        let shared = try args.string("scale") == "shared"
        let maps = channels.map { k in HeatMap(height: h, width: w, values: a.withUnsafeBufferPointer { Array($0[(k * h * w)..<((k + 1) * h * w)]) }) }
        let all = maps.flatMap(\.values)
        let range = shared ? HeatMap(height: 1, width: all.count, values: all).autoRange(symmetric: cmap.isDiverging) : nil
        let panels = zip(channels, maps).map { k, m in Figure.Panel.heatmap(m, map: cmap, range: range, title: "#\(k)", colorBar: !shared) }
        let columns = Int(Double(panels.count).squareRoot().rounded(.up))
        let figure = Figure(panels: panels, columns: columns, panelSize: 96, title: "\(layer): \(c) maps \(h)×\(w)",
                            sharedColorBar: range.map { (cmap, $0) })
        let picked = Tensor(shape: [channels.count, h, w], data: maps.flatMap(\.values))
        return .object(ExperimentResult(verb: "activations", figure: figure, values: picked, args: args, seed: nil))
    }

    static let patches = Verb(
        "patches", category: category, summary: "The dataset crops (receptive fields) that most activate one channel of a layer.",
        parameters: [
            AttributionVerbs.netParameter,
            Parameter("data", .object("Dataset"), doc: "the images to search"),
            Parameter("layer", .layer(model: "net"), doc: "the layer"),
            Parameter("channel", .integer, min: 0, doc: "the channel"),
            Parameter("k", .integer, default: .int(9), min: 1, max: 256, doc: "how many patches"),
        ],
        returns: "Result",
        doc: "Each crop is the true receptive field of the most active unit, worked out from the strides, paddings and kernels on the way; `.values` is k×2: dataset index and activation.",
        example: "patches(net, data, \"conv2\", 5)"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let data = try args.object("data", as: DatasetValue.self).dataset
        let layer = try args.string("layer"), channel = try args.int("channel")
        try ModelInput.check(data, fits: net, parameter: "data", args: args)
        let progress = context.progress("searching \(data.count) images", total: data.count)
        let found = try net.maximallyActivatingPatches(data, layer: layer, channel: channel, k: try args.int("k"),
                                                       interruption: context.interruption) { done, _ in progress.step(done) }
        let crops = found.map { p -> Image in
            let r = p.region
            return data.image(p.imageIndex).cropped(top: r.top, left: r.left, height: r.bottom - r.top, width: r.right - r.left)
        }
        let side = crops.map { max($0.width, $0.height) }.max() ?? 1
        let tiles = crops.map { $0.resized(height: $0.height * max(1, 64 / side), width: $0.width * max(1, 64 / side), filter: .nearest) }
        let titles = found.map { String(format: "%.2f", $0.activation) }
        let picture = try ImageGrid(images: tiles, columns: min(tiles.count, Int(Double(tiles.count).squareRoot().rounded(.up))), titles: titles).render()
        let figure = Figure(panels: [.image(picture, title: "\(layer) channel \(channel): top \(found.count)")], panelSize: max(224, picture.width))
        let values = Tensor(shape: [found.count, 2], data: found.flatMap { [Float($0.imageIndex), $0.activation] })
        return .object(ExperimentResult(verb: "patches", figure: figure, values: values, args: args, seed: nil))
    }

    static let classvis = Verb(
        "classvis", category: category, summary: "An image the model scores highly for a class (gradient ascent on the class score).",
        parameters: [
            AttributionVerbs.netParameter,
            Parameter("target", .oneOf([.integer, .string]), doc: "class index or name"),
            Parameter("steps", .integer, default: .int(100), min: 1, max: 100000, doc: "ascent steps"),
            Parameter("lr", .number, default: .double(25), min: 0, doc: "step length along the normalised gradient"),
            Parameter("l2", .number, default: .double(1e-3), min: 0, doc: "L2 penalty on the image"),
            Parameter("blur_every", .integer, default: .int(10), min: 0, doc: "blur every this many steps (0: never)"),
            Parameter("blur_sigma", .number, default: .double(0.5), min: 0, doc: "blur width in pixels"),
            Parameter("jitter", .integer, default: Value.none, min: 0, doc: "largest random shift in pixels (default: 16 at 224 px, scaled to the input)"),
            Parameter("clip", .bool, default: .bool(true), doc: "keep pixels in the valid range"),
            Parameter("seed", .integer, default: Value.none, doc: "seed of the random start and jitter"),
        ],
        returns: "Result",
        doc: "CS231n's recipe (Simonyan et al. 2014 with jitter and blur). The image updates live; an interrupt keeps it (in `_`).",
        example: "classvis(net, \"Sneaker\")"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        guard let target = try Pictures.target(args, net) else { throw args.error("target", "classvis needs a target class") }
        var settings = ClassVisualizationSettings()
        settings.steps = try args.int("steps")
        settings.learningRate = Float(try args.double("lr"))
        settings.l2 = Float(try args.double("l2"))
        settings.blurEvery = try args.int("blur_every")
        settings.blurSigma = Float(try args.double("blur_sigma"))
        let side = net.defaultInputShape[3]
        settings.jitter = try args.optionalInt("jitter") ?? max(1, Int((16 * Double(side) / 224).rounded()))
        settings.clip = try args.bool("clip")
        let seed = try Pictures.seed(args, context)
        settings.seed = seed
        let progress = context.progress("class visualisation of \(Pictures.label(net, target, nil))", total: settings.steps)
        func picture(_ t: Tensor) -> Image { ModelInput.image(fromInputSpace: t, model: net) }
        func result(_ state: ClassVisualization) -> Value {
            let image = picture(state.image)
            let figure = Figure(panels: [.image(image, title: "\(Pictures.label(net, target, nil)): score \(String(format: "%.2f", state.score)), rank \(state.rank + 1)")],
                                title: "class visualisation, \(state.stepsTaken) steps")
            return .object(ExperimentResult(verb: "classvis", figure: figure, values: Tensor(shape: [image.channels, image.height, image.width], data: image.chwData()),
                                            extras: [("rank", .int(state.rank)), ("score", .double(Double(state.score)))], args: args, seed: seed))
        }
        let state = try net.classVisualization(target: target, settings: settings, interruption: context.interruption, progress: { p in
            progress.step(p.step, status: "score \(String(format: "%.2f", p.values.first?.value ?? 0))",
                          picture: p.image.map { .object(ImageValue(picture($0))) })
        }, partial: { context.partial = result($0) })
        return result(state)
    }

    static let fool = Verb(
        "fool", category: category, summary: "A fooling image: the smallest nudge (along the gradient) that makes the model predict the target.",
        parameters: [
            AttributionVerbs.netParameter, AttributionVerbs.imageParameter,
            Parameter("target", .oneOf([.integer, .string]), doc: "the class to fool the model into"),
            Parameter("steps", .integer, default: .int(100), min: 1, max: 100000, doc: "at most this many steps"),
            Parameter("method", .string, default: .string("sign"), choices: ["sign", "l2"],
                      doc: "sign: steps of lr pixels along the sign of the gradient of the margin (target score minus the strongest other score; smallest largest-pixel change); l2: CS231n's steps along the normalised gradient of the target score"),
            Parameter("lr", .number, default: Value.none, min: 0, doc: "step length (default: 0.002 pixels for sign; for l2, CS231n's 1 at 3×224×224 scaled by √(input size / 150528))"),
        ],
        returns: "Result",
        doc: "Shows the original, the fooling image, their difference magnified and the predictions before and after. `.values` is the fooling image (C×H×W, pixels).",
        example: "fool(net, data[0], \"Bag\")"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let input = try ModelInput.make(args["img"], for: net, parameter: "img", args: args)
        guard input.tensor.shape[0] == 1 else { throw args.error("img", "fool takes one image, not a batch of \(input.tensor.shape[0])") }
        guard let target = try Pictures.target(args, net) else { throw args.error("target", "fool needs a target class") }
        let progress = context.progress("fooling", total: try args.int("steps"))
        let r = try net.foolingImage(input.tensor, target: target, steps: try args.int("steps"), learningRate: try args.optionalDouble("lr").map(Float.init), signed: try args.string("method") == "sign",
                                     interruption: context.interruption) { p in progress.step(p.step) }
        func picture(_ t: Tensor) -> Image { ModelInput.image(fromInputSpace: t, model: net) }
        let (before, after) = (picture(r.original), picture(r.image))
        let linf = zip(after.pixels, before.pixels).map { abs($0 - $1) }.max() ?? 0
        let magnify = linf > 0 ? 0.5 / linf : 1
        let difference = zip(after.pixels, before.pixels).map { min(1, max(0, 0.5 + magnify * ($0 - $1))) }
        let p0 = softmaxRows(r.logitsBefore), p1 = softmaxRows(r.logitsAfter)
        let top0 = r.logitsBefore.argmaxLastAxis()[0], top1 = r.logitsAfter.argmaxLastAxis()[0]
        let panels: [Figure.Panel] = [
            .image(before, title: "original\n\(Pictures.label(net, top0, p0[0, top0]))"),
            .image(after, title: "fooling image\n\(Pictures.label(net, top1, p1[0, top1]))"),
            .image(Image(height: after.height, width: after.width, channels: after.channels, pixels: difference),
                   title: "difference ×\(String(format: "%.0f", magnify))\nL∞ \(String(format: "%.3f", linf))"),
        ]
        let title = r.succeeded ? "fooled into \(Pictures.label(net, target, nil)) in \(r.steps) steps" : "not fooled within \(r.steps) steps"
        return .object(ExperimentResult(verb: "fool", figure: Figure(panels: panels, columns: 3, title: title),
                                        values: Tensor(shape: [after.channels, after.height, after.width], data: after.chwData()), extras: [
            ("succeeded", .bool(r.succeeded)), ("steps", .int(r.steps)), ("linf", .double(Double(linf))),
        ], args: args, seed: nil))
    }
}
