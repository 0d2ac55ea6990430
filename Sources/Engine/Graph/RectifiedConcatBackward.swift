/// Backpropagation through a Concat whose inputs are ReLU outputs that nothing else reads (every fire module of
/// SqueezeNet, Inception's branches): the incoming gradient is split and gated by each ReLU's backward rule in one
/// pass, and goes straight to the ReLUs' inputs. Split, then gated in place, it made two passes over each piece (the
/// split alone ≈ 0.3 ms of a SqueezeNet saliency cell). The same numbers: a gated copy of a value is the gated value.
enum RectifiedConcatBackward {
    /// Concat node index → for each of its inputs, the index of the Relu node that produced it, when that Relu's
    /// output is read by this Concat alone and its gradient is not asked for (`wanted`); nil inputs are split plainly.
    static func plan(_ pass: ForwardPass, _ uses: ValueUses, wanted: Set<String>) -> [Int: [Int?]] {
        let graph = pass.graph
        var plans: [Int: [Int?]] = [:]
        for i in pass.executed where graph.nodes[i].op is Concat && !graph.nodes[i].inputs.contains("") {
            let relus = graph.nodes[i].inputs.map { uses.rectifier(of: $0, wanted: wanted) }
            if relus.contains(where: { $0 != nil }) { plans[i] = relus }
        }
        return plans
    }

    /// The pieces of `gradient` along `axis` (`sizes` wide), each gated by `outputs[k]` (a ReLU's forward output,
    /// active where > 0) under `rule` when given, else copied; nil where `wanted[k]` is false.
    static func split(_ gradient: Tensor, axis: Int, sizes: [Int], outputs: [Tensor?], rule: ReluBackwardRule,
                      wanted: [Bool]) throws -> [Tensor?] {
        let axis = try Tensor.normalizedAxis(axis, rank: gradient.rank)
        let outer = gradient.shape[..<axis].reduce(1, *)
        let innerAll = gradient.shape[axis...].reduce(1, *)
        let inner = innerAll / Swift.max(gradient.shape[axis], 1)
        var column = 0
        var pieces: [Tensor?] = []
        gradient.withUnsafeBufferPointer { src in
            for (k, size) in sizes.enumerated() {
                let block = size * inner
                defer { column += block }
                guard wanted[k] else {
                    pieces.append(nil)
                    continue
                }
                var shape = gradient.shape
                shape[axis] = size
                var piece = Tensor(uninitializedShape: shape)
                let start = column
                if let gate = outputs[k] {
                    precondition(gate.shape == shape, "ReLU output \(gate.shape) for a Concat piece \(shape)")
                }
                piece.withUnsafeMutableBufferPointer { dst in
                    guard let from = src.baseAddress, let to = dst.baseAddress else { return }
                    if let gate = outputs[k] {
                        gate.withUnsafeBufferPointer { ys in
                            copyBlocks(outer, of: block, from: from + start, stride: innerAll, to: to, stride: block,
                                       gate: ys.baseAddress, rule: rule)
                        }
                    } else {
                        copyBlocks(outer, of: block, from: from + start, stride: innerAll, to: to, stride: block)
                    }
                }
                pieces.append(piece)
            }
        }
        return pieces
    }
}
