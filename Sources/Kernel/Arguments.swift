/// The arguments of one call after checking: every declared parameter has a value (its default if not
/// given), converted to the parameter's type. Accessors throw a TypeError naming the parameter if a verb
/// asks for the wrong type (a bug in the verb, never a crash).
public struct Arguments {
    public let verbName: String
    public private(set) var values: [String: Value]
    /// Where each given argument was written, for errors about its value raised inside the verb.
    public private(set) var spans: [String: SourceSpan]
    /// The arguments collected by a variadic parameter.
    public private(set) var rest: [Value]

    public init(verbName: String, values: [String: Value], spans: [String: SourceSpan] = [:], rest: [Value] = []) {
        self.verbName = verbName
        self.values = values
        self.spans = spans
        self.rest = rest
    }

    public subscript(_ name: String) -> Value { values[name] ?? .none }

    /// True when the argument is absent or `none` (for parameters defaulting to `none`).
    public func isNone(_ name: String) -> Bool { self[name].isNone }

    private func mismatch(_ name: String, _ expected: String) -> FoveaError {
        FoveaError(.type, "\(verbName)(): \(name) must be \(expected), not \(self[name].typeName)", at: spans[name])
    }

    public func int(_ name: String) throws -> Int {
        switch self[name] {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e15: return Int(d)
        default: throw mismatch(name, "an int")
        }
    }

    public func double(_ name: String) throws -> Double {
        guard let d = self[name].number else { throw mismatch(name, "a number") }
        return d
    }

    public func string(_ name: String) throws -> String {
        guard case .string(let s) = self[name] else { throw mismatch(name, "a string") }
        return s
    }

    public func bool(_ name: String) throws -> Bool {
        guard case .bool(let b) = self[name] else { throw mismatch(name, "a bool") }
        return b
    }

    public func list(_ name: String) throws -> [Value] {
        guard case .list(let l) = self[name] else { throw mismatch(name, "a list") }
        return l
    }

    /// The engine value wrapped in argument `name`, as `T`.
    public func object<T>(_ name: String, as type: T.Type) throws -> T {
        guard let o = self[name].object(as: T.self) else { throw mismatch(name, "a \(T.self)") }
        return o
    }

    public func optionalInt(_ name: String) throws -> Int? { isNone(name) ? nil : try int(name) }
    public func optionalDouble(_ name: String) throws -> Double? { isNone(name) ? nil : try double(name) }
    public func optionalString(_ name: String) throws -> String? { isNone(name) ? nil : try string(name) }

    /// A ValueError about argument `name`, pointing at it in the cell.
    public func error(_ name: String, _ message: String, kind: ErrorKind = .value) -> FoveaError {
        FoveaError(kind, message, at: spans[name])
    }
}
