import Engine
import Foundation

/// Lecture 12 §3, fast style transfer (Johnson et al. 2016): `stylizer` trains a feed-forward network with
/// the perceptual loss, `stylize` applies it in one forward pass.
enum StylizerVerbs {
    /// The sample photographs `data="samples"` trains on. Chelsea and motorcycle_right are left out so the
    /// notebook can show the stylizer on pictures it never saw.
    static let trainingSamples = ["astronaut", "coffee", "rocket", "motorcycle_left", "hubble_deep_field", "retina", "ihc"]

    static let stylizer = Verb(
        "stylizer", category: Synthesis.category, summary: "Fast style transfer: train a feed-forward network that paints any picture in one style (Johnson et al.).",
        parameters: [
            Parameter("net", .object("Model"), doc: "the loss network whose features are matched (e.g. model(\"random-multiscale\"))"),
            Parameter("style", .oneOf([.object("Image"), .object("Tensor")]), doc: "the style image"),
            Parameter("data", .oneOf([.string, .list(of: .object("Image")), .object("Dataset")]),
                      doc: "training pictures: \"samples\" (seven of the sample photographs), a folder of pictures, a list of images or a dataset"),
            Parameter("steps", .integer, default: .int(150), min: 1, max: 100000, doc: "training steps (Johnson: 40 000)"),
            Parameter("size", .integer, default: .int(96), min: 8, max: 1024, doc: "side of the square random training crops, a multiple of 4 (Johnson: 256)"),
            Parameter("batch", .integer, default: .int(1), min: 1, max: 64, doc: "crops per step (Johnson: 4)"),
            Parameter("lr", .number, default: .double(5e-3), min: 0, doc: "Adam's learning rate (Johnson: 1e-3, for 200 times more steps)"),
            Parameter("content_layer", .layer(model: "net"), default: Value.none, doc: "the content layer (default: as style_transfer)"),
            Parameter("content_weight", .number, default: Value.none, min: 0, doc: "content weight (default: as style_transfer)"),
            Parameter("style_layers", .oneOf([.layer(model: "net"), .list(of: .layer(model: "net"))]), default: Value.none,
                      doc: "layers whose Gram matrices are matched (default: as style_transfer, but only random-multiscale's 3–11 px banks: the wider ones cost four fifths of the time)"),
            Parameter("style_weights", .oneOf([.list(of: .number), .dict(of: .number)]), default: Value.none,
                      doc: "one weight per style layer, or a dict layer → weight (default: as style_transfer)"),
        ] + [
            Parameter("tv_weight", .number, default: Value.none, min: 0, doc: "total-variation weight (default: as style_transfer)"),
            Parameter("style_size", .integer, default: Value.none, min: 8, max: 2048, doc: "shorter side of the style image (default: size)"),
            Parameter("width", .integer, default: .int(16), min: 1, max: 256, doc: "channels of the first layer; the next two have 2× and 4× (Johnson: 32)"),
            Parameter("blocks", .integer, default: .int(3), min: 0, max: 16, doc: "residual blocks (Johnson: 5)"),
            Parameter("seed", .integer, default: Value.none, doc: "seed of the initial weights and of the crops"),
        ],
        returns: "Stylizer",
        doc: "Johnson et al.'s transformer (9×9 conv, two stride-2 convs, residual blocks, two nearest-neighbour ×2 upsamplings with convs, 9×9 conv; instance normalisation throughout, reflection padding) trained with Adam on style_transfer's perceptual loss (content, Gram style and TV terms through `net`, averaged over the batch) on random crops with flips. The network adds its output to the input, so it starts as the identity and 150 steps on two cores (about a minute and a half) already change colours and fine texture; Johnson's full setting (widths 32/64/128, 5 blocks, 40 000 steps of batch 4 at 256 px) needs a GPU. The current stylised crop updates live; an interrupt keeps the stylizer trained so far (in `_`). Apply it with stylize(s, img); save(s, \"x.onnx\") writes it for onnxruntime (pixels in [0, 1] in and out, sides multiples of 4).",
        example: "s = stylizer(model(\"random-multiscale\"), image(\"sample:gravel\"), \"samples\", steps=100)"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let size = try args.int("size")
        guard size % 4 == 0 else { throw args.error("size", "size must be a multiple of 4 (two stride-2 layers), got \(size); try \(size / 4 * 4 + 4)") }
        guard net.preprocessing.channels == 3 else {
            throw args.error("net", "the loss network must take RGB images; \(net.name) takes \(net.preprocessing.channels) channel(s)")
        }
        let style = try Synthesis.input(args, "style", net, size: try args.optionalInt("style_size") ?? size)
        let images = try trainingImages(args, context: context)
        let defaults = net.synthesisDefaults
        var styleDefaults = defaults
        if net.architecture == "random-multiscale" {
            // The 15×15 and 23×23 banks cost four fifths of the loss network's time; training crops are small.
            styleDefaults.styleLayers = Array(defaults.styleLayers.prefix(4))
            styleDefaults.styleWeights = Array(defaults.styleWeights.prefix(4))
        }
        let (layers, weights) = try Synthesis.styleLayers(args, layers: "style_layers", weights: "style_weights", net, defaults: styleDefaults)
        let seed = try Pictures.seed(args, context)
        var settings = StylizerSettings()
        settings.steps = try args.int("steps")
        settings.size = size
        settings.batchSize = try args.int("batch")
        settings.learningRate = Float(try args.double("lr"))
        let width = try args.int("width")
        settings.architecture = StylizerArchitecture(widths: [width, 2 * width, 4 * width], residualBlocks: try args.int("blocks"))
        settings.seed = seed
        settings.loss.weighting = defaults.weighting
        settings.loss.contentLayer = try args.optionalString("content_layer") ?? defaults.contentLayer
        settings.loss.contentWeight = Float(try args.optionalDouble("content_weight") ?? Double(defaults.contentWeight))
        settings.loss.styleLayers = layers
        settings.loss.styleWeights = weights
        settings.loss.tvWeight = Float(try args.optionalDouble("tv_weight") ?? Double(defaults.tvWeight))
        let stylePicture = Synthesis.picture(style, net)
        let previewInput = images[0].toRGB().resized(shorterSide: size).centerCropped(height: size, width: size)
        func value(_ trained: Stylizer) -> Value {
            let pixels = Tensor(shape: [1, 3, size, size], data: previewInput.chwData())
            let after = (try? trained.stylize(pixels)).map { Image(chw: $0.scalars, channels: 3, height: size, width: size) }
            return .object(StylizerValue(stylizer: trained, style: stylePicture, preview: after.map { (previewInput, $0) }))
        }
        let progress = context.progress("training stylizer on \(images.count) image\(images.count == 1 ? "" : "s")",
                                        total: settings.steps, maxRate: Synthesis.displayRate)
        let trained = try net.trainStylizer(style: style, images: images, settings: settings, interruption: context.interruption,
                                            progress: Synthesis.handler(progress, net), partial: { context.partial = value($0) })
        return value(trained)
    }

    static let stylize = Verb(
        "stylize", category: Synthesis.category, summary: "Apply a trained stylizer to a picture, in one forward pass.",
        parameters: [
            Parameter("stylizer", .object("Stylizer"), doc: "a network made by stylizer(…)"),
            Parameter("img", .oneOf([.object("Image"), .list(of: .object("Image"))]), doc: "the picture, or a list of pictures"),
            Parameter("size", .integer, default: Value.none, min: 8, max: 4096, doc: "resize the picture's shorter side first"),
        ],
        returns: "Image",
        doc: "Any size works (sides that are not multiples of 4 are padded and cropped back). A list of pictures gives a list of images.",
        example: "stylize(s, image(\"sample:chelsea\"))"
    ) { args, context in
        let value = try args.object("stylizer", as: StylizerValue.self)
        let size = try args.optionalInt("size")
        func run(_ image: Image) throws -> Value {
            var picture = image.toRGB()
            if let size { picture = try ImagingVerbs.mapped { try picture.checkedResize(shorterSide: size) } }
            let pixels = Tensor(shape: [1, 3, picture.height, picture.width], data: picture.chwData())
            let out = try value.stylizer.stylize(pixels, interruption: context.interruption)
            var result = Image(chw: out.scalars, channels: 3, height: picture.height, width: picture.width)
            result.name = image.name.map { "\($0), stylized" }
            return .object(ImageValue(result))
        }
        if case .list(let items) = args["img"] {
            return .list(try items.compactMap { $0.object(as: ImageValue.self)?.image }.map(run))
        }
        return try run(try args.object("img", as: ImageValue.self).image)
    }

    /// The `data` argument as pictures.
    static func trainingImages(_ args: Arguments, context: VerbContext) throws -> [Image] {
        var images: [Image] = []
        switch args["data"] {
        case .string("samples"):
            images = try ImagingVerbs.mapped { try trainingSamples.map { try SampleImages.load($0) } }
        case .string(let path):
            let folder = context.resolve(path: path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw args.error("data", "data must be \"samples\", a folder of pictures, a list of images or a dataset; \"\(path)\" is not a folder", kind: .file)
            }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for entry in entries.sorted() where ["png", "jpg", "jpeg"].contains(URL(fileURLWithPath: entry).pathExtension.lowercased()) {
                images.append(try ImagingVerbs.mapped { try ImageFiles.load(path: folder.appendingPathComponent(entry).path) })
            }
        case .list(let items):
            images = items.compactMap { $0.object(as: ImageValue.self)?.image }
        default:
            if let data = args["data"].object(as: DatasetValue.self)?.dataset {
                images = (0..<data.count).map { data.image($0) }
            }
        }
        guard !images.isEmpty else { throw args.error("data", "no training pictures in data") }
        return images
    }
}
