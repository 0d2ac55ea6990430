/// Plain-text forms of values: `repr` (how a result shows, strings quoted) and `str` (how `print` writes,
/// strings bare). Long or deeply nested collections are abbreviated so no value can flood the output.
public enum Repr {
    static let maxItems = 200
    static let maxDepth = 20

    public static func quote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if c.value < 0x20 || c.value == 0x7F {
                    out += "\\x" + (c.value < 16 ? "0" : "") + String(c.value, radix: 16)
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out + "\""
    }

    public static func number(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        return String(d)
    }

    public static func repr(_ v: Value) -> String { render(v, depth: 0, quoteStrings: true) }
    public static func str(_ v: Value) -> String { render(v, depth: 0, quoteStrings: false) }

    private static func render(_ v: Value, depth: Int, quoteStrings: Bool) -> String {
        switch v {
        case .none: return "none"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return number(d)
        case .string(let s): return quoteStrings ? quote(s) : s
        case .list(let items):
            if depth >= maxDepth { return "[…]" }
            var parts = items.prefix(maxItems).map { render($0, depth: depth + 1, quoteStrings: true) }
            if items.count > maxItems { parts.append("… (\(items.count) items)") }
            return "[" + parts.joined(separator: ", ") + "]"
        case .dict(let d):
            if depth >= maxDepth { return "{…}" }
            var parts = d.prefix(maxItems).map { quote($0.key) + ": " + render($0.value, depth: depth + 1, quoteStrings: true) }
            if d.count > maxItems { parts.append("… (\(d.count) items)") }
            return "{" + parts.joined(separator: ", ") + "}"
        case .object(let o): return o.plainText
        }
    }
}
