import Engine
import Foundation

/// Lecture 12, "visualizing the last layer": CNN codes laid out in 2-D — `pca`, `tsne`, `tsne_grid`,
/// `neighbors`. The numerical work is Engine's Embedding module; these verbs turn arguments into its
/// options and its results into scatter plots and image grids.
public enum EmbeddingVerbs {
    public static let category = "Embeddings"

    public static var all: [Verb] { [pca, tsne, EmbeddingGridVerbs.tsneGrid, EmbeddingGridVerbs.neighbors] }

    static let inputParameter = Parameter("x", .oneOf([.object("Tensor"), .object("Dataset"), .object("Result")]),
                                          doc: "the points: a Tensor N×D (e.g. features(...)), a Dataset (pixels) or a Result")
    static let labelsParameter = Parameter("labels", .oneOf([.object("Dataset"), .list(of: .integer)]), default: Value.none,
                                           doc: "a class per point for the colours: a Dataset (with its class names) or a list of ints (default: a Dataset x's own labels)")

    static let pca = Verb(
        "pca", category: category, summary: "Principal components of the rows of x, drawn as a scatter plot coloured by class.",
        parameters: [
            inputParameter,
            Parameter("dims", .integer, default: .int(2), min: 1, max: 4096, doc: "how many components to keep"),
            Parameter("whiten", .bool, default: .bool(false), doc: "divide each component by its standard deviation"),
            labelsParameter,
        ],
        returns: "Result",
        doc: "Exact PCA (covariance eigenvectors by LAPACK). The plot shows the first two components; `.values` is N×dims, `.explained` the fraction of the variance each component explains.",
        example: "pca(features(net, data, layer=\"fc1\"), labels=data)"
    ) { args, _ in
        let input = try EmbeddingInput.make(args)
        let dims = try args.int("dims")
        guard input.rows >= 2 else { throw args.error("x", "pca needs at least 2 points, got \(input.rows)", kind: .shape) }
        guard dims <= input.cols else {
            throw args.error("dims", "dims=\(dims) but the points only have \(input.cols) coordinates")
        }
        let fit = try PCA.fit(input.points, rows: input.rows, cols: input.cols, dimensions: dims, whiten: try args.bool("whiten"))
        let ratios = fit.explainedVarianceRatio.map(Double.init)
        let percent = ratios.prefix(2).map { String(format: "%.1f%%", 100 * $0) }
        let title = "PCA of \(input.rows) points (\(input.cols)-D): explained \(percent.joined(separator: " + "))"
        let plot = input.scatter(fit.projected, cols: dims, axes: ("PC 1", dims >= 2 ? "PC 2" : ""))
        let figure = Figure(panels: [.scatter(plot)], panelSize: plot.width, title: title)
        return .object(ExperimentResult(verb: "pca", figure: figure, values: Tensor(shape: [input.rows, dims], data: fit.projected),
                                        extras: [("explained", .list(ratios.map { .double($0) }))], args: args, seed: nil))
    }

    static let tsne = Verb(
        "tsne", category: category, summary: "t-SNE of the rows of x to 2-D (openTSNE's recipe), shown live as it converges.",
        parameters: [
            inputParameter,
            Parameter("perplexity", .number, default: .double(30), min: 1, max: 10000, doc: "effective number of neighbours each point attends to"),
            Parameter("iterations", .integer, default: .int(750), min: 1, max: 100_000, doc: "total iterations (the first 250, at most, with early exaggeration)"),
            Parameter("exaggeration", .number, default: .double(12), min: 1, doc: "early exaggeration factor"),
            Parameter("learning_rate", .oneOf([.number, .string]), default: .string("auto"), doc: "step size, or \"auto\" (N / exaggeration)"),
            Parameter("init", .string, default: .string("pca"), choices: ["pca", "random"], doc: "start from the first two principal components or at random"),
            Parameter("seed", .integer, default: Value.none, doc: "seed of the initial jitter / random start"),
            Parameter("dof", .number, default: .double(1), min: 0.01, max: 100, doc: "degrees of freedom of the Student-t kernel (< 1: tighter clusters)"),
            labelsParameter,
        ],
        returns: "Result",
        doc: "Exact 3·perplexity nearest neighbours, perplexity-calibrated affinities, gradients by Barnes–Hut or FFT interpolation, whichever is cheaper for the current spread of the embedding (both within 1 % of the exact gradient). The scatter and the KL divergence update live; an interrupt keeps the current embedding in `_`. `.values` is N×2, `.kl` openTSNE's KL estimate.",
        example: "emb = tsne(feats, labels=data, seed=0)"
    ) { args, context in
        let input = try EmbeddingInput.make(args)
        let seed = try Pictures.seed(args, context)
        let options = try tsneOptions(args, rows: input.rows, seed: seed)
        return try runTSNE(input, options: options, args: args, context: context, verb: "tsne") { result, input in
            let plot = input.scatter(result.embedding, cols: 2)
            let state = result.interrupted ? "interrupted after \(result.iterations) iterations" : "\(result.iterations) iterations"
            let title = "t-SNE of \(input.rows) points: KL \(String(format: "%.3f", result.kl)), \(state)"
            let figure = Figure(panels: [.scatter(plot)], panelSize: plot.width, title: title)
            return .object(ExperimentResult(verb: "tsne", figure: figure, values: Tensor(shape: [input.rows, 2], data: result.embedding),
                                            extras: [("kl", .double(result.kl)), ("iterations", .int(result.iterations))], args: args, seed: seed))
        }
    }

    /// `tsne`'s arguments as engine options (also used by `tsne_grid` with its defaults).
    static func tsneOptions(_ args: Arguments, rows: Int, seed: UInt64) throws -> TSNEOptions {
        var options = TSNEOptions()
        options.seed = seed
        guard rows >= 4 else { throw args.error("x", "t-SNE needs at least 4 points, got \(rows)", kind: .shape) }
        do { try ResourceLimits.checkTSNE(points: rows, what: "t-SNE") } catch let error as ResourceLimitError {
            throw args.error("x", error.description)
        }
        if args.values["perplexity"] != nil {
            let perplexity = try args.double("perplexity")
            guard perplexity < Double(rows) else {
                throw args.error("perplexity", "perplexity \(perplexity) is too large for \(rows) points (it must be below N; 5–50 is usual)")
            }
            options.perplexity = perplexity
        } else {
            options.perplexity = min(30, Double(rows - 1) / 3)
        }
        let total = args.values["iterations"] == nil ? 750 : try args.int("iterations")
        options.earlyExaggerationIterations = min(250, total)
        options.iterations = total - options.earlyExaggerationIterations
        if args.values["exaggeration"] != nil { options.earlyExaggeration = try args.double("exaggeration") }
        if args.values["dof"] != nil { options.dof = try args.double("dof") }
        switch args["learning_rate"] {
        case .string("auto"), .none: options.learningRate = nil
        case .string(let s): throw args.error("learning_rate", "learning_rate must be a number or \"auto\", not \"\(s)\"")
        default:
            let rate = try args.double("learning_rate")
            guard rate > 0 else { throw args.error("learning_rate", "learning_rate must be > 0") }
            options.learningRate = rate
        }
        if args.values["init"] != nil, try args.string("init") == "random" { options.initialization = .random }
        return options
    }

    /// Runs t-SNE with a live scatter (redrawn at most twice a second) and the KL in the progress line; on
    /// interrupt the current embedding becomes the partial result (`_`).
    static func runTSNE(_ input: EmbeddingInput, options: TSNEOptions, args: Arguments, context: VerbContext, verb: String,
                        result make: (TSNEResult, EmbeddingInput) throws -> Value) throws -> Value {
        let total = options.earlyExaggerationIterations + options.iterations
        let progress = context.progress("t-SNE of \(input.rows) points", total: total)
        var lastPicture = Date.distantPast
        let result = try TSNE.embed(input.points, rows: input.rows, cols: input.cols, options: options,
                                    interruption: context.interruption) { p in
            var picture: Value?
            if Date().timeIntervalSince(lastPicture) >= 0.5 || p.iteration == p.total {
                lastPicture = Date()
                let plot = input.scatter(p.embedding, cols: 2, size: 400)
                picture = (try? plot.render()).map { .object(ImageValue($0)) }
            }
            progress.step(p.iteration, status: "KL \(String(format: "%.3f", p.kl))", picture: picture)
        }
        let value = try make(result, input)
        if result.interrupted {
            context.partial = value
            throw Interrupted("\(verb) interrupted after \(result.iterations) of \(total) iterations")
        }
        return value
    }
}
