/// A model split at its first layer when that layer is a convolution the input reaches nothing else through:
/// the stem (input → the convolution's output) is affine, so along a straight path x₀ + α(x − x₀) its output is
/// c₀ + α(c₁ − c₀) with c₀, c₁ the stem's outputs at the two ends, and the input gradient of any point is the
/// stem's transposed weights applied to the gradient arriving at its output. Integrated gradients then evaluates
/// the stem twice and back-propagates through it once, where evaluating every path point through the whole
/// model costs a forward and a backward pass of the stem per point (squeezenet's first convolution, a K = 27
/// GEMM over 111×111 outputs and its stride-2 col2im, is about a seventh of a point's work).
/// Exact in real arithmetic; in float32 the interpolated activations round differently from convolving the
/// interpolated input, by the usual few units in the last place.
struct AffineStem {
    /// Input → the convolution's output (one node).
    let stem: Model
    /// The convolution's output → the model's output: every other node.
    let rest: Model

    /// nil unless the model input feeds exactly one node, a convolution whose weights and bias are constants.
    init?(_ model: Model) {
        let graph = model.graph
        let consumers = graph.nodes.filter { $0.inputs.contains(model.input) }
        guard consumers.count == 1, let conv = consumers.first, conv.op is Conv, conv.inputs.first == model.input,
            conv.inputs.dropFirst().allSatisfy({ $0.isEmpty || graph.initializers[$0] != nil }),
            let stemOutput = conv.outputs.first, conv.outputs.count == 1, !graph.outputs.contains(model.input),
            let declared = graph.inputs.first(where: { $0.name == model.input })
        else { return nil }
        let parameters = Set(conv.inputs.dropFirst())
        guard
            let stemGraph = try? Graph(
                inputs: [declared], outputs: [stemOutput],
                initializers: graph.initializers.filter { parameters.contains($0.key) }, nodes: [conv]),
            let restGraph = try? Graph(
                inputs: [.init(name: stemOutput, shape: Array(repeating: nil, count: declared.shape.count))],
                outputs: graph.outputs, initializers: graph.initializers, trainable: graph.trainable,
                nodes: graph.nodes.filter { $0.name != conv.name })
        else { return nil }
        var stem = model
        stem.graph = stemGraph
        stem.output = stemOutput
        var rest = model
        rest.graph = restGraph
        rest.input = stemOutput
        (self.stem, self.rest) = (stem, rest)
    }

    /// The stem's output for a batch.
    func forward(_ input: Tensor, interruption: Interruption?) throws -> Tensor {
        let values = try stem.graph.run([stem.input: input], fetch: [stem.output], interruption: interruption)
        guard let out = values[stem.output] else { throw GraphError("the stem computed no output") }
        return out
    }

    /// The input gradient for a gradient `arriving` at the stem's output (`input` only gives the shapes: the
    /// stem is linear in its input, so its transposed Jacobian does not depend on where it is taken).
    func inputGradient(_ arriving: Tensor, at input: Tensor, interruption: Interruption?) throws -> Tensor {
        let pass = try stem.graph.forward([stem.input: input], interruption: interruption)
        let gradients = try pass.backward(seeds: [stem.output: arriving], interruption: interruption)
        guard let g = gradients[stem.input] else { throw GraphError("no gradient reached the input") }
        return g
    }
}
