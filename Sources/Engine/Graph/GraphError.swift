/// A graph that cannot be built or run: unknown value names, cycles, duplicate names, or an op that failed
/// on its inputs. Names the node and its op type when one is to blame.
public struct GraphError: Error, CustomStringConvertible, Sendable {
    public var node: String?
    public var opType: String?
    public var message: String

    public init(node: String? = nil, opType: String? = nil, _ message: String) {
        self.node = node
        self.opType = opType
        self.message = message
    }

    public var description: String {
        guard let node else { return message }
        return "node '\(node)'\(opType.map { " (\($0))" } ?? ""): \(message)"
    }
}
