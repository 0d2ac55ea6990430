import Protocol

/// `inspect_request`: the word under (or just before) the cursor — a verb's signature and documentation,
/// or a value's summary; inside a call's parentheses with no word, the called verb.
struct Inspector {
    let registry: VerbRegistry
    let names: [String: Value]

    func inspect(code: String, cursorPos: Int) -> InspectReply {
        let scalars = Array(code.unicodeScalars)
        let cursor = min(max(cursorPos, 0), scalars.count)
        var start = cursor, end = cursor
        while start > 0, Lexer.isNameContinue(scalars[start - 1]) { start -= 1 }
        while end < scalars.count, Lexer.isNameContinue(scalars[end]) { end += 1 }
        var word = ""
        word.unicodeScalars.append(contentsOf: scalars[start..<end])
        if let text = describe(word) { return found(text) }
        var prefix = ""
        prefix.unicodeScalars.append(contentsOf: scalars[0..<cursor])
        if let context = CallContext.innermost(Lexer.tokenizeLeniently(prefix).tokens), let text = describe(context.callee) {
            return found(text)
        }
        return InspectReply(found: false, bundle: MimeBundle(data: [:]))
    }

    private func describe(_ word: String) -> String? {
        guard !word.isEmpty else { return nil }
        if let value = names[word] { return Interpreter.summary(of: value, name: word) }
        if let verb = registry[word] { return verb.helpText }
        return nil
    }

    private func found(_ text: String) -> InspectReply {
        InspectReply(found: true, bundle: MimeBundle(data: ["text/plain": .string(text)]))
    }
}
