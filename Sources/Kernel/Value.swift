import Foundation
import Protocol

/// A value of the Fovea language. Plain data has its own cases; everything the engine makes (images,
/// tensors, models, datasets, figures, predictions, embeddings…) is an `object` conforming to `FoveaObject`,
/// so new kinds of value need no change here.
public enum Value {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    /// Keys are strings; insertion order is kept (and shown), as in Python.
    case dict(OrderedDict)
    case object(any FoveaObject)

    /// The name users see in messages: `int`, `float`, `string`, `list`, `Image`, `Tensor`, …
    public var typeName: String {
        switch self {
        case .none: return "none"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "string"
        case .list: return "list"
        case .dict: return "dict"
        case .object(let o): return o.typeName
        }
    }

    /// The number, if this is one (ints widen to Double; bools are not numbers here).
    public var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    public var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    /// The wrapped engine value of type `T`, if this is one.
    public func object<T>(as type: T.Type) -> T? {
        if case .object(let o) = self { return o as? T }
        return nil
    }
}

/// A string-keyed dictionary that remembers insertion order.
public struct OrderedDict: Sequence {
    public private(set) var keys: [String] = []
    private var storage: [String: Value] = [:]

    public init() {}
    public init(_ pairs: [(String, Value)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public var count: Int { keys.count }

    public subscript(key: String) -> Value? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public func makeIterator() -> AnyIterator<(key: String, value: Value)> {
        var i = 0
        return AnyIterator {
            guard i < keys.count else { return nil }
            defer { i += 1 }
            return (keys[i], storage[keys[i]] ?? .none)
        }
    }
}

/// An engine value living in the language. Conform a small wrapper (or the engine type itself, in the
/// Kernel module) to make it a `Value.object`: it then prints, displays, completes attributes and can opt
/// into indexing, arithmetic and layer-name completion.
public protocol FoveaObject {
    /// Shown in messages and `inspect`: `Image`, `Tensor`, `Model`, …
    var typeName: String { get }
    /// One-line (or short) plain-text form: the `text/plain` of its display and what `print` writes.
    var plainText: String { get }
    /// Attribute names for completion and for "has no attribute" messages.
    var attributeNames: [String] { get }
    /// The value of `x.name`, or nil when there is no such attribute (the evaluator then reports it).
    func attribute(_ name: String) throws -> Value?
    /// The MIME bundle shown when the value is a cell's result or passed to `show`.
    /// Default: `text/plain` only. Images add `image/png`, tables `text/html`, plots `image/svg+xml`.
    func mimeBundle() throws -> MimeBundle
    /// `x[i]` / `x[a:b]`; nil means "not indexable" (the evaluator reports a TypeError).
    func subscriptValue(_ index: Value) throws -> Value?
    /// Number of elements for `len` and slicing, if the value is a collection.
    var count: Int? { get }
    /// `self op other` (or `other op self` when `reversed`); nil means unsupported (TypeError).
    func binary(_ op: String, _ other: Value, reversed: Bool) throws -> Value?
    /// `-self`; nil means unsupported.
    func negated() throws -> Value?
    /// The layer names of a model, for `layer=` checking and completion; nil for non-models.
    var layerNames: [String]? { get }
    /// File extensions (lower case, no dot) `save(value, path)` can write: `png`, `npy`, `onnx`…
    var saveFormats: [String] { get }
    /// Writes the value to `url` in `format` (one of `saveFormats`), atomically where possible.
    func save(to url: URL, format: String) throws
}

extension FoveaObject {
    public var attributeNames: [String] { [] }
    public func attribute(_ name: String) throws -> Value? { nil }
    public func mimeBundle() throws -> MimeBundle { MimeBundle(data: ["text/plain": .string(plainText)]) }
    public func subscriptValue(_ index: Value) throws -> Value? { nil }
    public var count: Int? { nil }
    public func binary(_ op: String, _ other: Value, reversed: Bool) throws -> Value? { nil }
    public func negated() throws -> Value? { nil }
    public var layerNames: [String]? { nil }
    public var saveFormats: [String] { [] }
    public func save(to url: URL, format: String) throws {
        throw FoveaError(.value, "\(typeName) values can't be saved as .\(format)")
    }
}
