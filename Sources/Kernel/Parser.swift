/// Recursive-descent parser: tokens → `Program`. Precedence, loosest first:
/// comparison (`== != < <= > >=`, not chained) → `+ -` → `* / // %` → unary `- +` → `**` (right-associative,
/// binding tighter than a unary minus on its left: `-2**2 == -4`, `2**-1 == 0.5`) → postfix (call, index,
/// attribute) → atoms. Nesting is bounded so that no input can exhaust the stack.
public struct Parser {
    /// Brackets, unary operators and `**` may nest this deep before a SyntaxError.
    public static let maxNesting = 100
    /// The tallest expression tree accepted (long operator chains make tall trees too).
    public static let maxHeight = 400

    private let tokens: [Token]
    private var position = 0
    private var nesting = 0
    /// The height of the expression tree the last parse function returned.
    private var lastHeight = 0

    public init(tokens: [Token]) {
        precondition(tokens.last?.kind == .end, "token stream must end with .end")
        self.tokens = tokens
    }

    /// Lexes and parses a whole cell.
    public static func parse(_ source: String) throws -> Program {
        var parser = Parser(tokens: try Lexer.tokenize(source))
        return try parser.parseProgram()
    }

    /// Parses a single expression (user_expressions, tests).
    public static func parseExpression(_ source: String) throws -> Expr {
        var parser = Parser(tokens: try Lexer.tokenize(source))
        parser.skipNewlines()
        let e = try parser.expression()
        parser.skipNewlines()
        guard parser.current.kind == .end else { throw parser.unexpected("after the expression") }
        return e
    }

    // MARK: - Token helpers

    private var current: Token { tokens[position] }
    private func peek(_ ahead: Int = 1) -> Token { tokens[min(position + ahead, tokens.count - 1)] }

    @discardableResult
    private mutating func advance() -> Token {
        let t = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return t
    }

    private mutating func accept(_ symbol: String) -> Token? {
        current.isSymbol(symbol) ? advance() : nil
    }

    private mutating func skipNewlines() {
        while current.kind == .newline { advance() }
    }

    private func unexpected(_ context: String) -> FoveaError {
        let t = current
        switch t.kind {
        case .end: return FoveaError(.syntax, "unexpected end of input \(context)", at: t.span)
        case .newline: return FoveaError(.syntax, "unexpected end of line \(context)", at: t.span)
        default: return FoveaError(.syntax, "invalid syntax: unexpected \(t.display) \(context)", at: t.span)
        }
    }

    private mutating func expect(_ symbol: String, closing opener: Token) throws -> Token {
        if let t = accept(symbol) { return t }
        if current.kind == .end {
            throw FoveaError(.syntax, "'\(openerText(opener))' was never closed", at: opener.span)
        }
        throw unexpected("(expected '\(symbol)' to close '\(openerText(opener))' at line \(opener.span.start.line), column \(opener.span.start.column))")
    }

    private func openerText(_ t: Token) -> String {
        if case .symbol(let s) = t.kind { return s }
        return t.display
    }

    private mutating func nested<T>(at span: SourceSpan, _ body: (inout Parser) throws -> T) throws -> T {
        nesting += 1
        defer { nesting -= 1 }
        guard nesting <= Parser.maxNesting else {
            throw FoveaError(.syntax, "too deeply nested: more than \(Parser.maxNesting) levels of brackets or operators", at: span)
        }
        return try body(&self)
    }

    private mutating func grow(_ height: Int, at span: SourceSpan) throws -> Int {
        guard height <= Parser.maxHeight else {
            throw FoveaError(.syntax, "expression too long or too deeply nested (more than \(Parser.maxHeight) levels); split it into several statements", at: span)
        }
        lastHeight = height
        return height
    }

    // MARK: - Statements

    public mutating func parseProgram() throws -> Program {
        var statements: [Statement] = []
        skipSeparators()
        while current.kind != .end {
            let before = position
            var statement = try self.statement()
            if current.isSymbol(";") {
                if case .expression(let e, _, let s) = statement { statement = .expression(e, suppressed: true, s) }
                advance()
            } else if current.kind != .newline && current.kind != .end {
                throw unexpected("(statements are separated by a newline or ';')")
            }
            statements.append(statement)
            skipSeparators()
            precondition(position > before, "parser made no progress")
        }
        return Program(statements: statements)
    }

    /// Items separated by commas up to `close` (a trailing comma allowed); `lastHeight` becomes the tallest item's.
    private mutating func commaSeparated<T>(until close: String, _ item: (inout Parser) throws -> T) throws -> [T] {
        var items: [T] = []
        var height = 0
        while !current.isSymbol(close) && current.kind != .end {
            let before = position
            items.append(try item(&self))
            height = max(height, lastHeight)
            if accept(",") == nil { break }
            precondition(position > before, "parser made no progress")
        }
        lastHeight = height
        return items
    }

    private mutating func skipSeparators() {
        while current.kind == .newline || current.isSymbol(";") { advance() }
    }

    private mutating func statement() throws -> Statement {
        let start = current
        // ?verb and ??verb
        if start.isSymbol("?") {
            while accept("?") != nil {}
            guard case .name(let topic) = current.kind else { throw unexpected("after '?' (expected a verb or name)") }
            let nameToken = advance()
            while accept("?") != nil {}
            return .help(topic: topic, start.span.through(nameToken.span))
        }
        if case .name(let name) = start.kind {
            // verb? and verb??
            if peek().isSymbol("?") {
                advance()
                var end = advance()
                while let q = accept("?") { end = q }
                return .help(topic: name, start.span.through(end.span))
            }
            if peek().isSymbol("=") {
                advance()
                advance()
                if current.kind == .newline || current.kind == .end || current.isSymbol(";") {
                    throw unexpected("after '=' (expected a value to assign to \(name))")
                }
                let value = try expression()
                return .assign(name: name, nameSpan: start.span, value: value, start.span.through(value.span))
            }
        }
        let e = try expression()
        if current.isSymbol("=") {
            throw FoveaError(.syntax, "can only assign to a name (like x = …), not to \(describe(e))", at: e.span)
        }
        return .expression(e, suppressed: false, e.span)
    }

    private func describe(_ e: Expr) -> String {
        switch e {
        case .call: return "a call"
        case .index: return "an indexed value"
        case .attribute: return "an attribute"
        default: return "an expression"
        }
    }

    // MARK: - Expressions

    public mutating func expression() throws -> Expr {
        try nested(at: current.span) { try $0.comparison() }
    }

    private static let comparisonOps: Set<String> = ["==", "!=", "<", "<=", ">", ">="]

    private mutating func comparison() throws -> Expr {
        let lhs = try additive()
        var height = lastHeight
        guard case .symbol(let op) = current.kind, Parser.comparisonOps.contains(op) else { return lhs }
        let opToken = advance()
        let rhs = try additive()
        height = try grow(max(height, lastHeight) + 1, at: opToken.span)
        if case .symbol(let next) = current.kind, Parser.comparisonOps.contains(next) {
            throw FoveaError(.syntax, "comparisons can't be chained; compare two values at a time", at: current.span)
        }
        return .binary(op: op, lhs: lhs, rhs: rhs, opSpan: opToken.span, lhs.span.through(rhs.span))
    }

    private mutating func additive() throws -> Expr {
        try leftAssociative(["+", "-"]) { try $0.term() }
    }

    private mutating func term() throws -> Expr {
        try leftAssociative(["*", "/", "//", "%"]) { try $0.unary() }
    }

    /// One precedence level of left-associative binary operators over `operand`, with its tree height checked.
    private mutating func leftAssociative(_ ops: Set<String>, _ operand: (inout Parser) throws -> Expr) throws -> Expr {
        var lhs = try operand(&self)
        var height = lastHeight
        while case .symbol(let op) = current.kind, ops.contains(op) {
            let opToken = advance()
            let rhs = try operand(&self)
            height = try grow(max(height, lastHeight) + 1, at: opToken.span)
            lhs = .binary(op: op, lhs: lhs, rhs: rhs, opSpan: opToken.span, lhs.span.through(rhs.span))
        }
        lastHeight = height
        return lhs
    }

    private mutating func unary() throws -> Expr {
        if case .symbol(let op) = current.kind, op == "-" || op == "+" {
            let opToken = advance()
            let operand = try nested(at: opToken.span) { try $0.unary() }
            _ = try grow(lastHeight + 1, at: opToken.span)
            return .unary(op: op, operand: operand, opToken.span.through(operand.span))
        }
        return try power()
    }

    private mutating func power() throws -> Expr {
        let base = try postfix()
        let baseHeight = lastHeight
        guard current.isSymbol("**") else { return base }
        let opToken = advance()
        let exponent = try nested(at: opToken.span) { try $0.unary() }
        _ = try grow(max(baseHeight, lastHeight) + 1, at: opToken.span)
        return .binary(op: "**", lhs: base, rhs: exponent, opSpan: opToken.span, base.span.through(exponent.span))
    }

    private mutating func postfix() throws -> Expr {
        var e = try atom()
        var height = lastHeight
        while true {
            let before = position
            if let open = accept("(") {
                let (arguments, argHeight) = try callArguments(open: open)
                let close = tokens[position - 1]
                height = try grow(max(height, argHeight) + 1, at: open.span)
                e = .call(callee: e, arguments: arguments, e.span.through(close.span))
            } else if let open = accept("[") {
                let index = try nested(at: open.span) { try $0.subscriptContent(open: open) }
                let close = try expect("]", closing: open)
                height = try grow(max(height, lastHeight) + 1, at: open.span)
                e = .index(base: e, index: index, e.span.through(close.span))
            } else if let dot = accept(".") {
                guard case .name(let name) = current.kind else { throw unexpected("after '.' (expected an attribute name)") }
                let nameToken = advance()
                height = try grow(height + 1, at: dot.span)
                e = .attribute(base: e, name: name, nameSpan: nameToken.span, e.span.through(nameToken.span))
            } else {
                break
            }
            precondition(position > before, "parser made no progress")
        }
        lastHeight = height
        return e
    }

    private mutating func callArguments(open: Token) throws -> ([Argument], Int) {
        try nested(at: open.span) { p in
            var arguments: [Argument] = []
            var height = 0
            var sawKeyword = false
            while !p.current.isSymbol(")") {
                let before = p.position
                if case .name(let keyword) = p.current.kind, p.peek().isSymbol("=") {
                    let keywordToken = p.advance()
                    p.advance()
                    if let previous = arguments.first(where: { $0.keyword == keyword }) {
                        _ = previous
                        throw FoveaError(.syntax, "keyword argument '\(keyword)' given twice", at: keywordToken.span)
                    }
                    let value = try p.expression()
                    arguments.append(Argument(keyword: keyword, keywordSpan: keywordToken.span, value: value))
                    sawKeyword = true
                } else {
                    if p.current.kind == .end { break }
                    let value = try p.expression()
                    if sawKeyword {
                        throw FoveaError(.syntax, "positional argument follows keyword argument", at: value.span)
                    }
                    arguments.append(Argument(keyword: nil, keywordSpan: nil, value: value))
                }
                height = max(height, p.lastHeight)
                if p.accept(",") == nil { break }
                precondition(p.position > before, "parser made no progress")
            }
            _ = try p.expect(")", closing: open)
            return (arguments, height)
        }
    }

    /// `i`, `a:b`, `a:b:c`, `:b`, `::2` …
    private mutating func subscriptContent(open: Token) throws -> Expr {
        let start = current.span
        var parts: [Expr?] = [nil]
        var height = 0
        var colons = 0
        while true {
            let before = position
            if current.isSymbol(":") {
                colons += 1
                if colons > 2 { throw FoveaError(.syntax, "a slice has at most two ':' (start:stop:step)", at: current.span) }
                advance()
                parts.append(nil)
            } else if current.isSymbol("]") || current.kind == .end {
                break
            } else {
                if parts[parts.count - 1] != nil { throw unexpected("in the index (expected ':' or ']')") }
                parts[parts.count - 1] = try expression()
                height = max(height, lastHeight)
            }
            precondition(position > before || current.isSymbol("]") || current.kind == .end, "parser made no progress")
        }
        if colons == 0 {
            guard let index = parts[0] else {
                throw FoveaError(.syntax, "empty index: write a[0] or a slice like a[0:64]", at: open.span.through(current.span))
            }
            lastHeight = height
            return index
        }
        let span = start.through(tokens[max(position - 1, 0)].span)
        _ = try grow(height + 1, at: span)
        return .slice(start: parts[0], stop: parts[1], step: parts.count > 2 ? parts[2] : nil, span)
    }

    private mutating func atom() throws -> Expr {
        let t = current
        switch t.kind {
        case .int(let i):
            advance()
            lastHeight = 1
            return .int(i, t.span)
        case .double(let d):
            advance()
            lastHeight = 1
            return .double(d, t.span)
        case .string(var s):
            advance()
            var span = t.span
            // Adjacent string literals concatenate, as in Python.
            while case .string(let more) = current.kind {
                s += more
                span = span.through(advance().span)
            }
            lastHeight = 1
            return .string(s, span)
        case .name(let n):
            advance()
            lastHeight = 1
            switch n {
            case "true", "True": return .bool(true, t.span)
            case "false", "False": return .bool(false, t.span)
            case "none", "None": return .none(t.span)
            default: return .name(n, t.span)
            }
        case .symbol("("):
            advance()
            let inner = try expression()
            if current.isSymbol(",") {
                throw FoveaError(.syntax, "tuples are not supported; use a list like [a, b]", at: current.span)
            }
            let close = try expect(")", closing: t)
            _ = close
            return inner
        case .symbol("["):
            advance()
            let items: [Expr] = try nested(at: t.span) { p in try p.commaSeparated(until: "]") { try $0.expression() } }
            let height = lastHeight
            let close = try expect("]", closing: t)
            _ = try grow(height + 1, at: t.span)
            return .list(items, t.span.through(close.span))
        case .symbol("{"):
            advance()
            let pairs: [(key: Expr, value: Expr)] = try nested(at: t.span) { p in
                try p.commaSeparated(until: "}") { p in
                    let key = try p.expression()
                    let keyHeight = p.lastHeight
                    guard p.accept(":") != nil else { throw p.unexpected("in the dict (expected ':' after the key)") }
                    let value = try p.expression()
                    p.lastHeight = max(keyHeight, p.lastHeight)
                    return (key, value)
                }
            }
            let height = lastHeight
            let close = try expect("}", closing: t)
            _ = try grow(height + 1, at: t.span)
            return .dict(pairs, t.span.through(close.span))
        default:
            throw unexpected("(expected a value)")
        }
    }
}
