/// The syntax tree of a cell. Every node carries the span of the text it came from.
public indirect enum Expr: Sendable, Equatable {
    case int(Int, SourceSpan)
    case double(Double, SourceSpan)
    case string(String, SourceSpan)
    case bool(Bool, SourceSpan)
    case none(SourceSpan)
    case name(String, SourceSpan)
    case list([Expr], SourceSpan)
    /// Keys are expressions (string literals in practice; the evaluator checks).
    case dict([(key: Expr, value: Expr)], SourceSpan)
    case unary(op: String, operand: Expr, SourceSpan)
    /// `op` is the operator's spelling; `opSpan` is where it is written (for error carets).
    case binary(op: String, lhs: Expr, rhs: Expr, opSpan: SourceSpan, SourceSpan)
    case call(callee: Expr, arguments: [Argument], SourceSpan)
    case index(base: Expr, index: Expr, SourceSpan)
    case slice(start: Expr?, stop: Expr?, step: Expr?, SourceSpan)
    case attribute(base: Expr, name: String, nameSpan: SourceSpan, SourceSpan)

    public var span: SourceSpan {
        switch self {
        case .int(_, let s), .double(_, let s), .string(_, let s), .bool(_, let s), .none(let s), .name(_, let s),
             .list(_, let s), .dict(_, let s), .unary(_, _, let s), .binary(_, _, _, _, let s), .call(_, _, let s),
             .index(_, _, let s), .slice(_, _, _, let s), .attribute(_, _, _, let s):
            return s
        }
    }

    public static func == (a: Expr, b: Expr) -> Bool {
        // Structural equality that ignores spans is what tests want; spans are checked explicitly.
        a.sExpression == b.sExpression
    }

    /// A compact, fully parenthesised rendering used by tests and debugging: `(+ 1 (* 2 3))`.
    public var sExpression: String {
        switch self {
        case .int(let i, _): return String(i)
        case .double(let d, _): return String(d)
        case .string(let s, _): return Repr.quote(s)
        case .bool(let b, _): return b ? "true" : "false"
        case .none: return "none"
        case .name(let n, _): return n
        case .list(let items, _): return "[" + items.map(\.sExpression).joined(separator: " ") + "]"
        case .dict(let pairs, _): return "{" + pairs.map { "\($0.key.sExpression): \($0.value.sExpression)" }.joined(separator: ", ") + "}"
        case .unary(let op, let e, _): return "(\(op) \(e.sExpression))"
        case .binary(let op, let l, let r, _, _): return "(\(op) \(l.sExpression) \(r.sExpression))"
        case .call(let f, let args, _):
            return "(call \(f.sExpression)" + args.map { " " + ($0.keyword.map { "\($0)=" } ?? "") + $0.value.sExpression }.joined() + ")"
        case .index(let b, let i, _): return "(index \(b.sExpression) \(i.sExpression))"
        case .slice(let a, let b, let c, _):
            return "(slice \(a?.sExpression ?? "_") \(b?.sExpression ?? "_") \(c?.sExpression ?? "_"))"
        case .attribute(let b, let n, _, _): return "(. \(b.sExpression) \(n))"
        }
    }
}

/// One argument of a call: positional (`keyword == nil`) or `keyword=value`.
public struct Argument: Sendable, Equatable {
    public var keyword: String?
    public var keywordSpan: SourceSpan?
    public var value: Expr

    public var span: SourceSpan { keywordSpan.map { $0.through(value.span) } ?? value.span }
}

public enum Statement: Sendable, Equatable {
    case assign(name: String, nameSpan: SourceSpan, value: Expr, SourceSpan)
    /// `suppressed` is true when the statement is followed by `;` (which hides a cell's last result).
    case expression(Expr, suppressed: Bool, SourceSpan)
    /// `?name`, `name?` or `??name`: show the documentation of a verb or a summary of a value.
    case help(topic: String, SourceSpan)

    public var span: SourceSpan {
        switch self {
        case .assign(_, _, _, let s), .expression(_, _, let s), .help(_, let s): return s
        }
    }
}

public struct Program: Sendable, Equatable {
    public var statements: [Statement]
}
