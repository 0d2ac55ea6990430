/// How `Pad` fills the border.
public enum PadMode: String, Sendable {
    case constant, reflect, edge
}

/// ONNX Pad: pads [b_0, …, b_(r−1), e_0, …, e_(r−1)] (negative crops), from input 1 (opset ≥ 11) or the
/// attribute; constant value from input 2 or the attribute; optional axes from input 3 (opset ≥ 18).
/// `reflect` mirrors without repeating the edge (NumPy "reflect", PyTorch ReflectionPad); `edge` repeats it.
/// Backward adds each output gradient to the input element it was copied from.
public struct Pad: Operator {
    public var mode: PadMode
    public var pads: [Int]?
    public var value: Float
    public var opType: String { "Pad" }

    public init(mode: PadMode = .constant, pads: [Int]? = nil, value: Float = 0) {
        self.mode = mode
        self.pads = pads
        self.value = value
    }

    /// Full-rank pads from attribute/inputs.
    func resolvedPads(rank: Int, _ padsInput: Tensor?, _ axesInput: Tensor?) throws -> [Int] {
        guard let list = try padsInput.map(integers) ?? pads else { throw ShapeError("Pad needs pads") }
        if let axesInput {
            let axes = try integers(axesInput).map { try Tensor.normalizedAxis($0, rank: rank) }
            guard list.count == 2 * axes.count else {
                throw ShapeError("Pad: \(list.count) pads for \(axes.count) axes")
            }
            var full = [Int](repeating: 0, count: 2 * rank)
            for (k, a) in axes.enumerated() {
                full[a] = list[k]
                full[a + rank] = list[k + axes.count]
            }
            return full
        }
        guard list.count == 2 * rank else { throw ShapeError("Pad: \(list.count) pads for rank \(rank)") }
        return list
    }

    func outShape(_ s: [Int], _ p: [Int]) throws -> [Int] {
        let r = s.count
        let out = (0..<r).map { s[$0] + p[$0] + p[$0 + r] }
        guard out.allSatisfy({ $0 >= 0 }) else { throw ShapeError("Pad \(p) crops more than \(s)") }
        for a in 0..<r where mode != .constant && s[a] == 0 && out[a] > 0 {
            throw ShapeError("Pad \(mode.rawValue) cannot pad an empty axis")
        }
        return out
    }

    /// For each axis, the input index each output index reads (−1: constant fill).
    func sourceMaps(_ s: [Int], _ p: [Int], _ out: [Int]) -> [[Int]] {
        (0..<s.count).map { a in
            let n = s[a]
            return (0..<out[a]).map { o in
                var i = o - p[a]
                if i >= 0 && i < n { return i }
                switch mode {
                case .constant: return -1
                case .edge: return Swift.min(Swift.max(i, 0), n - 1)
                case .reflect:
                    if n == 1 { return 0 }
                    let period = 2 * (n - 1)
                    i = ((i % period) + period) % period
                    return i < n ? i : period - i
                }
            }
        }
    }

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let s = try shapes.required(0)
        if shapes.count > 1, shapes[1] != nil, values.optional(1) == nil {
            throw ShapeError("Pad: pads are not known before running")
        }
        return [try outShape(s, try resolvedPads(rank: s.count, values.optional(1), values.optional(3)))]
    }

    /// Visits every output element with the flat input index it reads (or −1).
    private func walk(_ s: [Int], _ maps: [[Int]], _ out: [Int], _ body: (Int, Int) -> Void) {
        let total = Tensor.count(of: out)
        guard total > 0 else { return }
        let strides = Tensor.strides(of: s)
        if out.isEmpty {
            body(0, 0)
            return
        }
        let r = out.count
        let inner = out[r - 1]
        let last = maps[r - 1]
        var index = [Int](repeating: 0, count: r - 1)
        var o = 0
        while o < total {
            var base = 0
            var valid = true
            for a in 0..<(r - 1) {
                let m = maps[a][index[a]]
                if m < 0 {
                    valid = false
                    break
                }
                base += m * strides[a]
            }
            for j in 0..<inner {
                let m = last[j]
                body(o + j, valid && m >= 0 ? base + m : -1)
            }
            o += inner
            advanceOdometer(&index, extents: out, lastAxis: r - 2)
        }
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        let p = try resolvedPads(rank: x.rank, inputs.optional(1), inputs.optional(3))
        let fill = inputs.optional(2).map { $0.count > 0 ? $0.scalars[0] : 0 } ?? value
        let out = try outShape(x.shape, p)
        let maps = sourceMaps(x.shape, p, out)
        var y = Tensor(uninitializedShape: out)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                walk(x.shape, maps, out) { o, i in ys[o] = i < 0 ? fill : xs[i] }
            }
        }
        return [y]
    }

    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        let xShape = try c.inputShape(0)
        let p = try resolvedPads(rank: xShape.count, c.inputs.optional(1), c.inputs.optional(3))
        let out = try outShape(xShape, p)
        let maps = sourceMaps(xShape, p, out)
        var dx = Tensor.zeros(xShape)
        c.outputGradient().withUnsafeBufferPointer { gs in
            dx.withUnsafeMutableBufferPointer { ds in
                walk(xShape, maps, out) { o, i in if i >= 0 { ds[i] += gs[o] } }
            }
        }
        return [dx, nil, nil, nil]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { i > 0 }
    public var backwardReadsOutputs: Bool { false }
}
