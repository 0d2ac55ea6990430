extension Graph {
    /// Shapes of every value for the given input shapes (default: declared shapes with dynamic extents
    /// set to `batch`). Small all-constant subgraphs (shape arithmetic such as Shape→Gather→Concat→Reshape)
    /// are evaluated so data-dependent shapes resolve. Throws `GraphError` naming the first node that fails.
    public func inferShapes(_ inputShapes: [String: [Int]] = [:], batch: Int = 1) throws -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        var known: [String: Tensor] = [:]
        for (name, t) in initializers {
            shapes[name] = t.shape
            if t.count <= Graph.foldLimit { known[name] = t }
        }
        for input in inputs where initializers[input.name] == nil || inputShapes[input.name] != nil {
            shapes[input.name] = inputShapes[input.name] ?? input.shape.map { $0 ?? batch }
        }
        for i in try topologicalOrder() {
            let node = nodes[i]
            var argShapes: [[Int]?] = []
            var argValues: [Tensor?] = []
            for name in node.inputs {
                if name.isEmpty {
                    argShapes.append(nil)
                    argValues.append(nil)
                    continue
                }
                guard let s = shapes[name] else {
                    throw GraphError(node: node.name, opType: node.op.opType, "input '\(name)' has no shape")
                }
                argShapes.append(s)
                argValues.append(known[name])
            }
            let outShapes: [[Int]]
            do {
                outShapes = try node.op.outputShapes(argShapes, values: argValues)
            } catch {
                throw GraphError(node: node.name, opType: node.op.opType, "\(error)")
            }
            for (name, s) in zip(node.outputs, outShapes) where !name.isEmpty { shapes[name] = s }
            // Constant folding of small shape arithmetic.
            let presentInputs = zip(node.inputs, argValues).filter { !$0.0.isEmpty }
            let allKnown = presentInputs.allSatisfy { $0.1 != nil }
            if let shapeOp = node.op as? Shape, let s = argShapes.first ?? nil {
                known[node.outputs[0]] = shapeOp.shapeTensor(for: s)
            } else if allKnown && outShapes.allSatisfy({ Tensor.count(of: $0) <= Graph.foldLimit }),
                let results = try? node.op.forward(argValues)
            {
                for (name, t) in zip(node.outputs, results) where !name.isEmpty { known[name] = t }
            }
        }
        return shapes
    }

    /// Largest tensor (in elements) folded as a constant during shape inference.
    static let foldLimit = 4096
}
