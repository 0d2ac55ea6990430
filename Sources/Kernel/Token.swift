/// The lexical units of the Fovea language.
public enum TokenKind: Sendable, Equatable {
    case name(String)
    case int(Int)
    case double(Double)
    case string(String)
    /// Punctuation and operators, spelled as in the source: `( ) [ ] { } , : ; . = + - * / // % ** == != < <= > >= ?`.
    case symbol(String)
    /// A statement separator (only outside brackets).
    case newline
    case end
}

public struct Token: Sendable, Equatable {
    public var kind: TokenKind
    public var span: SourceSpan

    public init(_ kind: TokenKind, _ span: SourceSpan) {
        self.kind = kind
        self.span = span
    }

    func isSymbol(_ s: String) -> Bool { kind == .symbol(s) }

    /// How the token reads in a message.
    var display: String {
        switch kind {
        case .name(let n): return n
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string: return "string"
        case .symbol(let s): return "'\(s)'"
        case .newline: return "end of line"
        case .end: return "end of input"
        }
    }
}

/// The literal words of the language (for "did you mean" and completion).
public enum Keywords {
    public static let all = ["true", "false", "none", "True", "False", "None"]
}
