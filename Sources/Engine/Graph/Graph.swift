/// A DAG of named nodes over named values: what ONNX import produces and what built-in models are written as.
///
/// Values are named strings: graph inputs (fed at run time), initializers (constant tensors: weights,
/// biases, shape constants) and node outputs. `trainable` marks the initializers that are parameters
/// (they receive gradients in `ForwardPass.backward(parameters: true)`).
///
/// Build node by node:
/// ```
/// var g = Graph(inputs: [.init(name: "x", shape: [nil, 1, 28, 28])])
/// g.addInitializer("conv1.weight", w, trainable: true)
/// try g.addNode("conv1", Conv(pads: [1, 1, 1, 1]), inputs: ["x", "conv1.weight", "conv1.bias"])
/// try g.addNode("relu1", Relu(), inputs: ["conv1"])
/// g.outputs = ["relu1"]
/// ```
/// A node's output defaults to a value with the node's own name, so node names double as tap names.
public struct Graph: Sendable {
    /// A value fed at run time. `nil` extents are dynamic (typically the batch axis).
    public struct Input: Sendable, Equatable {
        public var name: String
        public var shape: [Int?]
        public init(name: String, shape: [Int?]) {
            self.name = name
            self.shape = shape
        }
    }

    public var inputs: [Input]
    /// Names of the values the graph produces (e.g. logits).
    public var outputs: [String]
    /// Constant tensors by value name.
    public var initializers: [String: Tensor]
    /// Initializer names that are parameters (receive gradients when training).
    public var trainable: Set<String>
    /// Nodes in insertion order (ONNX guarantees topological order; `topologicalOrder()` checks).
    public private(set) var nodes: [Node]
    private var nodeIndexByName: [String: Int] = [:]
    private var producerByValue: [String: Int] = [:]

    public init(
        inputs: [Input] = [], outputs: [String] = [], initializers: [String: Tensor] = [:],
        trainable: Set<String> = [], nodes: [Node] = []
    ) throws {
        self.inputs = inputs
        self.outputs = outputs
        self.initializers = initializers
        self.trainable = trainable
        self.nodes = []
        for node in nodes { try add(node) }
    }

    /// Adds a constant (or, with `trainable`, a parameter).
    public mutating func addInitializer(_ name: String, _ value: Tensor, trainable isTrainable: Bool = false) {
        initializers[name] = value
        if isTrainable { trainable.insert(name) } else { trainable.remove(name) }
    }

    /// Appends a node. `outputs` defaults to one value named like the node. Throws on a duplicate node name
    /// or a value produced twice. Inputs may refer to values defined later (checked by `validate()`).
    @discardableResult
    public mutating func addNode(
        _ name: String, _ op: any Operator, inputs: [String],
        outputs: [String]? = nil
    ) throws -> Node {
        let node = Node(name: name, op: op, inputs: inputs, outputs: outputs ?? [name])
        try add(node)
        return node
    }

    /// Appends a prepared node (see `addNode`).
    public mutating func add(_ node: Node) throws {
        guard nodeIndexByName[node.name] == nil else {
            throw GraphError(node: node.name, opType: node.op.opType, "duplicate node name")
        }
        for output in node.outputs where !output.isEmpty {
            if producerByValue[output] != nil || initializers[output] != nil
                || inputs.contains(where: { $0.name == output })
            {
                throw GraphError(node: node.name, opType: node.op.opType, "value '\(output)' is already defined")
            }
        }
        let index = nodes.count
        nodes.append(node)
        nodeIndexByName[node.name] = index
        for output in node.outputs where !output.isEmpty { producerByValue[output] = index }
    }

    /// Replaces the operator of an existing node (e.g. to change attributes); keeps its wiring.
    public mutating func replaceOperator(ofNode name: String, with op: any Operator) throws {
        guard let i = nodeIndexByName[name] else { throw GraphError("no node named '\(name)'") }
        nodes[i].op = op
    }

    /// The node called `name`.
    public func node(named name: String) -> Node? { nodeIndexByName[name].map { nodes[$0] } }

    /// The node whose outputs include `value`.
    public func producer(of value: String) -> Node? { producerByValue[value].map { nodes[$0] } }

    func producerIndex(of value: String) -> Int? { producerByValue[value] }
    func nodeIndex(named name: String) -> Int? { nodeIndexByName[name] }

    /// Whether `name` is a graph input, initializer or node output.
    public func hasValue(_ name: String) -> Bool {
        producerByValue[name] != nil || initializers[name] != nil || inputs.contains { $0.name == name }
    }

    /// Resolves a tap name: a value name is taken as is; a node name means that node's first output.
    public func valueName(for name: String) throws -> String {
        if hasValue(name) { return name }
        if let i = nodeIndexByName[name], let first = nodes[i].outputs.first { return first }
        throw GraphError("no node or value named '\(name)'")
    }

    /// Node indices in an order where every node follows the producers of its inputs. Throws on a cycle or
    /// an input that nothing defines.
    public func topologicalOrder() throws -> [Int] {
        var state = [UInt8](repeating: 0, count: nodes.count)  // 0 new, 1 visiting, 2 done
        var order: [Int] = []
        order.reserveCapacity(nodes.count)
        let inputNames = Set(inputs.map(\.name))
        for start in nodes.indices where state[start] == 0 {
            // Iterative DFS: (node, next input position).
            var stack: [(Int, Int)] = [(start, 0)]
            state[start] = 1
            while let (index, position) = stack.last {
                let node = nodes[index]
                if position < node.inputs.count {
                    stack[stack.count - 1].1 += 1
                    let value = node.inputs[position]
                    if value.isEmpty || initializers[value] != nil || inputNames.contains(value) { continue }
                    guard let producer = producerByValue[value] else {
                        throw GraphError(node: node.name, opType: node.op.opType, "input '\(value)' is not defined")
                    }
                    if state[producer] == 1 {
                        throw GraphError(node: node.name, opType: node.op.opType, "cycle through '\(value)'")
                    }
                    if state[producer] == 0 {
                        state[producer] = 1
                        stack.append((producer, 0))
                    }
                } else {
                    state[index] = 2
                    order.append(index)
                    stack.removeLast()
                }
            }
        }
        return order
    }

    /// Checks that names resolve, there is no cycle, and outputs exist.
    public func validate() throws {
        _ = try topologicalOrder()
        for output in outputs where !hasValue(output) { throw GraphError("graph output '\(output)' is not defined") }
    }

    /// The nodes (topologically ordered) needed to compute `targets` from inputs and initializers.
    func nodesNeeded(for targets: [String]) throws -> [Int] {
        let order = try topologicalOrder()
        var needed = Set<Int>()
        var stack = targets.compactMap { producerByValue[$0] }
        while let i = stack.popLast() {
            guard needed.insert(i).inserted else { continue }
            for value in nodes[i].inputs { if let p = producerByValue[value] { stack.append(p) } }
        }
        return order.filter { needed.contains($0) }
    }
}
