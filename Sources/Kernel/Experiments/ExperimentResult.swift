import Engine
import Foundation
import Protocol

/// What a visualization verb returns: the figure it draws plus the numbers behind it (`.values`, and
/// per-verb extras such as `.upsampled`, `.targets`, `.auc`), so `save(r.values, "x.npy")` exports exactly
/// what was drawn. The display carries the verb, its resolved arguments and the seed as metadata.
public struct ExperimentResult: FoveaObject {
    public var verb: String
    public var figure: Figure
    public var values: Tensor
    /// Further attributes by name (`.image` and `.values` are always there).
    public var extras: [(String, Value)]
    public var metadata: [String: JSON]

    init(verb: String, figure: Figure, values: Tensor, extras: [(String, Value)] = [], args: Arguments, seed: UInt64?) {
        self.verb = verb
        self.figure = figure
        self.values = values
        self.extras = extras
        var resolved: [String: JSON] = [:]
        for (name, value) in args.values { resolved[name] = value.json }
        var meta: [String: JSON] = ["verb": .string(verb), "arguments": .object(resolved)]
        if let seed { meta["seed"] = .int(Int(truncatingIfNeeded: seed)) }
        metadata = meta
    }

    public var typeName: String { "Result" }
    public var plainText: String {
        "\(verb) result: values \(values.shape)" + (figure.title.map { " — \($0)" } ?? "")
    }
    public var attributeNames: [String] { ["values", "image", "figure"] + extras.map(\.0) }

    public func attribute(_ name: String) throws -> Value? {
        switch name {
        case "values": return .object(TensorValue(values))
        case "image": return .object(ImageValue(try figure.render()))
        case "figure": return .object(FigureValue(figure, metadata: metadata))
        default: return extras.first { $0.0 == name }?.1
        }
    }

    public func mimeBundle() throws -> MimeBundle { try FigureValue(figure, metadata: metadata).mimeBundle() }

    public var saveFormats: [String] { ["png", "svg", "npy"] }
    public func save(to url: URL, format: String) throws {
        if format == "npy" { return try TensorValue(values).save(to: url, format: "npy") }
        try FigureValue(figure, metadata: metadata).save(to: url, format: format)
    }
}

/// Helpers shared by the visualization verbs.
enum Pictures {
    /// Row `n` of `[N, H, W]` (or `[N, 1, H, W]`) as a heat map.
    static func heat(_ t: Tensor, row n: Int) -> HeatMap {
        let (h, w) = (t.shape[t.rank - 2], t.shape[t.rank - 1])
        let values = t.withUnsafeBufferPointer { Array($0[(n * h * w)..<((n + 1) * h * w)]) }
        return HeatMap(height: h, width: w, values: values)
    }

    /// Row `n` of `[N, C, H, W]` as a picture, rescaled to [0, 1] for display (gradients, weights).
    static func normalizedImage(_ t: Tensor, row n: Int, symmetric: Bool = true) -> Image {
        let (c, h, w) = (t.shape[1], t.shape[2], t.shape[3])
        let values = t.withUnsafeBufferPointer { Array($0[(n * c * h * w)..<((n + 1) * c * h * w)]) }
        return Image(chw: values, channels: c, height: h, width: w).normalizedForDisplay(symmetric: symmetric)
    }

    /// "Sandal (97.3%)", or "class 5 (97.3%)" without class names.
    static func label(_ model: Model, _ k: Int, _ p: Float?) -> String {
        let name = k < model.preprocessing.classNames.count ? model.preprocessing.classNames[k] : "class \(k)"
        return p.map { "\(name) (\(String(format: "%.1f", $0 * 100))%)" } ?? name
    }

    static func colorMap(_ args: Arguments, _ name: String = "cmap") throws -> ColorMap {
        let chosen = try args.string(name)
        do { return try ColorMap.named(chosen) } catch {
            throw args.error(name, "unknown colour map \"\(chosen)\"\(Suggestions.hint(for: chosen, in: ColorMap.names)); maps are: \(ColorMap.names.joined(separator: ", "))")
        }
    }

    static let colorMapParameter = Parameter("cmap", .string, default: .string("viridis"),
                                             doc: "colour map: viridis, magma, inferno, gray, jet, RdBu_r, bwr, …")

    /// A target given as a class index or a class name.
    static func target(_ args: Arguments, _ model: Model, name: String = "target") throws -> Int? {
        switch args[name] {
        case .none: return nil
        case .int(let k): return k
        case .string(let s):
            if let k = model.preprocessing.classNames.firstIndex(of: s) { return k }
            throw args.error(name, "no class named \"\(s)\"\(Suggestions.hint(for: s, in: model.preprocessing.classNames)); classes are: \(model.preprocessing.classNames.joined(separator: ", "))")
        default: throw args.error(name, "target must be a class index or a class name", kind: .type)
        }
    }

    static let targetParameter = Parameter("target", .oneOf([.integer, .string]), default: Value.none,
                                           doc: "class index or name to explain (default: the top prediction)")

    /// The `seed` argument, else a seed drawn from the session's generator (so `seed(n)` makes cells repeat).
    static func seed(_ args: Arguments, _ context: VerbContext) throws -> UInt64 {
        if let explicit = try args.optionalInt("seed") { return UInt64(bitPattern: Int64(explicit)) }
        var generator = context.random()
        return generator.next()
    }

    /// At most this many inputs of a batch are drawn (all are computed and kept in `.values`).
    static let drawnRows = 8
}
