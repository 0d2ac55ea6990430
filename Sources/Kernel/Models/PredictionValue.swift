import Engine
import Protocol

/// Top-k classes with probabilities for one or more inputs: an HTML table (one block per input).
public struct PredictionValue: FoveaObject {
    public struct Row: Sendable {
        public var classIndex: Int
        public var className: String
        public var probability: Float
    }
    /// Per input, the top-k rows best first.
    public var rows: [[Row]]
    public var logits: Tensor

    public var typeName: String { "Prediction" }
    public var attributeNames: [String] { ["classes", "probs", "top", "values"] }
    public var count: Int? { rows.count }

    public var plainText: String {
        rows.enumerated().map { n, top in
            (rows.count > 1 ? "input \(n): " : "") + top.map { "\($0.className) \(String(format: "%.1f", $0.probability * 100))%" }.joined(separator: ", ")
        }.joined(separator: "\n")
    }

    public func attribute(_ name: String) throws -> Value? {
        let first = rows.first ?? []
        switch name {
        case "classes": return .list(first.map { .string($0.className) })
        case "probs": return .list(first.map { .double(Double($0.probability)) })
        case "top": return first.first.map { .int($0.classIndex) } ?? Value.none
        case "values": return .object(TensorValue(softmaxRows(logits)))
        default: return nil
        }
    }

    public func mimeBundle() throws -> MimeBundle {
        let headers = (rows.count > 1 ? ["input"] : []) + ["rank", "class", "index", "probability"]
        var table: [[String]] = []
        for (n, top) in rows.enumerated() {
            for (k, row) in top.enumerated() {
                table.append((rows.count > 1 ? [String(n)] : []) +
                             [String(k + 1), row.className, String(row.classIndex), String(format: "%.2f%%", row.probability * 100)])
            }
        }
        return MimeBundle(data: ["text/plain": .string(plainText),
                                 "text/html": .string(Display.htmlTable(headers: headers, rows: table))])
    }

    static func make(logits: Tensor, classNames: [String], top: Int) -> PredictionValue {
        let probabilities = softmaxRows(logits)
        let classes = logits.shape[1]
        let rows = (0..<logits.shape[0]).map { n -> [Row] in
            let p = (0..<classes).map { probabilities[n, $0] }
            return p.indices.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }.prefix(top).map {
                Row(classIndex: $0, className: $0 < classNames.count ? classNames[$0] : "class \($0)", probability: p[$0])
            }
        }
        return PredictionValue(rows: rows, logits: logits)
    }
}
