/// One parameter of a verb, declared once; it drives checking, completion, help and `docs/verbs.md`.
public struct Parameter: Sendable {
    public var name: String
    public var type: ParameterType
    /// nil: the argument is required. `.none` as a default means "worked out by the verb" (e.g. `target`
    /// defaults to the top prediction) and lets users pass `none` explicitly.
    public var defaultValue: Value?
    /// Inclusive bounds for numbers (applied to each element of a list of numbers).
    public var minimum: Double?
    public var maximum: Double?
    /// The only accepted strings (e.g. `method`: "vanilla", "guided", …).
    public var choices: [String]?
    public var doc: String
    /// Collects all remaining positional arguments (`print(x, …)`); at most one per verb. Parameters declared
    /// after it can only be given by keyword (like Python's `def print(*values, sep=" ")`).
    public var variadic: Bool

    public init(_ name: String, _ type: ParameterType, default defaultValue: Value? = nil, min minimum: Double? = nil,
                max maximum: Double? = nil, choices: [String]? = nil, variadic: Bool = false, doc: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.minimum = minimum
        self.maximum = maximum
        self.choices = choices
        self.doc = doc
        self.variadic = variadic
    }

    public var isRequired: Bool { defaultValue == nil && !variadic }

    /// `name`, `name=default` or `name…` as in a signature.
    public var signatureText: String {
        if variadic { return "\(name)…" }
        guard let d = defaultValue else { return name }
        return "\(name)=\(Repr.repr(d))"
    }

    /// "int, 1 ≤ steps ≤ 1000" / `one of "a", "b"`.
    public var constraintText: String {
        var parts = [type.description]
        if let choices { parts.append("one of " + choices.map { Repr.quote($0) }.joined(separator: ", ")) }
        switch (minimum, maximum) {
        case let (lo?, hi?): parts.append("\(Parameter.format(lo)) ≤ \(name) ≤ \(Parameter.format(hi))")
        case let (lo?, nil): parts.append("\(name) ≥ \(Parameter.format(lo))")
        case let (nil, hi?): parts.append("\(name) ≤ \(Parameter.format(hi))")
        default: break
        }
        return parts.joined(separator: ", ")
    }

    static func format(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : Repr.number(d)
    }
}

extension Value: @unchecked Sendable {}

/// What a verb's implementation receives: the checked arguments (defaults filled in) and the context.
public typealias VerbImplementation = (Arguments, VerbContext) throws -> Value

/// A verb of the language, declared once. See `CoreVerbs` for examples.
public struct Verb: @unchecked Sendable {
    public var name: String
    /// Section in the docs ("Basics", "Data and models", "Understanding CNNs", …).
    public var category: String
    /// One line: what it does.
    public var summary: String
    public var parameters: [Parameter]
    /// What it returns ("Image", "none", …) for the signature line.
    public var returns: String
    /// More explanation (may be several paragraphs).
    public var doc: String
    /// A short example cell.
    public var example: String
    public var implementation: VerbImplementation

    public init(_ name: String, category: String, summary: String, parameters: [Parameter] = [], returns: String = "none",
                doc: String = "", example: String, implementation: @escaping VerbImplementation) {
        self.name = name
        self.category = category
        self.summary = summary
        self.parameters = parameters
        self.returns = returns
        self.doc = doc
        self.example = example
        self.implementation = implementation
    }

    /// `saliency(net, img, target=none, method="vanilla") -> Figure`
    public var signature: String {
        "\(name)(" + parameters.map(\.signatureText).joined(separator: ", ") + ") -> \(returns)"
    }

    public func parameter(_ name: String) -> Parameter? { parameters.first { $0.name == name } }

    /// The parameters that can be given by position: those before a variadic one (all, if there is none).
    public var positionalParameters: [Parameter] {
        Array(parameters.prefix { !$0.variadic })
    }

    /// The text `help(verb)`, `?verb` and `inspect` show.
    public var helpText: String {
        var lines = [signature, "", summary]
        if !doc.isEmpty { lines += ["", doc] }
        if !parameters.isEmpty {
            lines += ["", "Parameters:"]
            for p in parameters {
                let req = p.isRequired ? "required" : (p.variadic ? "any number" : "default \(Repr.repr(p.defaultValue ?? .none))")
                lines.append("  \(p.name) (\(p.constraintText); \(req)): \(p.doc)")
            }
        }
        lines += ["", "Example:", "  " + example.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n  ")]
        return lines.joined(separator: "\n")
    }
}
