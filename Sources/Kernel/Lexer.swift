/// Turns cell text into tokens. Newlines inside `()`, `[]`, `{}` and after a trailing `\` continue the line;
/// `#` starts a comment. Positions count Unicode code points.
public struct Lexer {
    /// What an unfinished input looks like at its end; `is_complete` and completion read it.
    public struct Tail: Sendable, Equatable {
        /// Open brackets still waiting for their closer, innermost last.
        public var openBrackets: [Token] = []
        /// The input ended right after a `\` line continuation.
        public var endsWithContinuation = false
        /// The input ended inside a string literal: its opening quote's position and the text so far.
        public var openString: (start: SourcePosition, quote: Character, text: String)?

        public static func == (a: Tail, b: Tail) -> Bool {
            a.openBrackets == b.openBrackets && a.endsWithContinuation == b.endsWithContinuation
                && a.openString?.start == b.openString?.start && a.openString?.text == b.openString?.text
        }
    }

    private let chars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1
    public private(set) var tail = Tail()

    public init(_ source: String) {
        chars = Array(source.unicodeScalars)
    }

    private var position: SourcePosition { SourcePosition(line: line, column: column, offset: index) }
    private func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        index + ahead < chars.count ? chars[index + ahead] : nil
    }

    private mutating func advance() {
        guard index < chars.count else { return }
        if chars[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    /// All tokens of `source`, ending with `.end`; throws the first lexical error.
    public static func tokenize(_ source: String) throws -> [Token] {
        var lexer = Lexer(source)
        return try lexer.run()
    }

    /// Tokens up to the first error (or the end), plus the shape of the unfinished tail. Never throws.
    public static func tokenizeLeniently(_ source: String) -> (tokens: [Token], tail: Tail, error: FoveaError?) {
        var lexer = Lexer(source)
        var tokens: [Token] = []
        do {
            tokens = try lexer.run(into: &tokens)
            return (tokens, lexer.tail, nil)
        } catch {
            return (tokens, lexer.tail, FoveaError.from(error))
        }
    }

    public mutating func run() throws -> [Token] {
        var tokens: [Token] = []
        return try run(into: &tokens)
    }

    private mutating func run(into tokens: inout [Token]) throws -> [Token] {
        while true {
            let before = index
            guard let c = peek() else {
                tokens.append(Token(.end, SourceSpan(position, position)))
                return tokens
            }
            let start = position
            switch c {
            case " ", "\t", "\r", "\u{0C}":
                advance()
            case "#":
                while let d = peek(), d != "\n" { advance() }
            case "\n":
                advance()
                if tail.openBrackets.isEmpty {
                    tokens.append(Token(.newline, SourceSpan(start, position)))
                }
                tail.endsWithContinuation = false
            case "\\":
                advance()
                var probe = index
                while probe < chars.count, chars[probe] == " " || chars[probe] == "\t" || chars[probe] == "\r" { probe += 1 }
                if probe == chars.count {
                    tail.endsWithContinuation = true
                    while index < probe { advance() }
                } else if chars[probe] == "\n" {
                    while index <= probe { advance() }
                } else {
                    throw FoveaError(.syntax, "unexpected character '\\' (a line continuation must end the line)",
                                     at: SourceSpan(start, position))
                }
            case "\"", "'":
                tokens.append(try string(quote: c))
            case "0"..."9":
                tokens.append(try number())
            case ".":
                if let d = peek(1), ("0"..."9").contains(d) {
                    tokens.append(try number())
                } else {
                    advance()
                    tokens.append(Token(.symbol("."), SourceSpan(start, position)))
                }
            default:
                if Lexer.isNameStart(c) {
                    var text = ""
                    while let d = peek(), Lexer.isNameContinue(d) {
                        text.unicodeScalars.append(d)
                        advance()
                    }
                    tokens.append(Token(.name(text), SourceSpan(start, position)))
                } else {
                    tokens.append(try symbol())
                }
            }
            precondition(index > before, "lexer made no progress")
        }
    }

    static func isNameStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c.properties.isAlphabetic
    }

    static func isNameContinue(_ c: Unicode.Scalar) -> Bool {
        isNameStart(c) || ("0"..."9").contains(c) || c.properties.numericType != nil && c.properties.isAlphabetic
    }

    private static let threeOrTwo = ["**", "//", "==", "!=", "<=", ">="]
    private static let single: Set<Unicode.Scalar> = ["(", ")", "[", "]", "{", "}", ",", ":", ";", "=", "+", "-", "*",
                                                      "/", "%", "<", ">", "?"]

    private mutating func symbol() throws -> Token {
        let start = position
        if let a = peek(), let b = peek(1) {
            let pair = String(a) + String(b)
            if Lexer.threeOrTwo.contains(pair) {
                advance()
                advance()
                return Token(.symbol(pair), SourceSpan(start, position))
            }
        }
        guard let c = peek() else { throw FoveaError(.syntax, "unexpected end of input", at: SourceSpan(start, start)) }
        advance()
        let span = SourceSpan(start, position)
        guard Lexer.single.contains(c) else {
            let shown = c.properties.generalCategory == .control || c == " " ? "U+" + String(c.value, radix: 16, uppercase: true) : String(c)
            throw FoveaError(.syntax, "unexpected character '\(shown)'", at: span)
        }
        let token = Token(.symbol(String(c)), span)
        switch c {
        case "(", "[", "{":
            tail.openBrackets.append(token)
        case ")", "]", "}":
            let opener: Unicode.Scalar = c == ")" ? "(" : c == "]" ? "[" : "{"
            guard let last = tail.openBrackets.last else {
                throw FoveaError(.syntax, "unmatched '\(c)'", at: span)
            }
            guard last.kind == .symbol(String(opener)) else {
                guard case .symbol(let open) = last.kind else { throw FoveaError(.syntax, "unmatched '\(c)'", at: span) }
                throw FoveaError(.syntax, "closing '\(c)' does not match '\(open)' opened at line \(last.span.start.line), column \(last.span.start.column)", at: span)
            }
            tail.openBrackets.removeLast()
        default:
            break
        }
        return token
    }

    private mutating func number() throws -> Token {
        let start = position
        var text = ""
        var isFloat = false
        func digits() {
            while let d = peek(), ("0"..."9").contains(d) || d == "_" {
                if d != "_" { text.unicodeScalars.append(d) }
                advance()
            }
        }
        digits()
        if peek() == ".", !(peek(1).map { Lexer.isNameStart($0) } ?? false) {
            isFloat = true
            text.append(".")
            advance()
            digits()
        }
        if let e = peek(), e == "e" || e == "E" {
            let sign = peek(1)
            let hasSign = sign == "+" || sign == "-"
            if let d = peek(hasSign ? 2 : 1), ("0"..."9").contains(d) {
                isFloat = true
                text.append("e")
                advance()
                if hasSign, let s = sign {
                    text.unicodeScalars.append(s)
                    advance()
                }
                digits()
            }
        }
        if let d = peek(), Lexer.isNameStart(d) {
            advance()
            throw FoveaError(.syntax, "invalid number literal: a letter follows the digits", at: SourceSpan(start, position))
        }
        let span = SourceSpan(start, position)
        if text.hasPrefix(".") { text = "0" + text }
        if text.hasSuffix(".") { text += "0" }
        if !isFloat, let i = Int(text) { return Token(.int(i), span) }
        guard let d = Double(text) else { throw FoveaError(.syntax, "invalid number literal", at: span) }
        return Token(.double(d), span)
    }

    private mutating func string(quote: Unicode.Scalar) throws -> Token {
        let start = position
        advance()
        var text = ""
        while true {
            guard let c = peek() else {
                tail.openString = (start, Character(quote), text)
                throw FoveaError(.syntax, "unterminated string (missing closing \(quote))", at: SourceSpan(start, position))
            }
            if c == "\n" {
                let here = position
                tail.openString = nil
                throw FoveaError(.syntax, "unterminated string (missing closing \(quote) before the end of the line)",
                                 at: SourceSpan(start, here))
            }
            if c == quote {
                advance()
                return Token(.string(text), SourceSpan(start, position))
            }
            if c == "\\" {
                advance()
                guard let e = peek() else { continue }
                switch e {
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "r": text.append("\r")
                case "0": text.append("\0")
                case "\\": text.append("\\")
                case "\"": text.append("\"")
                case "'": text.append("'")
                case "\n": break
                default:
                    // As in Python, an unknown escape keeps its backslash (handy for Windows paths).
                    text.append("\\")
                    text.unicodeScalars.append(e)
                }
                advance()
                continue
            }
            text.unicodeScalars.append(c)
            advance()
        }
    }
}
