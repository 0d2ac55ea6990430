/// One operation in a `Graph`: an operator applied to named values, producing named values.
public struct Node: Sendable {
    /// Unique within the graph; the layer name users see (`features.3.expand1x1`, `conv1`).
    public var name: String
    public var op: any Operator
    /// Names of input values in the op's order; `""` marks an absent optional input (as in ONNX).
    public var inputs: [String]
    /// Names of output values; usually one.
    public var outputs: [String]

    public init(name: String, op: any Operator, inputs: [String], outputs: [String]) {
        self.name = name
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
    }
}
