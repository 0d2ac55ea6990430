/// The result of `Graph.forward`: every value computed, ready for any number of backward passes
/// (e.g. one per class for Grad-CAM, or with different ReLU rules).
public struct ForwardPass: Sendable {
    /// The graph as it was run (its initializers are the parameters used).
    public let graph: Graph
    /// Node indices executed, in order.
    let executed: [Int]
    /// Values kept: inputs, initializers and node outputs (all of them unless `forward(capture:)` pruned).
    public let values: [String: Tensor]
    /// Shapes of every value computed, kept or not.
    public let shapes: [String: [Int]]
    /// By node index: what an op's `forwardRecordingState` kept for its backward pass.
    let states: [Int: any Sendable]

    init(graph: Graph, executed: [Int], values: [String: Tensor], shapes: [String: [Int]],
         states: [Int: any Sendable] = [:]) {
        self.graph = graph
        self.executed = executed
        self.values = values
        self.shapes = shapes
        self.states = states
    }

    /// The value (or node's first output) called `name`.
    public subscript(_ name: String) -> Tensor? {
        guard let value = try? graph.valueName(for: name) else { return nil }
        return values[value]
    }

    /// The graph outputs in order.
    public var outputs: [Tensor] { graph.outputs.compactMap { values[$0] } }

    /// Back-propagates from `seeds` (value or node name → gradient of the objective with respect to it,
    /// same shape as the value), i.e. injects gradients at arbitrary nodes.
    ///
    /// - Parameters:
    ///   - rule: the backward rule for every rectifier (`Relu`, `Clip` with min 0).
    ///   - inputs: return gradients with respect to the graph inputs.
    ///   - parameters: return gradients with respect to trainable initializers (zeros if unreached).
    ///   - capture: further values (or node names) whose arriving gradient to return (Grad-CAM).
    /// - Returns: gradients by value name. Only work needed for the requested gradients is done
    ///   (no weight gradients for saliency).
    public func backward(
        seeds: [String: Tensor], rule: ReluBackwardRule = .plain, inputs: Bool = true,
        parameters: Bool = false, capture: [String] = [],
        interruption: Interruption? = nil
    ) throws -> Gradients {
        try Backpropagation(pass: self, rule: rule).run(
            seeds: seeds, wantInputs: inputs, wantParameters: parameters, capture: capture,
            interruption: interruption)
    }

    /// Seeds the gradient of `output` (default: the first graph output) with `gradient`: a convenience for
    /// the common "d(score)/d(input)" case.
    public func backward(
        from output: String? = nil, gradient: Tensor, rule: ReluBackwardRule = .plain,
        inputs: Bool = true, parameters: Bool = false, capture: [String] = []
    ) throws -> Gradients {
        guard let name = output ?? graph.outputs.first else { throw GraphError("graph has no outputs") }
        return try backward(
            seeds: [name: gradient], rule: rule, inputs: inputs, parameters: parameters,
            capture: capture)
    }
}

/// Gradients from one backward pass, by value name.
public struct Gradients: Sendable {
    public internal(set) var values: [String: Tensor]
    let graph: Graph

    /// Gradient arriving at the value (or node's first output) called `name`.
    public subscript(_ name: String) -> Tensor? {
        guard let value = try? graph.valueName(for: name) else { return nil }
        return values[value]
    }

    /// Gradients for the trainable initializers.
    public var parameters: [String: Tensor] { values.filter { graph.trainable.contains($0.key) } }
}
