import Protocol

/// Renders an error as Jupyter shows it: where it happened, the cell line with carets under the offending
/// span, then `Kind: message`. Only the last line is coloured, so the caret lines stay aligned and greppable.
public enum Traceback {
    public static func report(_ error: FoveaError, source: String, executionCount: Int?) -> ErrorReport {
        ErrorReport(ename: error.kind.rawValue, evalue: error.message, traceback: lines(error, source: source, executionCount: executionCount))
    }

    public static func lines(_ error: FoveaError, source: String, executionCount: Int?) -> [String] {
        var out: [String] = []
        let cell = executionCount.map { "Cell In[\($0)]" } ?? "Cell"
        if let span = error.span {
            let sourceLines = source.split(separator: "\n", omittingEmptySubsequences: false)
            let index = span.start.line - 1
            if index >= 0 && index < sourceLines.count {
                let line = Array(String(sourceLines[index]).unicodeScalars)
                out.append("\(cell), line \(span.start.line), column \(span.start.column)")
                var shown = ""
                shown.unicodeScalars.append(contentsOf: line)
                out.append("    " + shown.replacingOccurrences(of: "\r", with: ""))
                let startColumn = min(max(span.start.column, 1), line.count + 1)
                let endColumn = span.end.line == span.start.line ? span.end.column : line.count + 1
                let width = max(1, min(endColumn, line.count + 1) - startColumn)
                var pad = ""
                for c in line.prefix(startColumn - 1) { pad.unicodeScalars.append(c == "\t" ? "\t" : " ") }
                out.append("    " + pad + String(repeating: "^", count: width))
            }
        }
        out.append("\u{1B}[0;31m\(error.kind.rawValue)\u{1B}[0m: \(error.message)")
        return out
    }

    /// The same without colour, for logs and tests.
    public static func plain(_ error: FoveaError, source: String, executionCount: Int? = nil) -> String {
        lines(error, source: source, executionCount: executionCount).joined(separator: "\n")
            .replacingOccurrences(of: "\u{1B}[0;31m", with: "").replacingOccurrences(of: "\u{1B}[0m", with: "")
    }
}
