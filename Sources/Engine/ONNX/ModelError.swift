/// A model file that cannot be imported or a model that cannot be exported.
///
/// The language shows it as a `ModelError` (the kernel maps error types by name). The description is one
/// line: it names the file, and the node and operator when one is to blame, and says what is supported,
/// so a user can tell "this file is broken" from "Fovea does not implement this yet".
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The file is missing or unreadable.
        case unreadable
        /// The bytes are not an ONNX model: not protobuf, truncated, or no graph.
        case notONNX
        /// A valid model using an operator, attribute, data type or opset Fovea does not implement.
        case unsupported
        /// A valid-looking model that is inconsistent: unknown value names, wrong input counts, bad shapes.
        case invalid
    }

    public var kind: Kind
    public var message: String
    /// The ONNX node's name (or its first output when unnamed), when one node is to blame.
    public var node: String?
    /// The ONNX operator type of that node.
    public var opType: String?
    /// The file being read or written, when known.
    public var file: String?

    public init(_ kind: Kind, _ message: String, node: String? = nil, opType: String? = nil, file: String? = nil) {
        self.kind = kind
        self.message = message
        self.node = node
        self.opType = opType
        self.file = file
    }

    /// `file: node 'name' (Op): message`, on one line.
    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let node { parts.append("node '\(node)' (\(opType ?? "?"))") }
        parts.append(message)
        return parts.joined(separator: ": ").split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// The same error, naming `file` unless it already names one.
    func inFile(_ file: String) -> ModelError {
        var copy = self
        if copy.file == nil { copy.file = file }
        return copy
    }
}
