/// Reverse-mode differentiation over a recorded `ForwardPass`: nodes run their `backward` in reverse
/// topological order, gradients accumulate per value, and each is freed once its producer has consumed it
/// (unless the caller asked to see it).
struct Backpropagation {
    let pass: ForwardPass
    let rule: ReluBackwardRule

    func run(
        seeds: [String: Tensor], wantInputs: Bool, wantParameters: Bool, capture: [String],
        interruption: Interruption?
    ) throws -> Gradients {
        let graph = pass.graph
        var gradients: [String: Tensor] = [:]
        for (name, gradient) in seeds {
            let value = try graph.valueName(for: name)
            guard let shape = pass.shapes[value] else {
                throw GraphError("cannot seed '\(name)': it was not computed in the forward pass")
            }
            guard shape == gradient.shape else {
                throw GraphError("gradient for '\(name)' has shape \(gradient.shape), value has \(shape)")
            }
            accumulate(&gradients, value, gradient)
        }

        // Values whose gradient the caller wants returned.
        var wanted = Set(try capture.map { try graph.valueName(for: $0) })
        if wantInputs {
            for input in graph.inputs where graph.initializers[input.name] == nil { wanted.insert(input.name) }
        }
        if wantParameters { wanted.formUnion(graph.trainable) }

        // A value needs a gradient if it is wanted or some wanted value lies upstream of it.
        var requires = wanted
        for i in pass.executed {
            let node = graph.nodes[i]
            if node.inputs.contains(where: { requires.contains($0) }) {
                for output in node.outputs where !output.isEmpty { requires.insert(output) }
            }
        }

        let uses = ValueUses(pass)
        let rectifiedConcats = RectifiedConcatBackward.plan(pass, uses, wanted: wanted)
        let rectifiedPools = RectifiedPoolBackward.plan(pass, uses, wanted: wanted)
        for i in pass.executed.reversed() {
            let node = graph.nodes[i]
            let needs = node.inputs.map { !$0.isEmpty && requires.contains($0) }
            if let relus = rectifiedConcats[i], let concat = node.op as? Concat, needs.contains(true),
               let output = node.outputs.first, let gradient = gradients[output] {
                // Split and gated in one pass; the gated pieces skip their Relu nodes, whose outputs then get no
                // gradient (so their own backward does not run).
                try interruption?.check()
                if !wanted.contains(output) { gradients[output] = nil }
                let axis = try Tensor.normalizedAxis(concat.axis, rank: gradient.rank)
                let pieces = try RectifiedConcatBackward.split(
                    gradient, axis: axis, sizes: node.inputs.map { pass.shapes[$0]?[axis] ?? 0 },
                    outputs: relus.map { $0.flatMap { pass.values[graph.nodes[$0].outputs[0]] } },
                    rule: rule, wanted: needs)
                for (k, piece) in pieces.enumerated() {
                    guard let piece else { continue }
                    accumulate(&gradients, relus[k].map { graph.nodes[$0].inputs[0] } ?? node.inputs[k], piece)
                }
                continue
            }
            let flowing = node.outputs.contains { !$0.isEmpty && gradients[$0] != nil }
            if flowing && needs.contains(true) {
                try interruption?.check()
                // Gradients the caller does not want back leave the table here (they would be dropped after this
                // node anyway), so the op holds the only reference and may overwrite them without a copy.
                let handoff = GradientHandoff(node.outputs.map { name -> Tensor? in
                    if name.isEmpty { return nil }
                    return wanted.contains(name) || node.outputs.filter({ $0 == name }).count > 1
                        ? gradients[name] : gradients.removeValue(forKey: name)
                })
                let context = BackwardContext(
                    inputs: node.inputs.map { $0.isEmpty ? nil : pass.values[$0] },
                    outputs: node.outputs.map { pass.values[$0] ?? Tensor.zeros([0]) },
                    handoff: handoff, needsInputGradient: needs, reluRule: rule,
                    inputShapes: node.inputs.map { $0.isEmpty ? nil : pass.shapes[$0] },
                    outputShapes: node.outputs.map { pass.shapes[$0] ?? [0] }, state: pass.states[i])
                var inputGradients: [Tensor?]
                // A pool over a ReLU's output alone hands its gated gradient to the ReLU's input; the Relu node then
                // gets no gradient and is skipped.
                let relu = rectifiedPools[i]
                do {
                    if relu != nil, let pool = node.op as? MaxPool {
                        inputGradients = try pool.backward(context, gate: rule)
                    } else {
                        inputGradients = try node.op.backward(context)
                    }
                } catch {
                    throw GraphError(node: node.name, opType: node.op.opType, "backward: \(error)")
                }
                for (k, input) in node.inputs.enumerated() where needs[k] && k < inputGradients.count {
                    let name = k == 0 ? relu.map { graph.nodes[$0].inputs[0] } ?? input : input
                    guard let g = inputGradients[k].take() else { continue }
                    guard pass.shapes[name] == g.shape else {
                        throw GraphError(
                            node: node.name, opType: node.op.opType,
                            "backward produced shape \(g.shape) for input '\(name)'")
                    }
                    accumulate(&gradients, name, g)
                }
            }
            for output in node.outputs where !wanted.contains(output) { gradients[output] = nil }
        }

        var result: [String: Tensor] = [:]
        for name in wanted {
            if let g = gradients[name] {
                result[name] = g
            } else if let shape = pass.shapes[name] {
                result[name] = Tensor.zeros(shape)
            }
        }
        return Gradients(values: result, graph: graph)
    }

    /// Adds `g` to the gradient gathered for `name` so far, in whichever of the two tensors nobody else holds
    /// (a seed the caller still owns, say), so the sum needs no copy; a + b equals b + a bit for bit.
    private func accumulate(_ gradients: inout [String: Tensor], _ name: String, _ g: consuming Tensor) {
        guard var sum = gradients.removeValue(forKey: name) else {
            gradients[name] = g
            return
        }
        var other = g
        if !sum.isUniquelyReferenced() && other.isUniquelyReferenced() { swap(&sum, &other) }
        precondition(sum.shape == other.shape, "gradients of \(name): \(sum.shape) and \(other.shape)")
        // Split between the cores: at batch 1 a fire module's squeeze output gathers two gradients of a few MB.
        other.withUnsafeBufferPointer { b in
            sum.withUnsafeMutableBufferPointer { a in
                guard let pa = a.baseAddress, let pb = b.baseAddress else { return }
                BatchParallel.split(a.count, grain: elementwiseGrain) { range in
                    for i in range { pa[i] += pb[i] }
                }
            }
        }
        gradients[name] = sum
    }
}
