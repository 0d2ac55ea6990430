import Protocol

extension Value {
    /// The value as JSON for display metadata: plain data maps directly; engine values become their
    /// one-line text (`"Image 224×224×3 \"chelsea\""`), non-finite floats become strings.
    public var json: JSON {
        switch self {
        case .none: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return d.isFinite ? .double(d) : .string(Repr.number(d))
        case .string(let s): return .string(s)
        case .list(let items): return .array(items.prefix(1000).map(\.json))
        case .dict(let d): return .object(Dictionary(d.map { ($0.key, $0.value.json) }, uniquingKeysWith: { a, _ in a }))
        case .object(let o): return .string(o.plainText.split(separator: "\n").first.map(String.init) ?? o.typeName)
        }
    }
}

extension VerbContext {
    /// What a result should carry so it can be reproduced: the verb, every argument after defaults were
    /// applied, and the session seed — `{"verb": …, "arguments": {…}, "seed": …}`. Put it in a figure's
    /// display metadata (`FigureValue(figure, metadata: context.metadata(for: args))`).
    public func metadata(for args: Arguments) -> [String: JSON] {
        var arguments: [String: JSON] = [:]
        for (name, value) in args.values { arguments[name] = value.json }
        if !args.rest.isEmpty { arguments["…"] = .array(args.rest.map(\.json)) }
        return ["verb": .string(args.verbName), "arguments": .object(arguments), "seed": .int(Int(truncatingIfNeeded: seed))]
    }
}
