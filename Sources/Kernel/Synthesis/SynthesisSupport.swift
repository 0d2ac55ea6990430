import Engine
import Foundation

/// Shared pieces of the synthesis verbs: images in and out of the model's input space, the live progress,
/// the optimiser parameters and the result value.
enum Synthesis {
    static let category = "Dreams and styles"

    /// Live updates at most this often per second.
    static let displayRate = 4.0

    /// An image argument in the model's input space `[1, C, H, W]`; Images are first resized so their shorter
    /// side is `size` (when given and the model takes any size). Tensors are fed as they are.
    static func input(_ args: Arguments, _ name: String, _ net: Model, size: Int?) throws -> Tensor {
        try input(args[name], args, name, net, size: size)
    }

    static func input(_ value: Value, _ args: Arguments, _ name: String, _ net: Model, size: Int?) throws -> Tensor {
        var value = value
        if let size, net.preprocessing.inputHeight == nil, let image = value.object(as: ImageValue.self)?.image {
            // Checked against the pixel budget: a panorama's shorter side at `size` can be a huge image.
            value = .object(ImageValue(try ImagingVerbs.mapped { try image.checkedResize(shorterSide: size) }))
        }
        let made = try ModelInput.make(value, for: net, parameter: name, args: args)
        guard made.tensor.shape[0] == 1 else {
            throw args.error(name, "\(name) must be one image, not a batch of \(made.tensor.shape[0])", kind: .shape)
        }
        return made.tensor
    }

    /// An input-space tensor `[1, C, H, W]` as a picture in [0, 1].
    static func picture(_ t: Tensor, _ net: Model) -> Image { ModelInput.image(fromInputSpace: t, model: net) }

    static func values(_ image: Image) -> Tensor {
        Tensor(shape: [image.channels, image.height, image.width], data: image.chwData())
    }

    /// "content 1.2e+01 style 3.4e+00 tv 5.6e-01 loss 1.6e+01".
    static func status(_ values: [(name: String, value: Float)]) -> String {
        values.map { "\($0.name) \(String(format: "%.3g", $0.value))" }.joined(separator: " ")
    }

    /// A progress handler that shows step k/N, the loss terms and the current picture.
    static func handler(_ progress: Progress, _ net: Model) -> ProgressHandler {
        { p in progress.step(p.step, status: status(p.values), picture: p.image.map { .object(ImageValue(picture($0, net))) }) }
    }

    /// Layer names given as one name or a list, checked against the model.
    static func layers(_ args: Arguments, _ name: String, _ net: Model) throws -> [String]? {
        let names: [String]
        switch args[name] {
        case .none: return nil
        case .string(let s): names = [s]
        case .list(let items): names = items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        case .dict(let d): names = d.keys
        default: throw args.error(name, "\(name) must be a layer name or a list of layer names", kind: .type)
        }
        let known = Set(net.layerNames)
        for layer in names where !known.contains(layer) {
            throw args.error(name, "unknown layer \"\(layer)\"\(Suggestions.hint(for: layer, in: net.layerNames)); layers are: \(net.layerNames.joined(separator: ", "))")
        }
        guard !names.isEmpty else { throw args.error(name, "\(name) must name at least one layer") }
        return names
    }

    /// Style layers and their weights: `weights` may be a list (one per layer) or a dict layer → weight (then
    /// it also names the layers when `layers` is not given).
    static func styleLayers(_ args: Arguments, layers layersName: String, weights weightsName: String, _ net: Model,
                            defaults: SynthesisDefaults) throws -> (layers: [String], weights: [Float]) {
        if case .dict(let d) = args[weightsName] {
            let given = try layers(args, layersName, net)
            let named = try layers(args, weightsName, net) ?? []
            let chosen = given ?? named
            for layer in chosen where d[layer] == nil {
                throw args.error(weightsName, "no weight for style layer \"\(layer)\"")
            }
            return (chosen, chosen.map { Float(d[$0]?.number ?? 0) })
        }
        let chosen = try layers(args, layersName, net) ?? defaults.styleLayers
        guard !chosen.isEmpty else { throw args.error(layersName, "model \(net.name) has no layers to take Gram matrices of; give style_layers") }
        if case .list(let items) = args[weightsName] {
            let weights = items.compactMap(\.number).map(Float.init)
            guard weights.count == chosen.count else {
                throw args.error(weightsName, "\(weights.count) style weights for \(chosen.count) style layers (\(chosen.joined(separator: ", ")))")
            }
            return (chosen, weights)
        }
        if chosen == defaults.styleLayers { return (chosen, defaults.styleWeights) }
        // Layers chosen by hand without weights: CS231n's weights make no sense for them; weigh them equally.
        let each: Float = defaults.weighting == .relative ? 1 : defaults.styleWeights.last ?? 1
        return (chosen, Array(repeating: each, count: chosen.count))
    }

    /// The optimiser parameters every pixel-optimisation verb takes.
    static let optimiserParameters: [Parameter] = [
        Parameter("steps", .integer, default: .int(200), min: 1, max: 100000, doc: "Adam steps or L-BFGS iterations (CS231n: 200)"),
        Parameter("lr", .number, default: Value.none, min: 0, doc: "learning rate (default: CS231n's 3.0 for Adam, decayed to 0.1 for the last 10 % of the steps; neural-style's 1 for L-BFGS)"),
        Parameter("optimizer", .string, default: .string("adam"), choices: SynthesisOptimizer.allCases.map(\.rawValue),
                  doc: "\"adam\" (CS231n's schedule) or \"lbfgs\" (neural-style's choice: torch.optim.LBFGS, history 100)"),
        Parameter("line_search", .string, default: .string("strong_wolfe"), choices: LineSearch.allCases.map(\.rawValue),
                  doc: "L-BFGS only: strong_wolfe (PyTorch's line search) or none (neural-style's fixed steps, which overshoot on random-multiscale)"),
        Parameter("seed", .integer, default: Value.none, doc: "seed of the random start"),
    ]

    static let netParameter = Parameter("net", .object("Model"), doc: "the network whose features are matched (e.g. model(\"random-multiscale\"))")

    static func settings(_ args: Arguments, seed: UInt64) throws -> StyleTransferSettings {
        var s = StyleTransferSettings()
        s.steps = try args.int("steps")
        try applyOptimizer(args, to: &s)
        s.seed = seed
        return s
    }

    /// `optimizer`, `line_search` and `lr` (whose default depends on the optimiser).
    static func applyOptimizer(_ args: Arguments, to s: inout StyleTransferSettings) throws {
        s.optimizer = SynthesisOptimizer(rawValue: try args.string("optimizer")) ?? .adam
        s.lineSearch = LineSearch(rawValue: try args.string("line_search")) ?? .none
        s.learningRate = Float(try args.optionalDouble("lr") ?? (s.optimizer == .lbfgs ? 1 : 3))
    }

    /// What the progress line counts to: steps, or for L-BFGS with a line search the most loss evaluations
    /// it may make (PyTorch's `max_eval`, 5/4 of the iterations), since progress is reported per evaluation.
    static func progressTotal(_ settings: StyleTransferSettings) -> Int {
        guard settings.optimizer == .lbfgs, settings.lineSearch != .none else { return settings.steps }
        return LBFGS(maxIterations: settings.steps).maxEvaluations
    }

    /// Runs the optimisation with live display and interrupt handling; `finish` makes the result value.
    static func run(_ net: Model, start: Tensor, targets: SynthesisTargets, settings: StyleTransferSettings,
                    label: String, context: VerbContext, progress existing: Progress? = nil,
                    partial finish: @escaping (SynthesisResult) -> Value) throws -> SynthesisResult {
        let progress = existing ?? context.progress(label, total: progressTotal(settings), maxRate: displayRate)
        return try net.styleTransfer(from: start, targets: targets, settings: settings, interruption: context.interruption,
                                     progress: handler(progress, net), partial: { context.partial = finish($0) })
    }
}
