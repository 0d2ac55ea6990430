/// All verbs the language knows, by name. The same declarations drive argument checking (`check`),
/// completion, `inspect`/`help` and the generated `docs/verbs.md` (`markdown()`).
///
/// Adding a verb: declare it once as a `Verb` (see `CoreVerbs`, `ImagingVerbs`), in a group file with
/// `static var all: [Verb]`, and add the group to `VerbRegistry.standard()`. The implementation receives
/// checked `Arguments` (read them with `args.int("steps")`, `args.object("net", as: ModelValue.self)`, …)
/// and a `VerbContext` (output, interruption, seeded random numbers, progress, paths). Engine values are
/// returned as `.object(SomeValue(...))` where `SomeValue: FoveaObject`. Then regenerate the docs with
/// `FOVEA_UPDATE_DOCS=1 swift test --filter KernelTests.RegistryTests`.
public final class VerbRegistry {
    public private(set) var verbs: [String: Verb] = [:]
    /// Names in declaration order (the docs and `help()` list them this way).
    public private(set) var order: [String] = []

    public init(_ verbs: [Verb] = []) {
        for v in verbs { register(v) }
    }

    /// Adds (or replaces) a verb.
    public func register(_ verb: Verb) {
        precondition(Set(verb.parameters.map(\.name)).count == verb.parameters.count, "duplicate parameter in \(verb.name)")
        precondition(verb.parameters.filter(\.variadic).count <= 1, "at most one parameter of \(verb.name) may be variadic")
        if verbs.updateValue(verb, forKey: verb.name) == nil { order.append(verb.name) }
    }

    public func register(_ verbs: [Verb]) {
        for v in verbs { register(v) }
    }

    public subscript(_ name: String) -> Verb? { verbs[name] }

    public var names: [String] { order }

    /// A copy whose verbs check their arguments but do nothing (for fuzzing the language without side effects).
    public func stubbed() -> VerbRegistry {
        VerbRegistry(order.compactMap { verbs[$0] }.map { verb in
            var v = verb
            v.implementation = { _, _ in .none }
            return v
        })
    }
}

/// An argument as the evaluator hands it over: value plus where it was written.
public struct GivenArgument {
    public var keyword: String?
    public var keywordSpan: SourceSpan?
    public var value: Value
    public var span: SourceSpan

    public init(keyword: String? = nil, keywordSpan: SourceSpan? = nil, value: Value, span: SourceSpan) {
        self.keyword = keyword
        self.keywordSpan = keywordSpan
        self.value = value
        self.span = span
    }
}

extension Verb {
    /// Matches the given arguments to the declared parameters and checks each one — before any work is done.
    /// Errors name the parameter, say what is valid and suggest near misses.
    public func check(_ given: [GivenArgument], callSpan: SourceSpan?) throws -> Arguments {
        var values: [String: Value] = [:]
        var spans: [String: SourceSpan] = [:]
        var rest: [Value] = []
        let positional = positionalParameters
        let variadic = parameters.first { $0.variadic }
        let listing = parameters.isEmpty ? "it takes no arguments" : "parameters are: " + parameters.map(\.name).joined(separator: ", ")

        var index = 0
        for arg in given where arg.keyword == nil {
            if index < positional.count {
                values[positional[index].name] = arg.value
                spans[positional[index].name] = arg.span
            } else if let variadic {
                rest.append(arg.value)
                spans[variadic.name] = spans[variadic.name].map { $0.through(arg.span) } ?? arg.span
            } else {
                let most = positional.count
                throw FoveaError(.argument,
                    "\(name)() takes \(most == 0 ? "no" : "at most \(most)") argument\(most == 1 ? "" : "s") (\(listing)) but \(given.filter { $0.keyword == nil }.count) were given",
                    at: arg.span)
            }
            index += 1
        }
        for arg in given {
            guard let keyword = arg.keyword else { continue }
            let keywordSpan = arg.keywordSpan ?? arg.span
            guard let p = parameter(keyword), !p.variadic else {
                let hint = Suggestions.hint(for: keyword, in: parameters.filter { !$0.variadic }.map(\.name))
                throw FoveaError(.argument, "\(name)() has no parameter \"\(keyword)\"\(hint) (\(listing))", at: keywordSpan)
            }
            if values[keyword] != nil {
                throw FoveaError(.argument, "\(name)() got two values for \"\(keyword)\" (by position and by keyword)", at: keywordSpan)
            }
            values[keyword] = arg.value
            spans[keyword] = arg.span
        }
        for p in parameters where values[p.name] == nil && !p.variadic {
            guard let d = p.defaultValue else {
                throw FoveaError(.argument, "\(name)() is missing the argument \"\(p.name)\" (\(p.type.description)): \(p.doc). Usage: \(signature)",
                                 at: callSpan)
            }
            values[p.name] = d
        }
        // Types, ranges, choices; layers last, because they depend on the model argument.
        for p in parameters {
            if p.variadic {
                rest = try rest.map { try checkValue($0, p, span: spans[p.name]) }
                continue
            }
            guard let v = values[p.name] else { continue }
            if v.isNone, let d = p.defaultValue, d.isNone { continue }
            values[p.name] = try checkValue(v, p, span: spans[p.name])
        }
        for p in parameters {
            guard let modelName = p.type.layerModelParameter, let v = values[p.name], !v.isNone,
                  case .object(let model)? = values[modelName], let layers = model.layerNames else { continue }
            let requested: [String]
            switch v {
            case .string(let s): requested = [s]
            case .list(let items): requested = items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
            default: requested = []
            }
            for layer in requested where !layers.contains(layer) {
                let shown = layers.count > 40 ? layers.prefix(40).joined(separator: ", ") + ", …" : layers.joined(separator: ", ")
                let hint = Suggestions.hint(for: layer, in: layers)
                throw FoveaError(.value, "\(name)(): unknown layer \"\(layer)\" for \(p.name)\(hint); layers are: \(shown)",
                                 at: spans[p.name] ?? callSpan)
            }
        }
        return Arguments(verbName: name, values: values, spans: spans, rest: rest)
    }

    private func checkValue(_ v: Value, _ p: Parameter, span: SourceSpan?) throws -> Value {
        guard let converted = p.type.accept(v) else {
            var shown = Repr.repr(v)
            if shown.count > 40 { shown = String(shown.prefix(37)) + "…" }
            throw FoveaError(.type, "\(name)(): \(p.name) must be \(article(p.type.description)), not \(v.typeName) (\(shown))",
                             at: span)
        }
        if let choices = p.choices, case .string(let s) = converted, !choices.contains(s) {
            let hint = Suggestions.hint(for: s, in: choices)
            throw FoveaError(.value, "\(name)(): \(p.name) must be one of " + choices.map { Repr.quote($0) }.joined(separator: ", ")
                             + ", not \(Repr.quote(s))\(hint)", at: span)
        }
        try checkRange(converted, p, span: span)
        return converted
    }

    private func checkRange(_ v: Value, _ p: Parameter, span: SourceSpan?) throws {
        guard p.minimum != nil || p.maximum != nil else { return }
        if case .list(let items) = v {
            for item in items { try checkRange(item, p, span: span) }
            return
        }
        guard let x = v.number else { return }
        let low = p.minimum ?? -Double.infinity, high = p.maximum ?? Double.infinity
        if !(x >= low && x <= high) {
            let bound: String
            switch (p.minimum, p.maximum) {
            case let (lo?, hi?): bound = "between \(Parameter.format(lo)) and \(Parameter.format(hi))"
            case let (lo?, nil): bound = "at least \(Parameter.format(lo))"
            case let (nil, hi?): bound = "at most \(Parameter.format(hi))"
            default: bound = ""
            }
            throw FoveaError(.value, "\(name)(): \(p.name) must be \(bound), not \(Parameter.format(x))", at: span)
        }
    }

    private func article(_ noun: String) -> String {
        if noun == "any value" { return noun }
        let first = noun.lowercased().first.map(String.init) ?? ""
        return ("aeio".contains(first) ? "an " : "a ") + noun
    }
}
