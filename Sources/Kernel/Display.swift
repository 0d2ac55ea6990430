import Foundation
import Protocol

/// Value → MIME bundle. Every bundle has `text/plain`; engine values add their rich forms
/// (`image/png` as base64, `text/html` tables, `image/svg+xml`) through `FoveaObject.mimeBundle()`.
public enum Display {
    public static func bundle(for value: Value) throws -> MimeBundle {
        switch value {
        case .object(let o):
            var b = try o.mimeBundle()
            if b.data["text/plain"] == nil { b.data["text/plain"] = .string(o.plainText) }
            return b
        default:
            return MimeBundle(data: ["text/plain": .string(Repr.repr(value))])
        }
    }

    /// `image/png` entry for PNG bytes (base64, as Jupyter wants).
    public static func png(_ bytes: [UInt8]) -> JSON { .string(Data(bytes).base64EncodedString()) }

    /// A bundle for a PNG picture, with its size in the metadata so front ends lay it out before decoding.
    public static func pngBundle(_ bytes: [UInt8], width: Int, height: Int, text: String) -> MimeBundle {
        MimeBundle(data: ["image/png": png(bytes), "text/plain": .string(text)],
                   metadata: ["image/png": .object(["width": .int(width), "height": .int(height)])])
    }

    public static func escapeHTML(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A simple HTML table (the form of models, predictions and other tabular values).
    public static func htmlTable(headers: [String], rows: [[String]], caption: String? = nil) -> String {
        var html = "<table class=\"fovea\">"
        if let caption { html += "<caption>\(escapeHTML(caption))</caption>" }
        html += "<thead><tr>" + headers.map { "<th>\(escapeHTML($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows { html += "<tr>" + row.map { "<td>\(escapeHTML($0))</td>" }.joined() + "</tr>" }
        return html + "</tbody></table>"
    }

    /// The same table as aligned plain text.
    public static func textTable(headers: [String], rows: [[String]]) -> String {
        let all = [headers] + rows
        let widths = headers.indices.map { i in all.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i < widths.count ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0) : c }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(headers), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)).joined(separator: "\n")
    }

    /// An `<img>` tag for the bundle's PNG, if it has one (lets an HTML progress line carry the current image).
    static func htmlImage(from data: [String: JSON]) -> String {
        guard case .string(let b64)? = data["image/png"] else { return "" }
        return "<img src=\"data:image/png;base64,\(b64)\"/>"
    }
}
