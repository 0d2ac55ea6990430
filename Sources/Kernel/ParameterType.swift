/// The type of a verb parameter. It checks (and lightly converts) an argument before the verb runs, names
/// the expected type in messages and docs, and tells completion what to offer.
public indirect enum ParameterType: Sendable, Equatable {
    case any
    /// An int or float (ints are converted to float).
    case number
    case integer
    case string
    case bool
    /// A file path (a string); completion offers files relative to the kernel's working directory.
    case path
    /// A layer name of the model passed in parameter `model` (checked against `FoveaObject.layerNames`,
    /// completed inside `layer="…`).
    case layer(model: String)
    case list(of: ParameterType)
    case dict(of: ParameterType)
    /// An engine value whose `typeName` is this (`Image`, `Tensor`, `Model`, `Dataset`, …).
    case object(String)
    /// Any one of these.
    case oneOf([ParameterType])

    /// How the type reads in messages and docs: `int`, `number`, `list of Image`, `Image or Tensor`.
    public var description: String {
        switch self {
        case .any: return "any value"
        case .number: return "number"
        case .integer: return "int"
        case .string: return "string"
        case .bool: return "bool"
        case .path: return "path"
        case .layer: return "layer name"
        case .list(let t): return t == .any ? "list" : "list of \(t.description)"
        case .dict(let t): return t == .any ? "dict" : "dict of \(t.description)"
        case .object(let name): return name
        case .oneOf(let types): return types.map(\.description).joined(separator: " or ")
        }
    }

    /// The argument converted to this type's canonical form, or nil if it doesn't fit.
    public func accept(_ value: Value) -> Value? {
        switch (self, value) {
        case (.any, _): return value
        case (.number, .int(let i)): return .double(Double(i))
        case (.number, .double): return value
        case (.integer, .int): return value
        case (.integer, .double(let d)):
            // 3.0 is accepted where an int is expected; 3.5 is not.
            if d.rounded() == d, abs(d) < 9.0e15 { return .int(Int(d)) }
            return nil
        case (.string, .string), (.path, .string), (.layer, .string), (.bool, .bool): return value
        case (.list(let t), .list(let items)):
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for item in items {
                guard let v = t.accept(item) else { return nil }
                out.append(v)
            }
            return .list(out)
        case (.dict(let t), .dict(let d)):
            var out = OrderedDict()
            for (k, v) in d {
                guard let v = t.accept(v) else { return nil }
                out[k] = v
            }
            return .dict(out)
        case (.object(let name), .object(let o)):
            return o.typeName == name ? value : nil
        case (.oneOf(let types), _):
            for t in types { if let v = t.accept(value) { return v } }
            return nil
        default:
            return nil
        }
    }

    /// True when completion inside a string argument of this type should offer file paths.
    var completesPaths: Bool {
        switch self {
        case .path: return true
        case .oneOf(let ts): return ts.contains { $0.completesPaths }
        default: return false
        }
    }

    /// The model parameter whose layers this type names, if it is (or includes) a layer type.
    var layerModelParameter: String? {
        switch self {
        case .layer(let model): return model
        case .list(let t): return t.layerModelParameter
        case .oneOf(let ts): return ts.lazy.compactMap(\.layerModelParameter).first
        default: return nil
        }
    }
}
