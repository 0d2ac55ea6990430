import Engine
import Foundation

/// Data and models: `model`, `dataset`, `train`, `predict`, `summary`, `forward`, `features`.
public enum ModelVerbs {
    public static let category = "Data and models"

    public static var all: [Verb] { [model, dataset, train, predict, summary, forward, features, load] }

    static let model = Verb(
        "model", category: category,
        summary: "A network: a built-in name (\"fashion-cnn\", \"lenet\", \"mlp\", \"random-multiscale\") or an .onnx file.",
        parameters: [
            Parameter("name_or_path", .path, doc: "a built-in model name or the path of an ONNX file"),
            Parameter("mean", .list(of: .number), default: Value.none, doc: "per-channel mean of the model's input normalisation (overrides the file's)"),
            Parameter("std", .list(of: .number), default: Value.none, doc: "per-channel standard deviation of the input normalisation"),
            Parameter("classes", .list(of: .string), default: Value.none, doc: "names of the output classes"),
            Parameter("size", .list(of: .integer), default: Value.none, doc: "fixed input size [height, width] images are resized to"),
            Parameter("seed", .integer, default: .int(0), doc: "initialisation seed of untrained built-in architectures"),
            Parameter("weights", .path, default: Value.none, doc: "a .safetensors file (as written by save(net, \"w.safetensors\")) to load into the built-in architecture"),
        ],
        returns: "Model",
        doc: """
        "fashion-cnn" is trained on Fashion-MNIST the first time it is asked for (about a minute, with a progress \
        line) and cached under ~/.cache/fovea. ONNX files exported by torch.onnx.export import with layer names \
        taken from the module path (features.3.expand1x1). A .safetensors file written by `save` is a model too: \
        `model("w.safetensors")` rebuilds the architecture its metadata names; `model("lenet", weights="w.safetensors")` \
        puts the weights into the architecture given.
        """,
        example: "net = model(\"fashion-cnn\")"
    ) { args, context in
        let name = try args.string("name_or_path")
        var net: Model
        let weights = args.isNone("weights") ? nil : context.resolve(path: try args.string("weights"))
        if let weights {
            guard Model.architectureNames.contains(name) else {
                throw args.error("weights", "weights= loads into a built-in architecture (\(Model.architectureNames.joined(separator: ", "))), not \"\(name)\"; an ONNX file carries its own weights")
            }
            net = try Model.load(weights: weights.path, architecture: name)
        } else if Model.architectureNames.contains(name) {
            let progress = context.progress("training fashion-cnn (first use; cached afterwards)")
            net = try Model.named(name, seed: UInt64(try args.int("seed")), progress: { p in
                progress.step(p.batch, status: "epoch \(p.epoch)/\(p.epochs) batch \(p.batch)/\(p.batches) loss \(String(format: "%.3f", p.loss))")
            }, interruption: context.interruption)
        } else {
            let url = context.resolve(path: name)
            guard url.pathExtension.lowercased() == "onnx" || FileManager.default.fileExists(atPath: url.path) else {
                let hint = Suggestions.hint(for: name, in: Model.architectureNames)
                throw args.error("name_or_path", "no built-in model \"\(name)\" and no such file\(hint); built-in models are: \(Model.architectureNames.joined(separator: ", "))", kind: .file)
            }
            net = try modelFile(url)
        }
        if !args.isNone("mean") { net.preprocessing.mean = try numbers(args, "mean") }
        if !args.isNone("std") {
            net.preprocessing.std = try numbers(args, "std")
            if net.preprocessing.std.contains(0) { throw args.error("std", "std must not contain 0") }
        }
        if !args.isNone("classes") { net.preprocessing.classNames = try args.list("classes").map { Repr.str($0) } }
        if !args.isNone("size") {
            let size = try args.list("size").compactMap { $0.number.map(Int.init) }
            guard size.count == 2, size.allSatisfy({ $0 >= 1 }) else { throw args.error("size", "size must be [height, width]") }
            do {
                try ImageLimits.check(width: size[1], height: size[0], codec: "model input")
            } catch let error as ImageError {
                throw args.error("size", error.description)
            }
            (net.preprocessing.inputHeight, net.preprocessing.inputWidth) = (size[0], size[1])
        }
        return .object(ModelValue(net))
    }

    /// An .onnx file, or .safetensors weights of a built-in architecture (named in the file's metadata).
    static func modelFile(_ url: URL) throws -> Model {
        if url.pathExtension.lowercased() == "safetensors" { return try Model.load(weights: url.path) }
        return Model(onnx: try ONNXModel.load(contentsOf: url), name: url.deletingPathExtension().lastPathComponent)
    }

    static func numbers(_ args: Arguments, _ name: String) throws -> [Float] {
        try args.list(name).map { Float($0.number ?? 0) }
    }

    static let dataset = Verb(
        "dataset", category: category,
        summary: "Images with labels: \"fashion-mnist\", a folder with one sub-folder per class, or an .npy/.npz file.",
        parameters: [
            Parameter("name_or_path", .path, doc: "\"fashion-mnist\" (Debian package dataset-fashion-mnist), a folder, or a file"),
            Parameter("split", .string, default: .string("test"), choices: ["train", "test"], doc: "which part of Fashion-MNIST"),
            Parameter("limit", .integer, default: Value.none, min: 1, doc: "keep at most this many images (a seeded random subset)"),
            Parameter("seed", .integer, default: Value.none, doc: "shuffle with this seed (the subset taken by limit too)"),
        ],
        returns: "Dataset",
        example: "data = dataset(\"fashion-mnist\", split=\"test\", limit=2000)"
    ) { args, context in
        let name = try args.string("name_or_path")
        let path = name == "fashion-mnist" ? name : context.resolve(path: name).path
        let seed = try args.optionalInt("seed").map { UInt64(bitPattern: Int64($0)) }
        let data = try Dataset.load(path, split: try args.string("split"), limit: try args.optionalInt("limit"), seed: seed)
        return .object(DatasetValue(data))
    }

    static let train = Verb(
        "train", category: category,
        summary: "Train a model (or a built-in architecture by name) on a dataset with mini-batch SGD or Adam.",
        parameters: [
            Parameter("net_or_arch", .oneOf([.object("Model"), .string]), doc: "a Model, or \"fashion-cnn\", \"lenet\", \"mlp\""),
            Parameter("data", .object("Dataset"), doc: "the training images and labels"),
            Parameter("epochs", .integer, default: .int(2), min: 1, max: 1000, doc: "passes over the data"),
            Parameter("lr", .number, default: .double(1e-3), min: 1e-8, max: 10, doc: "learning rate"),
            Parameter("batch", .integer, default: .int(64), min: 1, max: 65536, doc: "mini-batch size"),
            Parameter("optimizer", .string, default: .string("adam"), choices: ["adam", "sgd"], doc: "Adam, or SGD with momentum 0.9"),
            Parameter("seed", .integer, default: .int(0), doc: "shuffling (and initialisation) seed"),
        ],
        returns: "Model",
        doc: "Shows epoch, batch, loss and accuracy as it goes. An interrupt stops after the current batch and binds the model trained so far to `_`.",
        example: "net = train(\"lenet\", dataset(\"fashion-mnist\", split=\"train\", limit=5000), epochs=1)"
    ) { args, context in
        let data = try args.object("data", as: DatasetValue.self).dataset
        let seed = UInt64(bitPattern: Int64(try args.int("seed")))
        var net: Model
        if let given = args["net_or_arch"].object(as: ModelValue.self) {
            net = given.model
            try ModelInput.check(data, fits: net, parameter: "data", args: args)
        } else {
            let arch = try args.string("net_or_arch")
            guard Model.architectureNames.contains(arch) else {
                throw args.error("net_or_arch", "unknown architecture \"\(arch)\"\(Suggestions.hint(for: arch, in: Model.architectureNames)); architectures are: \(Model.architectureNames.joined(separator: ", "))")
            }
            net = try Model.architecture(arch, input: Model.InputSpec(data), seed: seed)
        }
        let optimizer: OptimizerChoice = try args.string("optimizer") == "sgd" ? .sgd(momentum: 0.9) : .adam()
        let options = TrainingOptions(epochs: try args.int("epochs"), batchSize: try args.int("batch"),
                                      learningRate: Float(try args.double("lr")), optimizer: optimizer, seed: seed)
        let progress = context.progress("training \(net.name)")
        let result = try Trainer.train(net, on: data, options: options, progress: { p in
            progress.step(p.batch, status: "epoch \(p.epoch)/\(p.epochs) batch \(p.batch)/\(p.batches) loss \(String(format: "%.3f", p.loss)) accuracy \(String(format: "%.1f%%", p.accuracy * 100))")
        }, interruption: context.interruption)
        let trained = Value.object(ModelValue(result.model))
        if result.interrupted {
            context.partial = trained
            throw FoveaError(.interrupted, "training interrupted after \(result.batchesDone) batches; the model trained so far is in _")
        }
        return trained
    }

    static let predict = Verb(
        "predict", category: category, summary: "The model's top classes with probabilities.",
        parameters: [
            Parameter("net", .object("Model"), doc: "the model"),
            Parameter("img", .any, doc: "an Image, a Tensor (C×H×W or N×C×H×W) or a Dataset"),
            Parameter("top", .integer, default: .int(5), min: 1, max: 1000, doc: "how many classes to list"),
        ],
        returns: "Prediction",
        example: "predict(model(\"fashion-cnn\"), dataset(\"fashion-mnist\")[0])"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let input = try ModelInput.make(args["img"], for: net, parameter: "img", args: args)
        let logits = try net.outputLogits(input.tensor, interruption: context.interruption)
        return .object(PredictionValue.make(logits: logits, classNames: net.preprocessing.classNames,
                                            top: min(try args.int("top"), logits.shape[1])))
    }

    static let summary = Verb(
        "summary", category: category, summary: "The model's layers: name, op, output shape and parameter count.",
        parameters: [Parameter("net", .object("Model"), doc: "the model")],
        returns: "Model",
        example: "summary(model(\"fashion-cnn\"))"
    ) { args, _ in
        .object(try args.object("net", as: ModelValue.self))
    }

    static let forward = Verb(
        "forward", category: category, summary: "Run the model on an input; the raw output or one layer's activations as a Tensor.",
        parameters: [
            Parameter("net", .object("Model"), doc: "the model"),
            Parameter("x", .any, doc: "an Image, a Tensor or a Dataset"),
            Parameter("layer", .layer(model: "net"), default: Value.none, doc: "stop at this layer and return its activations"),
        ],
        returns: "Tensor",
        example: "forward(net, data[0], layer=\"conv1\")"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let input = try ModelInput.make(args["x"], for: net, parameter: "x", args: args)
        let layer = try args.optionalString("layer") ?? net.output
        let values = try net.graph.run([net.input: input.tensor], fetch: [layer], interruption: context.interruption)
        guard let out = values[layer] else { throw FoveaError(.value, "layer \"\(layer)\" was not computed") }
        return .object(TensorValue(out))
    }

    static let features = Verb(
        "features", category: category, summary: "A layer's activations for every image of a dataset, flattened: an N×D Tensor.",
        parameters: [
            Parameter("net", .object("Model"), doc: "the model"),
            Parameter("data", .object("Dataset"), doc: "the images"),
            Parameter("layer", .layer(model: "net"), doc: "the layer whose activations become the features"),
            Parameter("batch", .integer, default: .int(256), min: 1, max: 65536, doc: "images per forward pass"),
        ],
        returns: "Tensor",
        doc: "The rows keep the dataset's order, so `data.labels` labels them. Images that are not what the model takes are fitted to it as a single image is (gray ↔ RGB, resized to a fixed input size): Fashion-MNIST goes through an ImageNet model.",
        example: "feats = features(net, data, layer=\"fc1\")"
    ) { args, context in
        let net = try args.object("net", as: ModelValue.self).model
        let data = try args.object("data", as: DatasetValue.self).dataset
        let layer = try args.string("layer")
        let batch = try args.int("batch")
        return .object(TensorValue(try LayerFeatures.compute(net, data, layer: layer, batch: batch, context: context)))
    }

    static let load = Verb(
        "load", category: category, summary: "Read a file written by save: .npy → Tensor, .npz → Dataset, .png/.jpg → Image, .onnx/.safetensors → Model.",
        parameters: [Parameter("path", .path, doc: "the file (relative to the kernel's working directory)")],
        returns: "Tensor, Dataset, Image or Model",
        example: "x = load(\"sal.npy\")"
    ) { args, context in
        let path = try args.string("path")
        let url = context.resolve(path: path)
        switch url.pathExtension.lowercased() {
        case "npy":
            let array = try NpyArray(contentsOf: url.path)
            return .object(TensorValue(Tensor(shape: array.shape, data: array.floats)))
        case "npz":
            return .object(DatasetValue(try Dataset.load(url.path)))
        case "onnx", "safetensors":
            return .object(ModelValue(try modelFile(url)))
        case "png", "jpg", "jpeg":
            return .object(ImageValue(try ImagingVerbs.mapped { try ImageFiles.load(path: url.path) }))
        default:
            throw args.error("path", "load() reads .npy, .npz, .png, .jpg, .onnx and .safetensors files, not \"\(path)\"", kind: .file)
        }
    }
}
