import Foundation

/// Typed, checked access to one ONNX node's attributes and inputs during import.
///
/// Each operator translation declares the attributes it understands (`expectOnly`); an attribute it does
/// not know is an error naming the node, rather than being silently ignored and giving wrong numbers.
/// Errors thrown here carry the node's name and op type.
struct ONNXNodeReader {
    let node: Onnx_NodeProto
    /// The opset of the default ("" / "ai.onnx") domain the model imports.
    let opset: Int
    private let attributes: [String: Onnx_AttributeProto]

    init(_ node: Onnx_NodeProto, opset: Int) {
        self.node = node
        self.opset = opset
        var byName: [String: Onnx_AttributeProto] = [:]
        for a in node.attribute { byName[a.name] = a }
        attributes = byName
    }

    /// The name used in messages: the node's name, else its first output.
    var displayName: String { node.name.isEmpty ? (node.output.first ?? "?") : node.name }

    func error(_ kind: ModelError.Kind, _ message: String) -> ModelError {
        ModelError(kind, message, node: displayName, opType: node.opType)
    }

    /// Throws `unsupported` if the node has an attribute outside `known`, listing what is supported.
    func expectOnly(_ known: Set<String>) throws {
        for name in node.attribute.map(\.name) where !known.contains(name) {
            let list = known.isEmpty ? "none" : known.sorted().joined(separator: ", ")
            throw error(.unsupported, "attribute '\(name)' is not supported (supported attributes: \(list))")
        }
    }

    func has(_ name: String) -> Bool { attributes[name] != nil }

    func int(_ name: String) throws -> Int? {
        guard let a = attributes[name] else { return nil }
        guard a.type == .int || (a.type == .undefined && a.hasI) else {
            throw error(.invalid, "attribute '\(name)' should be an integer")
        }
        guard let v = Int(exactly: a.i) else { throw error(.invalid, "attribute '\(name)' is out of range") }
        return v
    }

    func int(_ name: String, default value: Int) throws -> Int { try int(name) ?? value }

    func float(_ name: String) throws -> Float? {
        guard let a = attributes[name] else { return nil }
        if a.type == .float || a.hasF { return a.f }
        if a.type == .int || a.hasI { return Float(a.i) }
        throw error(.invalid, "attribute '\(name)' should be a float")
    }

    func float(_ name: String, default value: Float) throws -> Float { try float(name) ?? value }

    func ints(_ name: String) throws -> [Int]? {
        guard let a = attributes[name] else { return nil }
        guard a.type == .ints || a.type == .undefined else {
            throw error(.invalid, "attribute '\(name)' should be a list of integers")
        }
        return try a.ints.map {
            guard let v = Int(exactly: $0) else { throw error(.invalid, "attribute '\(name)' is out of range") }
            return v
        }
    }

    func floats(_ name: String) throws -> [Float]? {
        guard let a = attributes[name] else { return nil }
        guard a.type == .floats || a.type == .undefined else {
            throw error(.invalid, "attribute '\(name)' should be a list of floats")
        }
        return a.floats
    }

    func string(_ name: String) throws -> String? {
        guard let a = attributes[name] else { return nil }
        guard a.type == .string || a.type == .undefined else {
            throw error(.invalid, "attribute '\(name)' should be a string")
        }
        return String(decoding: a.s, as: UTF8.self)
    }

    func tensor(_ name: String) throws -> Tensor? {
        guard let a = attributes[name] else { return nil }
        guard a.type == .tensor || a.hasT else { throw error(.invalid, "attribute '\(name)' should be a tensor") }
        do { return try ONNXTensorCoding.decode(a.t) } catch let e as ModelError {
            throw error(e.kind, "attribute '\(name)': \(e.message)")
        }
    }

    /// Input names with trailing empty (absent) optional inputs removed.
    var inputs: [String] {
        var names = node.input
        while names.last == "" { names.removeLast() }
        return names
    }

    /// Checks the number of (present, trailing-trimmed) inputs.
    func expectInputs(_ range: ClosedRange<Int>) throws {
        guard range.contains(inputs.count) else {
            let want = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)–\(range.upperBound)"
            throw error(.invalid, "has \(inputs.count) inputs, expected \(want)")
        }
    }
}
