/// Where the cursor sits relative to the calls around it, worked out from the tokens before the cursor.
/// Completion uses it to offer `keyword=` names and layer names; inspect uses it to find the verb.
struct CallContext {
    /// One argument written so far: its keyword (if any) and its tokens.
    struct WrittenArgument {
        var keyword: String?
        var tokens: [Token] = []
    }

    /// The name before the innermost open `(`.
    var callee: String
    /// Arguments already written, the last one being the one the cursor is in.
    var arguments: [WrittenArgument]

    var current: WrittenArgument { arguments.last ?? WrittenArgument() }
    /// Keywords already used.
    var usedKeywords: Set<String> { Set(arguments.dropLast().compactMap(\.keyword)) }
    /// The 0-based position of the current argument among positional ones (nil if it is a keyword argument).
    var positionalIndex: Int? {
        current.keyword == nil ? arguments.dropLast().filter { $0.keyword == nil }.count : nil
    }

    /// The parameter of `verb` the cursor's argument fills.
    func parameter(of verb: Verb) -> Parameter? {
        if let k = current.keyword { return verb.parameter(k) }
        guard let i = positionalIndex else { return nil }
        let positional = verb.positionalParameters
        return i < positional.count ? positional[i] : verb.parameters.first { $0.variadic }
    }

    /// The tokens written for parameter `name` of `verb` (by keyword or position).
    func tokens(for name: String, of verb: Verb) -> [Token]? {
        if let a = arguments.dropLast().first(where: { $0.keyword == name }) { return a.tokens }
        let positional = verb.positionalParameters
        guard let index = positional.firstIndex(where: { $0.name == name }) else { return nil }
        let written = arguments.dropLast().filter { $0.keyword == nil }
        return index < written.count ? written[index].tokens : nil
    }

    /// The innermost call whose parentheses are open at the end of `tokens`, if its callee is a plain name.
    static func innermost(_ tokens: [Token]) -> CallContext? {
        struct Frame {
            var open: String
            var callee: String?
            var arguments: [WrittenArgument] = [WrittenArgument()]
        }
        var stack: [Frame] = []
        var previous: Token?
        let tokens = tokens.filter { $0.kind != .end }
        for (i, t) in tokens.enumerated() {
            defer { previous = t }
            switch t.kind {
            case .symbol("("), .symbol("["), .symbol("{"):
                var callee: String?
                if t.kind == .symbol("("), case .name(let n)? = previous?.kind { callee = n }
                if !stack.isEmpty { stack[stack.count - 1].arguments[stack[stack.count - 1].arguments.count - 1].tokens.append(t) }
                stack.append(Frame(open: t.kind == .symbol("(") ? "(" : "other", callee: callee))
                continue
            case .symbol(")"), .symbol("]"), .symbol("}"):
                if !stack.isEmpty { stack.removeLast() }
                if !stack.isEmpty { stack[stack.count - 1].arguments[stack[stack.count - 1].arguments.count - 1].tokens.append(t) }
                continue
            default:
                break
            }
            guard !stack.isEmpty else { continue }
            let top = stack.count - 1
            if t.kind == .symbol(",") {
                stack[top].arguments.append(WrittenArgument())
                continue
            }
            let argIndex = stack[top].arguments.count - 1
            if case .name(let n) = t.kind, stack[top].arguments[argIndex].tokens.isEmpty,
               i + 1 < tokens.count, tokens[i + 1].kind == .symbol("=") {
                stack[top].arguments[argIndex].keyword = n
                continue
            }
            if t.kind == .symbol("="), stack[top].arguments[argIndex].keyword != nil,
               stack[top].arguments[argIndex].tokens.isEmpty {
                continue
            }
            stack[top].arguments[argIndex].tokens.append(t)
        }
        guard let frame = stack.last, frame.open == "(", let callee = frame.callee else { return nil }
        return CallContext(callee: callee, arguments: frame.arguments)
    }
}
