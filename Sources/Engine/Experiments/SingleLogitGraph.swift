/// A graph reduced to the one logit an attribution scores, when the classifier's last weighted layer is a
/// convolution that reaches the output only through channel-wise ops (ReLU, global pooling, Flatten…): it then
/// computes one output channel instead of all of them (squeezenet's 1×1 classifier convolution, 1000 channels
/// over 13×13, is a third of the network's work). The logit is the same dot products as in the full graph, so
/// scores are unchanged up to float rounding. A Gemm classifier is left whole: its one-column product,
/// computed for a batch of rows, came out different in the last bits for different batch sizes (fashion-cnn),
/// and occlusion must not depend on the batch size.
struct SingleLogitGraph {
    /// The graph with the classifier layer's weights cut to the class's row; its output is `[N, 1]`.
    let graph: Graph

    /// - Parameters:
    ///   - shapes: the shape of every value (from an unreduced forward pass).
    /// - Returns: nil when the output is not reached from a Conv through channel-wise ops only.
    init?(_ graph: Graph, output: String, shapes: [String: [Int]], keeping logit: Int) {
        var consumers: [String: Int] = [:]
        for node in graph.nodes { for v in node.inputs where !v.isEmpty { consumers[v, default: 0] += 1 } }
        var value = output
        while true {
            guard let node = graph.producer(of: value), node.outputs.filter({ !$0.isEmpty }) == [value],
                let input = node.inputs.first, let inShape = shapes[input], let outShape = shapes[value],
                value == output || consumers[value] == 1
            else { return nil }
            switch node.op {
            case is Relu, is LeakyRelu, is Clip, is Sigmoid, is Tanh, is Identity, is Dropout, is GlobalAveragePool:
                value = input
            case is Flatten, is Reshape:
                // [N, C, 1, …] → [N, C]: channel c stays feature c.
                guard outShape.count == 2, inShape.count >= 2, inShape[0] == outShape[0], inShape[1] == outShape[1]
                else { return nil }
                value = input
            case let conv as Conv where conv.group == 1:
                guard let g = Self.replacing(node, in: graph, slicing: [(1, 0), (2, 0)], row: logit, output: output)
                else { return nil }
                self.graph = g
                return
            default:
                return nil
            }
        }
    }

    /// `graph` with `node`'s initializer inputs `(input, axis)` cut to index `row` along `axis`.
    private static func replacing(_ node: Node, in graph: Graph, slicing cuts: [(Int, Int)], row: Int,
                                  output: String) -> Graph? {
        var initializers = graph.initializers
        var replaced = node
        for (input, axis) in cuts where input < node.inputs.count && !node.inputs[input].isEmpty {
            let name = node.inputs[input]
            guard let tensor = graph.initializers[name], axis < tensor.rank, row < tensor.shape[axis],
                let cut = try? tensor.slice(axis: axis, row..<(row + 1))
            else { return nil }
            let newName = "\(name)#logit\(row)"
            initializers[newName] = cut
            replaced.inputs[input] = newName
        }
        let nodes = graph.nodes.map { $0.name == node.name ? replaced : $0 }
        return try? Graph(inputs: graph.inputs, outputs: [output], initializers: initializers,
                          trainable: graph.trainable, nodes: nodes)
    }
}

extension Model {
    /// This model computing only the logit every row explains, with the targets renumbered to 0, for the many
    /// gradients of a logit score (integrated gradients, SmoothGrad): the classifier's forward and backward
    /// shrink to one channel. Unchanged when the rows explain different classes or the graph does not allow it.
    /// - Parameter shapes: the shape of every value (from a forward pass of this model).
    func reduced(toLogitOf targets: [Int], shapes: [String: [Int]]) -> (model: Model, targets: [Int]) {
        guard let t = targets.first, targets.allSatisfy({ $0 == t }),
            let single = SingleLogitGraph(graph, output: output, shapes: shapes, keeping: t)
        else { return (self, targets) }
        var model = self
        model.graph = single.graph
        return (model, Array(repeating: 0, count: targets.count))
    }
}
