import Foundation

/// Exact incremental inference (Nakandala et al., "Incremental and Approximate Inference for Faster
/// Occlusion-based Deep CNN Explanations", SIGMOD 2019 — only its exact part): many copies of an input that
/// each differ from it inside one small box (an occluding window) are evaluated from the unoccluded pass.
///
/// Every activation of the unoccluded pass is kept. For each copy, a spatially local op (Conv, MaxPool,
/// AveragePool, element-wise activations, BatchNormalization, LRN, Add/Sub/Mul/Div, channel Concat)
/// recomputes only the box of its output that the copy's changed box can reach (grown by the op's receptive
/// field, clipped to the map), by running the op on a crop of its input with the halo it needs — the original
/// padding materialised only where the crop leaves the map — and the copy's value is the clean activation
/// with that box pasted in. Once a box covers the whole map, or a non-local op is reached (Flatten, Gemm,
/// GlobalAveragePool, Reshape…), the patched maps are materialised and the rest of the graph runs as usual,
/// batched over the copies.
///
/// Each value's box has one size for all copies (the largest needed; smaller ones are grown inward), so the
/// copies of a batch run as one batch of crops. The numbers are those of the full forward pass up to float
/// rounding (the same dot products over the same inputs), and the boxes depend only on the geometry, never
/// on the batch size.
struct IncrementalInference {
    /// How a node is evaluated for the copies.
    enum Rule {
        /// A sliding window (`op` is the node's op with its padding removed: padding is materialised in the
        /// crop as `pad`).
        case window(op: any Operator, window: Window2D, pad: Float)
        /// Element-wise in its only input-dependent input (input 0): the op runs on the box as it is.
        case pointwise
        /// Element-wise across several inputs of the output's shape: each is cropped to the output's box.
        case aligned
        /// Run on whole patched maps.
        case dense
    }

    let graph: Graph
    let input: String
    let output: String
    /// The unoccluded pass: every value, `N` rows.
    let clean: [String: Tensor]
    /// Input-dependent nodes, in topological order, with how each is evaluated.
    let steps: [(node: Int, rule: Rule)]
    /// For each value computed by boxes: the box of each perturbation (all the same size).
    let boxes: [String: [ActivationBox]]
    /// Values that depend on the input (the others are read from `clean`).
    let dependent: Set<String>
    /// How many steps read each dependent value (the output counts once more).
    let uses: [String: Int]

    /// - Parameters:
    ///   - clean: every value of the unoccluded forward pass (`Graph.forward(capture: nil)`).
    ///   - inputBoxes: the box each perturbation changes in the input, all the same size.
    init(graph: Graph, input: String, output: String, clean: [String: Tensor], inputBoxes: [ActivationBox]) throws {
        self.graph = graph
        self.input = input
        self.output = output
        self.clean = clean
        var boxes: [String: [ActivationBox]] = [input: inputBoxes]
        var dependent: Set<String> = [input]
        var steps: [(node: Int, rule: Rule)] = []
        var uses: [String: Int] = [output: 1]
        for i in try graph.nodesNeeded(for: [output]) {
            let node = graph.nodes[i]
            guard node.inputs.contains(where: { dependent.contains($0) }) else { continue }
            for name in node.inputs where dependent.contains(name) { uses[name, default: 0] += 1 }
            let produced = node.outputs.filter { !$0.isEmpty }
            dependent.formUnion(produced)
            var rule = Rule.dense
            if produced.count == 1, let shape = clean[produced[0]]?.shape, shape.count == 4,
                let (local, needed) = Self.localRule(node, shape: shape, boxes: boxes, dependent: dependent, clean: clean)
            {
                let height = max(1, needed.map(\.height).max() ?? 1)
                let width = max(1, needed.map(\.width).max() ?? 1)
                if height < shape[2] || width < shape[3] {
                    rule = local
                    boxes[produced[0]] = needed.map {
                        $0.extended(toHeight: height, width: width, mapHeight: shape[2], mapWidth: shape[3])
                    }
                }
            }
            steps.append((i, rule))
        }
        self.steps = steps
        self.boxes = boxes
        self.dependent = dependent
        self.uses = uses
    }

    /// The rule for a spatially local node whose input-dependent inputs all have boxes, and the box each
    /// perturbation needs recomputed in its output; nil when the node must run on whole maps.
    private static func localRule(
        _ node: Node, shape: [Int], boxes: [String: [ActivationBox]], dependent: Set<String>,
        clean: [String: Tensor]
    ) -> (Rule, [ActivationBox])? {
        let live = node.inputs.indices.filter { dependent.contains(node.inputs[$0]) }
        guard live.allSatisfy({ boxes[node.inputs[$0]] != nil }), let first = live.first,
            let inBoxes = boxes[node.inputs[first]], let x = clean[node.inputs[first]]?.shape
        else { return nil }
        let onlyInputZero = live == [0]
        func windowed(_ op: any Operator, _ w: Window2D, pad: Float) -> (Rule, [ActivationBox]) {
            (.window(op: op, window: w, pad: pad), inBoxes.map { $0.through(w) })
        }
        switch node.op {
        case let conv as Conv where onlyInputZero:
            guard let weight = clean[node.inputs[1]]?.shape,
                let plan = try? conv.plan(x, weight, node.inputs.count > 2 ? clean[node.inputs[2]]?.shape : nil)
            else { return nil }
            let op = Conv(strides: conv.strides, pads: [0, 0, 0, 0], dilations: conv.dilations, group: conv.group)
            return windowed(op, plan.window, pad: 0)
        case let pool as MaxPool where onlyInputZero:
            guard let w = try? pool.window(x) else { return nil }
            let op = MaxPool(kernelShape: pool.kernelShape, strides: [w.strideH, w.strideW],
                             dilations: [w.dilH, w.dilW])
            return windowed(op, w, pad: -.infinity)
        case let pool as AveragePool where onlyInputZero && !pool.ceilMode:
            guard let w = try? pool.window(x) else { return nil }
            let padded = w.padTop + w.padLeft + w.padBottom + w.padRight > 0
            guard pool.countIncludePad || !padded else { return nil }  // the divisor would change at the border
            let op = AveragePool(kernelShape: pool.kernelShape, strides: [w.strideH, w.strideW],
                                 countIncludePad: pool.countIncludePad)
            return windowed(op, w, pad: 0)
        case is Relu, is LeakyRelu, is Clip, is Sigmoid, is Tanh, is Identity, is Dropout, is BatchNormalization,
            is LRN:
            guard onlyInputZero, x == shape else { return nil }
            return (.pointwise, inBoxes)
        case let concat as Concat:
            guard concat.axis == 1 || concat.axis == -3, live.count == node.inputs.count else { return nil }
            return (.aligned, union(of: live.map { boxes[node.inputs[$0]]! }))
        case is Add, is Sub, is Mul, is Div:
            for (k, name) in node.inputs.enumerated() {
                if live.contains(k) {
                    guard clean[name]?.shape == shape else { return nil }
                } else {
                    // A constant must be the same at every position (broadcast along H and W).
                    guard let c = clean[name]?.shape, c.count <= 4, c.suffix(2).allSatisfy({ $0 == 1 }) else { return nil }
                }
            }
            return (.aligned, union(of: live.map { boxes[node.inputs[$0]]! }))
        default:
            return nil
        }
    }

    private static func union(of lists: [[ActivationBox]]) -> [ActivationBox] {
        lists.dropFirst().reduce(lists[0]) { partial, next in zip(partial, next).map { $0.union($1) } }
    }

    /// The box size shared by every perturbation of `value`.
    func boxSize(_ value: String) -> (Int, Int) {
        let b = boxes[value]![0]
        return (b.height, b.width)
    }

    /// The output for copies `k` = row `rows[k]` of the clean input under perturbation `perturbations[k]`,
    /// whose input inside `boxes[input][perturbations[k]]` is image k of `inputRegion` ([count, C, boxH, boxW]).
    func run(rows: [Int], perturbations: [Int], inputRegion: Tensor, interruption: Interruption? = nil) throws -> Tensor {
        var regions: [String: Tensor] = [input: inputRegion]
        var whole: [String: Tensor] = [:]
        var remaining = uses
        func copies(_ value: String) -> [PatchedActivation] {
            let list = boxes[value]!
            return rows.indices.map { PatchedActivation(row: rows[$0], index: $0, box: list[perturbations[$0]]) }
        }
        func wholeValue(_ name: String) throws -> Tensor? {
            if name.isEmpty { return nil }
            if !dependent.contains(name) { return clean[name] }
            if let value = whole[name] { return value }
            guard let region = regions[name], let base = clean[name] else {
                throw GraphError("incremental inference: value '\(name)' has no value")
            }
            let value = gatherCrops(clean: base, region: region, copies: copies(name),
                                    origins: Array(repeating: (0, 0), count: rows.count),
                                    height: base.shape[2], width: base.shape[3], pad: 0)
            whole[name] = value
            return value
        }
        for (i, rule) in steps {
            try interruption?.check()
            let node = graph.nodes[i]
            let name = node.outputs.first { !$0.isEmpty } ?? ""
            do {
                switch rule {
                case .window(let op, let w, let pad):
                    let x = node.inputs[0]
                    let (height, width) = boxSize(name)
                    let outBoxes = boxes[name]!
                    let crop = gatherCrops(
                        clean: clean[x]!, region: regions[x], copies: copies(x),
                        origins: perturbations.map { (outBoxes[$0].top * w.strideH - w.padTop,
                                                      outBoxes[$0].left * w.strideW - w.padLeft) },
                        height: (height - 1) * w.strideH + (w.kH - 1) * w.dilH + 1,
                        width: (width - 1) * w.strideW + (w.kW - 1) * w.dilW + 1, pad: pad)
                    let args = node.inputs.indices.map { $0 == 0 ? crop : constant(node.inputs[$0]) }
                    regions[name] = try op.forward(args)[0]
                case .pointwise:
                    let args = node.inputs.indices.map { $0 == 0 ? regions[node.inputs[0]] : constant(node.inputs[$0]) }
                    regions[name] = try node.op.forward(args)[0]
                case .aligned:
                    let (height, width) = boxSize(name)
                    let outBoxes = boxes[name]!
                    let origins = perturbations.map { (outBoxes[$0].top, outBoxes[$0].left) }
                    let args: [Tensor?] = node.inputs.map { v in
                        guard dependent.contains(v) else { return constant(v) }
                        return gatherCrops(clean: clean[v]!, region: regions[v], copies: copies(v), origins: origins,
                                           height: height, width: width, pad: 0)
                    }
                    regions[name] = try node.op.forward(args)[0]
                case .dense:
                    let results = try node.op.forward(try node.inputs.map(wholeValue))
                    for (value, tensor) in zip(node.outputs, results) where !value.isEmpty { whole[value] = tensor }
                }
            } catch let error as GraphError {
                throw error
            } catch {
                throw GraphError(node: node.name, opType: node.op.opType, "\(error)")
            }
            for v in node.inputs where dependent.contains(v) {
                remaining[v, default: 0] -= 1
                if remaining[v] == 0 {
                    regions[v] = nil
                    whole[v] = nil
                }
            }
        }
        guard let result = try wholeValue(output) else { throw GraphError("incremental inference computed no output") }
        return result
    }

    private func constant(_ name: String) -> Tensor? { name.isEmpty ? nil : clean[name] }
}

extension IncrementalInference {
    /// `run` with the copies split between the cores (contiguous ranges, one per worker), every GEMM on one
    /// OpenBLAS thread, and each copy run alone: the result does not depend on how copies are batched. (A batch
    /// of copies through one GEMM — a Gemm classifier's rows — is rounded differently row by row by OpenBLAS's
    /// AVX2 kernels, so the same copy came out different in the last bits at another batch size.)
    func runParallel(rows: [Int], perturbations: [Int], inputRegion: Tensor,
                     interruption: Interruption? = nil) throws -> Tensor {
        let count = rows.count
        let workers = BatchParallel.workers(for: count)
        let results = UnsafeMutableBufferPointer<Result<Tensor, Error>>.allocate(capacity: workers)
        defer { results.deallocate() }
        let body = { (worker: Int, range: Range<Int>) in
            results.baseAddress!.advanced(by: worker).initialize(to: Result {
                let outputs = try range.map { copy in
                    try run(rows: [rows[copy]], perturbations: [perturbations[copy]],
                            inputRegion: try inputRegion.slice(axis: 0, copy..<(copy + 1)), interruption: interruption)
                }
                return outputs.count == 1 ? outputs[0] : try Tensor.concatenate(outputs, axis: 0)
            })
        }
        if workers <= 1 {
            BatchParallel.withBLASThreads(1) { body(0, 0..<count) }
        } else {
            BatchParallel.run(count, body)
        }
        defer { _ = results.baseAddress!.deinitialize(count: workers) }
        let parts = try results.map { try $0.get() }
        return parts.count == 1 ? parts[0] : try Tensor.concatenate(parts, axis: 0)
    }
}
