/// ONNX Resize in its nearest-neighbour form with whole-number scale factors (PyTorch's
/// `nn.Upsample(scale_factor=s, mode="nearest")`, the upsampling of Johnson-style transformer networks that
/// avoids the checkerboard of transposed convolutions): every element of X `[N, C, H, W]` (any rank) is
/// repeated `scales[a]` times along axis a. For whole-number factors ONNX's coordinate transformations
/// (asymmetric/floor, half_pixel/round_prefer_floor, …) all pick exactly these sources.
///
/// Backward sums each output gradient block back onto the element it was copied from.
public struct Resize: Operator {
    /// One positive whole factor per axis (typically `[1, 1, 2, 2]`).
    public var scales: [Int]
    public var opType: String { "Resize" }

    public init(scales: [Int]) {
        precondition(scales.allSatisfy { $0 >= 1 }, "Resize scales must be ≥ 1, got \(scales)")
        self.scales = scales
    }

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let x = try shapes.required(0)
        guard !x.isEmpty else { throw ShapeError("Resize needs a tensor of rank ≥ 1") }
        guard x.count == scales.count else { throw ShapeError("Resize has \(scales.count) scales for rank \(x.count)") }
        return [zip(x, scales).map { $0 * $1 }]
    }

    /// Calls `body(outputIndex, inputIndex)` for every output element, in order.
    private func walk(_ shape: [Int], _ body: (Int, Int) -> Void) {
        let out = zip(shape, scales).map { $0 * $1 }
        let inStrides = Tensor.strides(of: shape)
        let total = Tensor.count(of: out)
        guard total > 0 else { return }
        // The last axis is the hot loop; walk the others with an odometer.
        let rank = out.count
        var index = [Int](repeating: 0, count: Swift.max(rank - 1, 0))
        var o = 0
        let lastOut = rank > 0 ? out[rank - 1] : 1
        let lastScale = rank > 0 ? scales[rank - 1] : 1
        while o < total {
            var base = 0
            for a in 0..<(rank - 1) { base += (index[a] / scales[a]) * inStrides[a] }
            for j in 0..<lastOut { body(o + j, base + j / lastScale) }
            o += lastOut
            advanceOdometer(&index, extents: out, lastAxis: rank - 2)
        }
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        let shape = try outputShapes([x.shape], values: [])[0]
        var y = Tensor(uninitializedShape: shape)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in walk(x.shape, { ys[$0] = xs[$1] }) }
        }
        return [y]
    }

    public func backward(_ ctx: BackwardContext) throws -> [Tensor?] {
        guard ctx.needs(0) else { return [nil] }
        let shape = try ctx.inputShape(0)
        let g = ctx.outputGradient()
        var dx = Tensor.zeros(shape)
        g.withUnsafeBufferPointer { gs in
            dx.withUnsafeMutableBufferPointer { ds in walk(shape, { ds[$1] += gs[$0] }) }
        }
        return [dx]
    }

    public func backwardReadsInput(_ i: Int) -> Bool { false }
    public var backwardReadsOutputs: Bool { false }
}
