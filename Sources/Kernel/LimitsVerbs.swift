import Engine
import Foundation
import Protocol

/// `limits(...)`: the session's resource budgets (memory per value, pixels per image, t-SNE points), shown as a
/// table and settable. The same budgets can be set when the kernel starts (`SessionLimits.configure`).
public enum LimitsVerbs {
    public static let category = CoreVerbs.category

    public static var all: [Verb] { [limits] }

    static let limits = Verb(
        "limits", category: category, summary: "Show or set the session's resource budgets (memory, pixels, t-SNE points).",
        parameters: [
            Parameter("memory", .oneOf([.string, .integer]), default: Value.none,
                      doc: "the most memory one value may take: bytes, or a size such as \"2GB\" or \"512MB\" (at least 1 MB)"),
            Parameter("pixels", .integer, default: Value.none, min: 1,
                      doc: "the most pixels one image may have (decoded from a file or resized, and a model's input size)"),
            Parameter("tsne_points", .integer, default: Value.none, min: 4,
                      doc: "the most points tsne and tsne_grid accept"),
        ],
        returns: "Limits",
        doc: """
        A request over a budget fails at once, before any work, with a message naming the budget; nothing is \
        allocated and the session's names are kept. Budgets last until the kernel restarts; the environment \
        variables FOVEA_MEMORY_LIMIT, FOVEA_PIXEL_LIMIT and FOVEA_TSNE_POINTS_LIMIT set them at start-up.
        """,
        example: "limits(memory=\"2GB\", pixels=16000000)"
    ) { args, _ in
        if !args.isNone("memory") {
            let given = args["memory"]
            let text: String
            if case .int(let n) = given { text = String(n) } else { text = try args.string("memory") }
            guard let bytes = ResourceLimits.parseBytes(text), bytes >= 1 << 20 else {
                throw args.error("memory", "limits(): memory must be a size of at least 1 MB such as \"2GB\", \"512MB\" or a number of bytes, not \(Repr.repr(given))")
            }
            ResourceLimits.memoryBytes = bytes
        }
        if !args.isNone("pixels") { ImageLimits.maxPixels = try args.int("pixels") }
        if !args.isNone("tsne_points") { ResourceLimits.tsnePoints = try args.int("tsne_points") }
        return .object(LimitsValue.current())
    }
}

/// Setting the process's budgets (`ResourceLimits.shared`, which new sessions copy) when the kernel starts, from
/// environment variables (or the `fovea-kernel` options that set them).
public enum SessionLimits {
    /// Applies FOVEA_MEMORY_LIMIT ("4GB", bytes), FOVEA_PIXEL_LIMIT and FOVEA_TSNE_POINTS_LIMIT when present.
    /// - Throws: a message naming the variable when a value is malformed (the kernel refuses to start rather than
    ///   run with a budget the user did not mean).
    /// `memory`, `pixels` and `tsnePoints` (the kernel's command-line options) override the environment.
    public static func configure(environment: [String: String], memory: String? = nil, pixels: String? = nil,
                                 tsnePoints: String? = nil) throws {
        var environment = environment
        for (budget, value) in [(ResourceBudget.memory, memory), (.pixels, pixels), (.tsnePoints, tsnePoints)] {
            if let value { environment[budget.environmentVariable] = value }
        }
        if let text = environment[ResourceBudget.memory.environmentVariable] {
            guard let bytes = ResourceLimits.parseBytes(text), bytes >= 1 << 20 else {
                throw FoveaError(.value, "\(ResourceBudget.memory.environmentVariable)=\(text): expected a size of at least 1 MB such as 4GB or 512MB")
            }
            ResourceLimits.shared.memoryBytes = bytes
        }
        for (budget, minimum) in [(ResourceBudget.pixels, 1), (.tsnePoints, 4)] {
            guard let text = environment[budget.environmentVariable] else { continue }
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= minimum else {
                throw FoveaError(.value, "\(budget.environmentVariable)=\(text): expected a whole number of at least \(minimum)")
            }
            if budget == .pixels { ResourceLimits.shared.maxPixels = n } else { ResourceLimits.shared.tsnePoints = n }
        }
    }
}

/// The budgets as `limits()` shows them: one row per budget with its value, default and environment variable.
public struct LimitsValue: FoveaObject {
    public struct Row {
        var budget: ResourceBudget
        var value: Int
        var defaultValue: Int
    }

    public var rows: [Row]

    static func current() -> LimitsValue {
        LimitsValue(rows: [
            Row(budget: .memory, value: ResourceLimits.memoryBytes, defaultValue: ResourceLimits.defaultMemoryBytes),
            Row(budget: .pixels, value: ImageLimits.maxPixels, defaultValue: ImageLimits.defaultMaxPixels),
            Row(budget: .tsnePoints, value: ResourceLimits.tsnePoints, defaultValue: ResourceLimits.defaultTSNEPoints),
        ])
    }

    public var typeName: String { "Limits" }

    static let headers = ["budget", "value", "default", "set at start-up by"]

    var table: [[String]] {
        rows.map { [$0.budget.rawValue, $0.budget.format($0.value), $0.budget.format($0.defaultValue), $0.budget.environmentVariable] }
    }

    public var plainText: String { Display.textTable(headers: Self.headers, rows: table) }

    public var attributeNames: [String] { ResourceBudget.allCases.map(\.rawValue) }

    /// `limits().memory` is the memory budget in bytes, `.pixels` and `.tsne_points` the counts.
    public func attribute(_ name: String) throws -> Value? {
        rows.first { $0.budget.rawValue == name }.map { .int($0.value) }
    }

    public func mimeBundle() throws -> MimeBundle {
        MimeBundle(data: [
            "text/plain": .string(plainText),
            "text/html": .string(Display.htmlTable(headers: Self.headers, rows: table, caption: "Resource budgets (limits)")),
        ])
    }
}
