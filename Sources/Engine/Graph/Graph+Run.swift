extension Graph {
    /// Inference-only forward pass: computes `fetch` (default: the graph outputs) plus any `capture`d values,
    /// running only the nodes they depend on ("run up to" a layer = fetch that layer). Every other
    /// intermediate is released as soon as its last consumer has run, so peak memory stays low.
    /// Tap names may be value names or node names. Polls `interruption` between nodes.
    public func run(
        _ feeds: [String: Tensor], fetch: [String]? = nil, capture: [String] = [],
        interruption: Interruption? = nil
    ) throws -> [String: Tensor] {
        let wanted = try ((fetch ?? outputs) + capture).map { try valueName(for: $0) }
        let keep = Set(wanted)
        let order = try nodesNeeded(for: wanted)
        var remainingUses: [String: Int] = [:]
        for i in order { for v in nodes[i].inputs where !v.isEmpty { remainingUses[v, default: 0] += 1 } }
        var values = try startingValues(feeds)
        var result: [String: Tensor] = [:]
        for name in keep { if let v = values[name] { result[name] = v } }
        let fused = rectifiedConvolutions(in: order, keeping: keep)
        let fusedRelus = Set(fused.values)
        for i in order {
            try interruption?.check()
            let node = nodes[i]
            // A fused Relu's output came with its convolution's; a fused convolution's output is the Relu's.
            let outputsOfNode = fusedRelus.contains(i) ? [] : try execute(node, values: values, rectified: fused[i] != nil)
            let named = fused[i].map { nodes[$0].outputs } ?? node.outputs
            for (name, tensor) in zip(named, outputsOfNode) where !name.isEmpty {
                if keep.contains(name) { result[name] = tensor }
                if remainingUses[name, default: 0] > 0 { values[name] = tensor }
            }
            for v in node.inputs where !v.isEmpty {
                remainingUses[v, default: 0] -= 1
                if remainingUses[v] == 0 && initializers[v] == nil { values[v] = nil }
            }
        }
        for name in keep where result[name] == nil {
            throw GraphError("value '\(name)' was not computed")
        }
        return result
    }

    /// Forward pass recorded for later `backward` calls. Computes the graph outputs (or only what `fetch`
    /// needs: pass a layer name to stop there).
    ///
    /// - Parameter capture: `nil` keeps every intermediate value (all readable through the pass). A list
    ///   keeps only those values, the fetched ones, and what the ops' backward passes read
    ///   (`backwardReadsInput`/`backwardReadsOutputs`), e.g. a ReLU's output but not its input: lower peak
    ///   memory. Gradients can still be captured at any value.
    /// - Parameter gradientsFrom: when the backward pass will want gradients only at these values (Grad-CAM's
    ///   layer), only the nodes downstream of them record what their backward reads; the rest run as plain
    ///   forwards (a max pool without its picks). A backward asking for more (the input's gradient) then fails
    ///   with an error naming the missing value. `nil`: every node records.
    public func forward(
        _ feeds: [String: Tensor], fetch: [String]? = nil, capture: [String]? = nil,
        gradientsFrom: [String]? = nil, interruption: Interruption? = nil
    ) throws -> ForwardPass {
        let wanted = try (fetch ?? outputs).map { try valueName(for: $0) }
        let order = try nodesNeeded(for: wanted)
        var values = try startingValues(feeds)
        var shapes: [String: [Int]] = values.mapValues(\.shape)
        let recording = try gradientsFrom.map { try nodesDownstream(of: $0, in: order) }
        // Values to keep after their last forward use (nil: keep all).
        var retained: Set<String>?
        var remainingUses: [String: Int] = [:]
        if let capture {
            var keep = Set(wanted).union(try capture.map { try valueName(for: $0) })
            for i in order {
                let node = nodes[i]
                let records = recording?.contains(i) ?? true
                for (k, v) in node.inputs.enumerated() where !v.isEmpty {
                    remainingUses[v, default: 0] += 1
                    if records && node.op.backwardReadsInput(k) { keep.insert(v) }
                }
                if records && node.op.backwardReadsOutputs { keep.formUnion(node.outputs) }
            }
            retained = keep
        }
        var states: [Int: any Sendable] = [:]
        // Only when values are pruned: a pass keeping everything keeps each convolution's unrectified output too.
        let fused = retained.map { rectifiedConvolutions(in: order, keeping: $0) } ?? [:]
        let fusedRelus = Set(fused.values)
        for i in order {
            try interruption?.check()
            let node = nodes[i]
            var named = node.outputs
            var outputsOfNode: [Tensor] = []
            if let relu = fused[i] {
                // The convolution's output is the Relu's; its own shape is still recorded for the backward pass.
                outputsOfNode = try execute(node, values: values, rectified: true)
                named = nodes[relu].outputs
                shapes[node.outputs[0]] = outputsOfNode.first?.shape
            } else if !fusedRelus.contains(i) {
                let (results, state) = try execute(node, values: values, recordingState: recording?.contains(i) ?? true)
                outputsOfNode = results
                if let state { states[i] = state }
            }
            for (name, tensor) in zip(named, outputsOfNode) where !name.isEmpty {
                shapes[name] = tensor.shape
                if retained == nil || retained!.contains(name) || remainingUses[name, default: 0] > 0 {
                    values[name] = tensor
                }
            }
            if let retained {
                for v in node.inputs where !v.isEmpty {
                    remainingUses[v, default: 0] -= 1
                    if remainingUses[v] == 0 && !retained.contains(v) && initializers[v] == nil && feeds[v] == nil {
                        values[v] = nil
                    }
                }
            }
        }
        return ForwardPass(graph: self, executed: order, values: values, shapes: shapes, states: states)
    }

    /// The nodes of `order` that read, directly or through other nodes, one of `values`: those a backward pass
    /// stopping at `values` runs.
    func nodesDownstream(of values: [String], in order: [Int]) throws -> Set<Int> {
        var reached = Set(try values.map { try valueName(for: $0) })
        var downstream = Set<Int>()
        for i in order where nodes[i].inputs.contains(where: reached.contains) {
            downstream.insert(i)
            reached.formUnion(nodes[i].outputs.filter { !$0.isEmpty })
        }
        return downstream
    }

    /// Graph inputs (checked against their declared shapes; `nil` extents accept anything) and initializers.
    func startingValues(_ feeds: [String: Tensor]) throws -> [String: Tensor] {
        var values = initializers
        for input in inputs {
            guard let fed = feeds[input.name] else {
                if initializers[input.name] != nil { continue }  // ONNX < 4 lists initializers as inputs
                throw GraphError("no value fed for input '\(input.name)'")
            }
            let matches =
                fed.rank == input.shape.count
                && zip(fed.shape, input.shape).allSatisfy { $1 == nil || $0 == $1! }
            guard matches else {
                let declared = input.shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", ")
                throw GraphError("input '\(input.name)' has shape \(fed.shape), expected [\(declared)]")
            }
            values[input.name] = fed
        }
        for (name, tensor) in feeds where values[name] == nil || initializers[name] != nil {
            values[name] = tensor  // extra feeds may override initializers (e.g. trial weights)
        }
        return values
    }

    /// Runs one node, wrapping op failures in a `GraphError` that names the node; a convolution with the ReLU
    /// after it fused in when `rectified` (`rectifiedConvolutions`).
    func execute(_ node: Node, values: [String: Tensor], rectified: Bool = false) throws -> [Tensor] {
        try execute(node, values: values, recordingState: false, rectified: rectified).outputs
    }

    /// `execute`, through the op's `forwardRecordingState` when `recordingState` (a pass kept for backward).
    func execute(_ node: Node, values: [String: Tensor], recordingState: Bool, rectified: Bool = false) throws
        -> (outputs: [Tensor], state: (any Sendable)?) {
        var args: [Tensor?] = []
        args.reserveCapacity(node.inputs.count)
        for name in node.inputs {
            if name.isEmpty {
                args.append(nil)
                continue
            }
            guard let v = values[name] else {
                throw GraphError(node: node.name, opType: node.op.opType, "input '\(name)' has no value")
            }
            args.append(v)
        }
        do {
            let results: [Tensor]
            var state: (any Sendable)?
            if rectified, let conv = node.op as? Conv {
                results = try conv.forward(args, rectified: true)
            } else if recordingState {
                (results, state) = try node.op.forwardRecordingState(args)
            } else {
                results = try node.op.forward(args)
            }
            guard results.count >= node.outputs.filter({ !$0.isEmpty }).count else {
                throw GraphError(
                    node: node.name, opType: node.op.opType,
                    "produced \(results.count) outputs, node declares \(node.outputs.count)")
            }
            return (results, state)
        } catch let error as GraphError {
            throw error
        } catch {
            throw GraphError(node: node.name, opType: node.op.opType, "\(error)")
        }
    }
}
