import Engine
import Foundation
import Protocol

/// Code completion driven by the verb registry and the names in scope: verbs, names and literals;
/// `keyword=` names inside a call; attributes after `x.`; layer names inside `layer="…` (from the model
/// argument of the same call); file paths inside other strings. Offsets are Unicode code points.
struct Completer {
    let registry: VerbRegistry
    let names: [String: Value]
    let workingDirectory: URL

    struct Match {
        var text: String
        var type: String
    }

    func complete(code: String, cursorPos: Int) -> CompleteReply {
        let scalars = Array(code.unicodeScalars)
        let cursor = min(max(cursorPos, 0), scalars.count)
        var prefixText = ""
        prefixText.unicodeScalars.append(contentsOf: scalars[0..<cursor])
        let (tokens, tail, _) = Lexer.tokenizeLeniently(prefixText)

        if let open = tail.openString {
            let start = open.start.offset + 1
            let matches = stringMatches(tokens: tokens, text: open.text)
            return reply(matches, start: start, end: cursor)
        }

        let meaningful = tokens.filter { $0.kind != .end }
        var word = ""
        var start = cursor
        if let last = meaningful.last, case .name(let n) = last.kind, last.span.end.offset == cursor {
            word = n
            start = last.span.start.offset
        }
        let beforeWord = word.isEmpty ? meaningful : Array(meaningful.dropLast())

        // x.attr
        if let dot = beforeWord.last, dot.kind == .symbol("."), dot.span.end.offset == start {
            guard beforeWord.count >= 2, case .name(let base) = beforeWord[beforeWord.count - 2].kind,
                  case .object(let o)? = names[base] else { return reply([], start: start, end: cursor) }
            return reply(o.attributeNames.filter { $0.hasPrefix(word) }.map { Match(text: $0, type: "attribute") },
                         start: start, end: cursor)
        }

        var matches: [Match] = []
        let context = CallContext.innermost(beforeWord)
        if let context, let verb = registry[context.callee], context.current.tokens.isEmpty {
            let positionalCount = context.arguments.dropLast().filter { $0.keyword == nil }.count
            let used = context.usedKeywords.union(verb.positionalParameters.prefix(positionalCount).map(\.name))
            matches += verb.parameters.filter { !$0.variadic && !used.contains($0.name) && $0.name.hasPrefix(word) }
                .map { Match(text: $0.name + "=", type: "parameter") }
        }
        if word.isEmpty && context == nil { return reply(matches, start: start, end: cursor) }
        var seen = Set(matches.map(\.text))
        let candidates = names.keys.sorted().map { Match(text: $0, type: "variable") }
            + registry.names.sorted().map { Match(text: $0, type: "function") }
            + Keywords.all.map { Match(text: $0, type: "keyword") }
        for c in candidates where c.text.hasPrefix(word) && c.text != "_" && seen.insert(c.text).inserted {
            matches.append(c)
        }
        return reply(matches, start: start, end: cursor)
    }

    private func reply(_ matches: [Match], start: Int, end: Int) -> CompleteReply {
        let types: [JSON] = matches.map {
            .object(["start": .int(start), "end": .int(end), "text": .string($0.text), "type": .string($0.type)])
        }
        return CompleteReply(matches: matches.map(\.text), cursorStart: start, cursorEnd: end,
                             metadata: ["_jupyter_types_experimental": .array(types)])
    }

    /// Inside a string: layer names if the string is a layer argument of a call on a model in scope, else files.
    private func stringMatches(tokens: [Token], text: String) -> [Match] {
        if let context = CallContext.innermost(tokens), let verb = registry[context.callee],
           let parameter = context.parameter(of: verb) {
            if let modelParameter = parameter.type.layerModelParameter {
                if let modelTokens = context.tokens(for: modelParameter, of: verb), modelTokens.count == 1,
                   case .name(let modelName) = modelTokens[0].kind, case .object(let model)? = names[modelName],
                   let layers = model.layerNames {
                    return layers.filter { $0.hasPrefix(text) }.map { Match(text: $0, type: "layer") }
                }
                return []
            }
            if let choices = parameter.choices {
                return choices.filter { $0.hasPrefix(text) }.map { Match(text: $0, type: "choice") }
            }
            if case .string = parameter.type { return [] }
        }
        return pathMatches(text)
    }

    /// Files and folders whose path starts with `text` (relative to the working directory; `~` and `/` work),
    /// and the `sample:NAME` pictures.
    func pathMatches(_ text: String) -> [Match] {
        let samplePrefix = "sample:"
        if text.hasPrefix(samplePrefix) {
            let names = (try? SampleImages.names()) ?? []
            return names.map { samplePrefix + $0 }.filter { $0.hasPrefix(text) }.map { Match(text: $0, type: "sample") }
        }
        var matches: [Match] = []
        if !text.isEmpty, samplePrefix.hasPrefix(text) { matches.append(Match(text: samplePrefix, type: "sample")) }
        return matches + fileMatches(text)
    }

    private func fileMatches(_ text: String) -> [Match] {
        let slash = text.lastIndex(of: "/")
        let directoryPart = slash.map { String(text[...$0]) } ?? ""
        let namePrefix = slash.map { String(text[text.index(after: $0)...]) } ?? text
        let expanded = (directoryPart as NSString).expandingTildeInPath + (directoryPart.hasPrefix("~") && directoryPart.hasSuffix("/") ? "/" : "")
        let directory: URL = expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded)
            : (directoryPart.isEmpty ? workingDirectory : workingDirectory.appendingPathComponent(directoryPart))
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return entries.filter { $0.hasPrefix(namePrefix) && (namePrefix.hasPrefix(".") || !$0.hasPrefix(".")) }
            .sorted()
            .prefix(500)
            .map { entry in
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: directory.appendingPathComponent(entry).path, isDirectory: &isDirectory)
                return Match(text: directoryPart + entry + (isDirectory.boolValue ? "/" : ""), type: isDirectory.boolValue ? "directory" : "path")
            }
    }
}
