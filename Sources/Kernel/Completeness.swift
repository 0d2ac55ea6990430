import Protocol

/// `is_complete_request`: complete when the cell parses; incomplete while brackets are open or the last line
/// ends with `\` (the front end then offers another line, indented); invalid when no continuation can fix it
/// (an unmatched `)`, a bad character, an unterminated string, a syntax error).
enum Completeness {
    static let indent = "    "

    static func judge(_ code: String) -> CompletenessStatus {
        if code.allSatisfy(\.isWhitespace) { return .complete }
        let (_, tail, error) = Lexer.tokenizeLeniently(code)
        if error != nil { return .invalid }
        if !tail.openBrackets.isEmpty { return .incomplete(indent: indent) }
        if tail.endsWithContinuation { return .incomplete(indent: "") }
        do {
            _ = try Parser.parse(code)
            return .complete
        } catch {
            return .invalid
        }
    }
}
