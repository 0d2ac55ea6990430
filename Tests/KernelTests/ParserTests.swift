import Testing
@testable import Kernel

@Suite struct LexerTests {
    @Test func tokensCarryOneBasedSpans() throws {
        let tokens = try Lexer.tokenize("x = 1\n  net.layers")
        #expect(tokens.map(\.kind) == [.name("x"), .symbol("="), .int(1), .newline, .name("net"), .symbol("."), .name("layers"), .end])
        #expect(tokens[0].span.start == SourcePosition(line: 1, column: 1, offset: 0))
        #expect(tokens[4].span.start == SourcePosition(line: 2, column: 3, offset: 8))
        #expect(tokens[6].span.end == SourcePosition(line: 2, column: 13, offset: 18))
    }

    @Test(arguments: [
        ("1e-3", TokenKind.double(0.001)), ("2.5", .double(2.5)), (".5", .double(0.5)), ("42", .int(42)),
        ("1E3", .double(1000)), ("3.", .double(3)), ("1_000", .int(1000)),
        ("99999999999999999999", .double(1e20)),
    ])
    func numbers(_ source: String, _ expected: TokenKind) throws {
        #expect(try Lexer.tokenize(source).first?.kind == expected)
    }

    @Test func stringEscapesAndQuotes() throws {
        let tokens = try Lexer.tokenize(#""a\n\t\"b\\" 'it\'s' "\d""#)
        #expect(tokens[0].kind == .string("a\n\t\"b\\"))
        #expect(tokens[1].kind == .string("it's"))
        #expect(tokens[2].kind == .string("\\d"))
    }

    @Test func newlinesInsideBracketsContinueTheLine() throws {
        let kinds = try Lexer.tokenize("f(1,\n  2)\n[3,\n4]").map(\.kind)
        #expect(kinds.filter { $0 == .newline }.count == 1)
    }

    @Test func backslashContinuesTheLine() throws {
        let kinds = try Lexer.tokenize("x = 1 + \\\n 2").map(\.kind)
        #expect(!kinds.contains(.newline))
    }

    @Test func commentsAreSkipped() throws {
        #expect(try Lexer.tokenize("x # the answer\n# whole line").map(\.kind) == [.name("x"), .newline, .end])
    }

    @Test func unterminatedStringPointsAtItsStart() {
        #expect(throws: FoveaError(.syntax, "unterminated string (missing closing \" before the end of the line)",
                                   at: SourceSpan(SourcePosition(line: 1, column: 5, offset: 4), SourcePosition(line: 1, column: 9, offset: 8)))) {
            try Lexer.tokenize("x = \"abc\ny")
        }
    }

    @Test func unmatchedClosingBracket() throws {
        let error = try #require(throws: FoveaError.self) { try Lexer.tokenize("f(1))") }
        #expect(error.message == "unmatched ')'")
        #expect(error.span?.start.column == 5)
    }

    @Test func unexpectedCharacter() throws {
        let error = try #require(throws: FoveaError.self) { try Lexer.tokenize("x = 3 $ 4") }
        #expect(error.kind == .syntax)
        #expect(error.message == "unexpected character '$'")
        #expect(error.span?.start.column == 7)
    }
}

@Suite struct ParserTests {
    func s(_ source: String) throws -> String { try Parser.parseExpression(source).sExpression }

    @Test(arguments: [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
        ("1 - 2 - 3", "(- (- 1 2) 3)"),
        ("2 ** 3 ** 2", "(** 2 (** 3 2))"),
        ("-2 ** 2", "(- (** 2 2))"),
        ("2 ** -1", "(** 2 (- 1))"),
        ("-x.shape[0]", "(- (index (. x shape) 0))"),
        ("a / b * c", "(* (/ a b) c)"),
        ("a // b % c", "(% (// a b) c)"),
        ("1 + 2 == 3", "(== (+ 1 2) 3)"),
        ("f(x, k=2)(y)", "(call (call f x k=2) y)"),
        ("data[0:64]", "(index data (slice 0 64 _))"),
        ("a[::2]", "(index a (slice _ _ 2))"),
        ("a[:-1]", "(index a (slice _ (- 1) _))"),
        ("{\"fire3\": 1.0, 'b': [1, 2,]}", "{\"fire3\": 1.0, \"b\": [1 2]}"),
        ("[true, False, none, None]", "[true false none none]"),
        ("\"a\" 'b'", "\"ab\""),
    ])
    func precedence(_ source: String, _ expected: String) throws {
        #expect(try s(source) == expected)
    }

    @Test func statementsAndSuppression() throws {
        let program = try Parser.parse("x = 1; y = 2\n\nx + y;\n")
        #expect(program.statements.count == 3)
        guard case .expression(_, let suppressed, _) = program.statements[2] else {
            Issue.record("expected an expression statement")
            return
        }
        #expect(suppressed)
    }

    @Test func helpForms() throws {
        let program = try Parser.parse("?saliency\nprint?\n??help")
        #expect(program.statements.map { if case .help(let t, _) = $0 { return t } else { return "" } } == ["saliency", "print", "help"])
    }

    @Test func everyNodeHasItsSpan() throws {
        let e = try Parser.parseExpression("saliency(net, img, method=\"guided\")")
        #expect(e.span.start.column == 1 && e.span.end.column == 36)
        guard case .call(_, let args, _) = e else {
            Issue.record("not a call")
            return
        }
        #expect(args[2].keywordSpan?.start.column == 20)
        #expect(args[2].value.span.start.column == 27)
        #expect(args[1].value.span == SourceSpan(SourcePosition(line: 1, column: 15, offset: 14), SourcePosition(line: 1, column: 18, offset: 17)))
    }

    @Test(arguments: [
        ("f(1, 2", "'(' was never closed", 2),
        ("x = ", "unexpected end of input after '=' (expected a value to assign to x)", 5),
        ("1 +", "unexpected end of input (expected a value)", 4),
        ("f(a=1, 2)", "positional argument follows keyword argument", 8),
        ("f(x) = 3", "can only assign to a name (like x = …), not to a call", 1),
        ("(1, 2)", "tuples are not supported; use a list like [a, b]", 3),
        ("1 < 2 < 3", "comparisons can't be chained; compare two values at a time", 7),
        ("a b", "invalid syntax: unexpected b (statements are separated by a newline or ';')", 3),
        ("x[]", "empty index: write a[0] or a slice like a[0:64]", 2),
        ("f(k=1, k=2)", "keyword argument 'k' given twice", 8),
    ])
    func syntaxErrors(_ source: String, _ message: String, _ column: Int) throws {
        let error = try #require(throws: FoveaError.self) { try Parser.parse(source) }
        #expect(error.kind == .syntax)
        #expect(error.message == message)
        #expect(error.span?.start.column == column)
    }

    @Test func tenThousandBracketsIsASyntaxErrorNotACrash() throws {
        for open in ["(", "[", "f(", "{\"a\": "] {
            let source = String(repeating: open, count: 10_000) + "1"
            let error = try #require(throws: FoveaError.self) { try Parser.parse(source) }
            #expect(error.message.hasPrefix("too deeply nested"))
        }
        let minus = try #require(throws: FoveaError.self) { try Parser.parse(String(repeating: "-", count: 10_000) + "1") }
        #expect(minus.message.hasPrefix("too deeply nested"))
        let chain = try #require(throws: FoveaError.self) {
            try Parser.parse((0..<10_000).map(String.init).joined(separator: " + "))
        }
        #expect(chain.message.hasPrefix("expression too long"))
    }

    @Test func moderateNestingIsFine() throws {
        let source = String(repeating: "[", count: 40) + "1" + String(repeating: "]", count: 40)
        #expect(try Parser.parse(source).statements.count == 1)
    }
}
