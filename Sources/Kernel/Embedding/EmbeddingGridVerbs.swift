import Engine
import Foundation

/// The image pictures of the embedding lecture: `tsne_grid` (thumbnails snapped to a grid by their t-SNE
/// positions, the CS231n/Karpathy picture) and `neighbors` (nearest images in feature vs pixel space).
enum EmbeddingGridVerbs {
    static let tsneGrid = Verb(
        "tsne_grid", category: EmbeddingVerbs.category, summary: "The images laid out on a regular grid by their t-SNE positions.",
        parameters: [
            Parameter("x", .oneOf([.object("Tensor"), .object("Dataset"), .object("Result")]),
                      doc: "points to embed (Tensor N×D or Dataset), or an embedding already made: an N×2 Tensor or a tsne/pca Result"),
            Parameter("data", .object("Dataset"), doc: "the images, one per point, in the same order"),
            Parameter("cols", .integer, default: Value.none, min: 1, max: 1000, doc: "grid columns (default: ⌈√N⌉)"),
            Parameter("thumb", .integer, default: .int(28), min: 4, max: 256, doc: "thumbnail side in pixels"),
            Parameter("exact", .bool, default: Value.none, doc: "exact assignment (default: up to 2,500 images) or a recursive split into exactly solved pieces"),
            Parameter("seed", .integer, default: Value.none, doc: "t-SNE seed (when x is not an embedding yet)"),
        ],
        returns: "Result",
        doc: "Each image gets a distinct cell so that the total squared distance between points and their cells is minimal (Jonker–Volgenant). The title reports the cost against the optimum (1 when exact) or a lower bound. `.values` is N×2: each image's (row, column); `.embedding` the 2-D points used, `.ratio` the cost ratio.",
        example: "tsne_grid(feats, data[0:900])"
    ) { args, context in
        let data = try args.object("data", as: DatasetValue.self).dataset
        let input = try EmbeddingInput.make(args, labels: nil)
        guard input.rows == data.count else {
            throw args.error("data", "x has \(input.rows) points but data has \(data.count) images", kind: .shape)
        }
        var seed: UInt64?
        var embedding: [Float]
        if input.cols == 2 {
            embedding = input.points
        } else {
            let s = try Pictures.seed(args, context)
            seed = s
            let options = try EmbeddingVerbs.tsneOptions(args, rows: input.rows, seed: s)
            let value = try EmbeddingVerbs.runTSNE(input, options: options, args: args, context: context, verb: "tsne_grid") { r, _ in
                .object(TensorValue(Tensor(shape: [input.rows, 2], data: r.embedding)))
            }
            guard let t = value.object(as: TensorValue.self) else { throw FoveaError(.value, "t-SNE returned no embedding") }
            embedding = t.tensor.scalars
        }
        let n = input.rows
        let cols = try args.optionalInt("cols") ?? max(1, Int(Double(n).squareRoot().rounded(.up)))
        let rows = (n + cols - 1) / cols
        // Image rows grow downwards, embedding y upwards: flip y so the grid looks like the scatter plot.
        var flipped = embedding
        for i in 0..<n { flipped[2 * i + 1] = -flipped[2 * i + 1] }
        let grid = try GridLayout.assign(points: flipped, cols: cols, exact: args.isNone("exact") ? nil : try args.bool("exact"))
        let thumb = try args.int("thumb")
        let tiles = (0..<n).map { i -> (row: Int, column: Int, image: Image) in
            let cell = grid.cellOfPoint[i]
            return (cell / cols, cell % cols, data.image(i).resized(height: thumb, width: thumb))
        }
        let picture = Image.mosaic(tiles: tiles, rows: rows, columns: cols, cellHeight: thumb, cellWidth: thumb)
        let quality = grid.exact
            ? "exact assignment (cost ratio 1.000)"
            : "cost ratio \(String(format: "%.3f", grid.ratio)) to a lower bound"
        let title = "t-SNE grid of \(n) images, \(rows)×\(cols): \(quality)"
        let figure = Figure(panels: [.image(picture)], panelSize: max(picture.width, picture.height, 16), title: title)
        let cells = (0..<n).flatMap { [Float(grid.cellOfPoint[$0] / cols), Float(grid.cellOfPoint[$0] % cols)] }
        return .object(ExperimentResult(verb: "tsne_grid", figure: figure, values: Tensor(shape: [n, 2], data: cells), extras: [
            ("embedding", .object(TensorValue(Tensor(shape: [n, 2], data: embedding)))),
            ("ratio", .double(grid.ratio)), ("cost", .double(grid.cost)), ("exact", .bool(grid.exact)),
        ], args: args, seed: seed))
    }

    static let neighbors = Verb(
        "neighbors", category: EmbeddingVerbs.category, summary: "Nearest images in feature space next to nearest images in pixel space.",
        parameters: [
            Parameter("net_or_feats", .oneOf([.object("Model"), .object("Tensor")]), doc: "a Model (with layer=) or the features of data (N×D Tensor)"),
            Parameter("data", .object("Dataset"), doc: "the images searched (and whose features they are)"),
            Parameter("query", .oneOf([.integer, .list(of: .integer), .object("Image"), .object("Tensor")]),
                      doc: "index, or list of indices, into data; or a new image (Image, or a C×H×W Tensor in data's pixel range) — e.g. a test image searched among training images"),
            Parameter("k", .integer, default: .int(5), min: 1, max: 100, doc: "neighbours per query"),
            Parameter("space", .string, default: .string("both"), choices: ["both", "feature", "pixel"], doc: "which spaces to show"),
            Parameter("layer", .layer(model: "net_or_feats"), default: Value.none, doc: "with a Model: the layer whose activations are the features"),
        ],
        returns: "Result",
        doc: "Exact k-NN by squared Euclidean distance (blocked GEMM); the query itself is left out. One row per query and space: the query, then its neighbours, titled with their classes. `.values` is Q×k neighbour indices (feature space, or pixel space with space=\"pixel\"); `.pixel` and `.feature` hold each space's indices.",
        example: "neighbors(net, data, [0, 1, 2], layer=\"fc1\")"
    ) { args, context in
        let data = try args.object("data", as: DatasetValue.self).dataset
        let n = data.count
        if let outside = try outsideQuery(args, data: data) {
            return try neighborsOfNewImage(outside, args: args, data: data, context: context)
        }
        let queries: [Int]
        switch args["query"] {
        case .int(let q): queries = [q]
        case .list(let items): queries = items.compactMap { if case .int(let q) = $0 { return q } else { return nil } }
        default: throw args.error("query", "query must be an index or a list of indices", kind: .type)
        }
        guard !queries.isEmpty else { throw args.error("query", "query is an empty list") }
        if let bad = queries.first(where: { !(0..<n).contains($0) }) {
            throw args.error("query", "index \(bad) is out of range for a dataset of \(n) images (0…\(n - 1))")
        }
        let k = try args.int("k")
        guard k < n else { throw args.error("k", "k=\(k) but data has only \(n) images (at most \(n - 1) neighbours)") }
        let space = try args.string("space")
        var spaces: [(name: String, indices: [Int])] = []
        if space != "pixel" {
            let (feats, width) = try features(args, data: data, context: context)
            spaces.append(("feature", try nearest(feats, cols: width, rows: n, queries: queries, k: k, context: context)))
        }
        if space != "feature" {
            spaces.append(("pixel", try nearest(data.pixels, cols: data.sampleSize, rows: n, queries: queries, k: k, context: context)))
        }
        let rows = queries.enumerated().flatMap { q, query in
            spaces.map { s in (query: data.image(query), title: "\(s.name): #\(query) \(className(data, query))",
                               indices: Array(s.indices[(q * k)..<((q + 1) * k)])) }
        }
        let what = "\(queries.count) \(queries.count == 1 ? "image" : "images")"
        return try neighborsResult(rows, spaces: spaces, queryCount: queries.count, k: k, of: what, data: data, args: args)
    }

    /// The figure (one row per query and space: the query, then its neighbours titled with their classes)
    /// and `.values` (Q×k indices of the first space) with one extra per space.
    static func neighborsResult(_ rows: [(query: Image, title: String, indices: [Int])], spaces: [(name: String, indices: [Int])],
                                queryCount: Int, k: Int, of what: String, data: Dataset, args: Arguments) throws -> Value {
        var images: [Image] = [], titles: [String] = []
        for row in rows {
            images.append(row.query.enlargedForDisplay(minimumSide: 56))
            titles.append(row.title)
            for j in row.indices {
                images.append(data.image(j).enlargedForDisplay(minimumSide: 56))
                titles.append("#\(j) \(className(data, j))")
            }
        }
        let picture = try ImageGrid(images: images, columns: k + 1, titles: titles).render()
        let title = "\(k) nearest neighbours of \(what) in \(spaces.map(\.name).joined(separator: " and ")) space"
        let figure = Figure(panels: [.image(picture)], panelSize: max(picture.width, picture.height), title: title)
        func tensor(_ indices: [Int]) -> Tensor { Tensor(shape: [queryCount, k], data: indices.map(Float.init)) }
        return .object(ExperimentResult(verb: "neighbors", figure: figure, values: tensor(spaces[0].indices),
                                        extras: spaces.map { ($0.name, Value.object(TensorValue(tensor($0.indices)))) }, args: args, seed: nil))
    }

    /// A query that is not an index: an Image converted to data's geometry (channels, height × width), or a
    /// Tensor of data's sample shape; pixels as data stores them.
    static func outsideQuery(_ args: Arguments, data: Dataset) throws -> Image? {
        if let image = args["query"].object(as: ImageValue.self)?.image {
            var picture = data.channels == 1 ? image.toGray() : image.toRGB()
            if picture.height != data.height || picture.width != data.width {
                picture = picture.resized(height: data.height, width: data.width)
            }
            return picture
        }
        guard let t = args["query"].object(as: TensorValue.self)?.tensor else { return nil }
        let sample = [data.channels, data.height, data.width]
        guard t.shape == sample || t.shape == [1] + sample else {
            throw args.error("query", "a Tensor query must have data's sample shape \(sample) (or [1] + that); got \(t.shape)", kind: .shape)
        }
        return Image(chw: t.scalars, channels: data.channels, height: data.height, width: data.width)
    }

    /// `neighbors` for an image from outside `data`: its k nearest images of `data` (none excluded).
    static func neighborsOfNewImage(_ query: Image, args: Arguments, data: Dataset, context: VerbContext) throws -> Value {
        let k = try args.int("k")
        guard k <= data.count else { throw args.error("k", "k=\(k) but data has only \(data.count) images") }
        let space = try args.string("space")
        let pixels = query.chwData()
        var spaces: [(name: String, indices: [Int])] = []
        if space != "pixel" {
            guard let net = args["net_or_feats"].object(as: ModelValue.self)?.model else {
                throw args.error("query", "a new image can only be searched in feature space with the model: pass the Model (with layer=) instead of features, or space=\"pixel\"")
            }
            let (feats, width) = try features(args, data: data, context: context)
            let layer = try args.string("layer")
            // In data's geometry, so it is fitted to the model exactly as data's images were.
            let alone = Dataset(name: "query", pixels: pixels, channels: data.channels, height: data.height,
                                width: data.width, labels: [0], classNames: [])
            let x = ModelInput.batch(alone, 0..<1, for: net)
            guard let a = try net.graph.run([net.input: x], fetch: [layer], interruption: context.interruption)[layer] else {
                throw FoveaError(.value, "layer \"\(layer)\" was not computed")
            }
            spaces.append(("feature", try nearest(to: a.scalars, in: feats, cols: width, rows: data.count, k: k, context: context)))
        }
        if space != "feature" {
            spaces.append(("pixel", try nearest(to: pixels, in: data.pixels, cols: data.sampleSize, rows: data.count, k: k, context: context)))
        }
        let rows = spaces.map { (query: query, title: "\($0.name): query", indices: $0.indices) }
        return try neighborsResult(rows, spaces: spaces, queryCount: 1, k: k, of: "a new image", data: data, args: args)
    }

    static func className(_ data: Dataset, _ i: Int) -> String {
        let c = data.labels[i]
        return c < data.classNames.count ? data.classNames[c] : "class \(c)"
    }

    /// The k nearest rows of `x` to one outside vector.
    static func nearest(to query: [Float], in x: [Float], cols: Int, rows: Int, k: Int, context: VerbContext) throws -> [Int] {
        let graph = try NearestNeighbors.search(queries: query, queryRows: 1, reference: x, referenceRows: rows, cols: cols,
                                                k: k, interruption: context.interruption)
        return graph.indices.prefix(k).map { Int($0) }
    }

    /// The features of every image: the given N×D Tensor, or the Model's activations at `layer=` (as `features`).
    static func features(_ args: Arguments, data: Dataset, context: VerbContext) throws -> ([Float], Int) {
        if let t = args["net_or_feats"].object(as: TensorValue.self)?.tensor {
            guard t.rank >= 2, t.shape[0] == data.count else {
                throw args.error("net_or_feats", "features of shape \(t.shape) don't match data's \(data.count) images (need \(data.count)×D)", kind: .shape)
            }
            return (t.scalars, t.count / data.count)
        }
        let net = try args.object("net_or_feats", as: ModelValue.self).model
        guard let layer = try args.optionalString("layer") else {
            throw args.error("layer", "with a Model, say which layer's activations are the features: layer=\"…\"")
        }
        let t = try LayerFeatures.compute(net, data, layer: layer, batch: 256, context: context)
        return (t.scalars, t.shape[1])
    }

    /// k nearest rows (self excluded) of each query row, as one flat Q×k list of indices.
    static func nearest(_ x: [Float], cols: Int, rows: Int, queries: [Int], k: Int, context: VerbContext) throws -> [Int] {
        var q: [Float] = []
        for i in queries { q.append(contentsOf: x[(i * cols)..<((i + 1) * cols)]) }
        let graph = try NearestNeighbors.search(queries: q, queryRows: queries.count, reference: x, referenceRows: rows, cols: cols,
                                                k: k + 1, interruption: context.interruption)
        var found: [Int] = []
        for (qi, query) in queries.enumerated() {
            let start = qi * (k + 1)
            let row = graph.indices[start..<(start + k + 1)].map { Int($0) }.filter { $0 != query }
            found.append(contentsOf: row.prefix(k))
        }
        return found
    }
}
