/// Backpropagation through a MaxPool whose input is a ReLU output that nothing else reads (the first pool of
/// SqueezeNet, AlexNet, VGG): each plane's gradient is scattered and then gated by the ReLU's backward rule while
/// it is in cache, and goes straight to the ReLU's input. Scattered, then gated by the ReLU, it made a second pass
/// over the whole map (SqueezeNet's 64 × 111 × 111: ≈ 0.1 ms of a saliency cell). The same numbers: the gate sees
/// the same sums.
enum RectifiedPoolBackward {
    /// MaxPool node index → the index of the Relu node that produced its input, when that Relu's output is read by
    /// this pool alone and its gradient is not asked for (`wanted`).
    static func plan(_ pass: ForwardPass, _ uses: ValueUses, wanted: Set<String>) -> [Int: Int] {
        let graph = pass.graph
        var plans: [Int: Int] = [:]
        for i in pass.executed where graph.nodes[i].op is MaxPool {
            guard let input = graph.nodes[i].inputs.first, let relu = uses.rectifier(of: input, wanted: wanted)
            else { continue }
            plans[i] = relu
        }
        return plans
    }
}

/// Who produces and how many nodes read each value of a forward pass: what the backward fusions
/// (`RectifiedConcatBackward`, `RectifiedPoolBackward`) check before skipping a ReLU.
struct ValueUses {
    let pass: ForwardPass
    private(set) var producer: [String: Int] = [:]
    private(set) var readers: [String: Int] = [:]

    init(_ pass: ForwardPass) {
        self.pass = pass
        for i in pass.executed {
            for output in pass.graph.nodes[i].outputs where !output.isEmpty { producer[output] = i }
            for input in pass.graph.nodes[i].inputs where !input.isEmpty { readers[input, default: 0] += 1 }
        }
    }

    /// The Relu node that produced `value`, when one node alone reads it, its gradient is not `wanted`, and its
    /// forward value was kept (the gate reads it).
    func rectifier(of value: String, wanted: Set<String>) -> Int? {
        let graph = pass.graph
        guard !value.isEmpty, readers[value] == 1, !wanted.contains(value), let p = producer[value],
              graph.nodes[p].op is Relu, graph.nodes[p].outputs == [value], graph.nodes[p].inputs.count == 1,
              pass.values[value] != nil
        else { return nil }
        return p
    }
}
