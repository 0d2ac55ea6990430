/// Checks a pooling input is [N, C, H, W] and builds its window.
private func poolWindow(_ x: [Int], kernel: [Int], strides: [Int]?, pads: [Int], dilations: [Int]?,
                        autoPad: AutoPad, ceilMode: Bool) throws -> Window2D {
    guard x.count == 4 else { throw ShapeError("pooling supports 2-D images [N, C, H, W]; input is \(x)") }
    return try Window2D(inH: x[2], inW: x[3], kernel: kernel, strides: strides ?? [1, 1], pads: pads,
                        dilations: dilations ?? [1, 1], autoPad: autoPad, ceilMode: ceilMode)
}

/// Max over each window (ONNX MaxPool / PyTorch MaxPool2d), padding never wins. Backward routes each
/// output's gradient to the first maximal element of its window (PyTorch's tie rule).
public struct MaxPool: Operator {
    public var kernelShape: [Int]
    public var strides: [Int]?
    public var pads: [Int]
    public var dilations: [Int]?
    public var ceilMode: Bool
    public var autoPad: AutoPad
    public var opType: String { "MaxPool" }

    public init(kernelShape: [Int], strides: [Int]? = nil, pads: [Int] = [0, 0, 0, 0], dilations: [Int]? = nil,
                ceilMode: Bool = false, autoPad: AutoPad = .notSet) {
        self.kernelShape = kernelShape
        self.strides = strides
        self.pads = pads
        self.dilations = dilations
        self.ceilMode = ceilMode
        self.autoPad = autoPad
    }

    func window(_ x: [Int]) throws -> Window2D {
        try poolWindow(x, kernel: kernelShape, strides: strides, pads: pads, dilations: dilations,
                       autoPad: autoPad, ceilMode: ceilMode)
    }

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let x = try shapes.required(0)
        let w = try window(x)
        return [[x[0], x[1], w.outH, w.outW]]
    }

    /// Calls `body(outputIndex, inputIndexOfMax)` for every output element of one plane (−1 when the window
    /// covers only padding). Window bounds are clipped once per row/column, so the inner loop has no checks.
    /// A NaN wins (and a later NaN replaces it), as in PyTorch.
    @inline(__always)
    private func scan(_ plane: UnsafePointer<Float>, _ w: Window2D, _ columns: [Range<Int>],
                      _ body: (Int, Int) -> Void) {
        for oh in 0..<w.outH {
            let h0 = oh * w.strideH - w.padTop
            let rows = Window2D.validTaps(start: h0, dilation: w.dilH, kernel: w.kH, extent: w.inH)
            for ow in 0..<w.outW {
                let w0 = ow * w.strideW - w.padLeft
                let cols = columns[ow]
                var best = -Float.infinity
                var bestIndex = -1
                for kh in rows {
                    let rowBase = (h0 + kh * w.dilH) * w.inW + w0
                    for kw in cols {
                        let index = rowBase + kw * w.dilW
                        let v = plane[index]
                        if v > best || v.isNaN || bestIndex < 0 {
                            best = v
                            bestIndex = index
                        }
                    }
                }
                body(oh * w.outW + ow, bestIndex)
            }
        }
    }

    /// Valid kernel columns for each output column.
    private func columnTaps(_ w: Window2D) -> [Range<Int>] {
        (0..<w.outW).map {
            Window2D.validTaps(start: $0 * w.strideW - w.padLeft, dilation: w.dilW, kernel: w.kW, extent: w.inW)
        }
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        let w = try window(x.shape)
        let planes = x.shape[0] * x.shape[1], planeIn = w.inH * w.inW, planeOut = w.outH * w.outW
        let columns = columnTaps(w)
        var y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], w.outH, w.outW])
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                let xBase = xs.baseAddress!, yBase = ys.baseAddress!
                BatchParallel.run(planes) { _, range in
                    for p in range {
                        let plane = xBase + p * planeIn, out = yBase + p * planeOut
                        scan(plane, w, columns) { o, i in out[o] = i < 0 ? -.infinity : plane[i] }
                    }
                }
            }
        }
        return [y]
    }

    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        let x = try c.input(0)
        let w = try window(x.shape)
        let planes = x.shape[0] * x.shape[1], planeIn = w.inH * w.inW, planeOut = w.outH * w.outW
        let columns = columnTaps(w)
        var dx = Tensor.zeros(x.shape)
        x.withUnsafeBufferPointer { xs in
            c.outputGradient().withUnsafeBufferPointer { gs in
                dx.withUnsafeMutableBufferPointer { dxs in
                    let xBase = xs.baseAddress!, gBase = gs.baseAddress!, dBase = dxs.baseAddress!
                    BatchParallel.run(planes) { _, range in
                        for p in range {
                            let plane = xBase + p * planeIn, g = gBase + p * planeOut, d = dBase + p * planeIn
                            scan(plane, w, columns) { o, i in if i >= 0 { d[i] += g[o] } }
                        }
                    }
                }
            }
        }
        return [dx]
    }
    public var backwardReadsOutputs: Bool { false }
}

/// Mean over each window (ONNX AveragePool / PyTorch AvgPool2d). The divisor is the window's size clipped
/// to the padded input when `countIncludePad`, else the number of real input elements it covers.
public struct AveragePool: Operator {
    public var kernelShape: [Int]
    public var strides: [Int]?
    public var pads: [Int]
    public var ceilMode: Bool
    public var countIncludePad: Bool
    public var autoPad: AutoPad
    public var opType: String { "AveragePool" }

    public init(kernelShape: [Int], strides: [Int]? = nil, pads: [Int] = [0, 0, 0, 0], ceilMode: Bool = false,
                countIncludePad: Bool = false, autoPad: AutoPad = .notSet) {
        self.kernelShape = kernelShape
        self.strides = strides
        self.pads = pads
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        self.autoPad = autoPad
    }

    func window(_ x: [Int]) throws -> Window2D {
        try poolWindow(x, kernel: kernelShape, strides: strides, pads: pads, dilations: nil,
                       autoPad: autoPad, ceilMode: ceilMode)
    }

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let x = try shapes.required(0)
        let w = try window(x)
        return [[x[0], x[1], w.outH, w.outW]]
    }

    /// For each output element: the clipped input row/column ranges and 1 / divisor (PyTorch's formula).
    private func cells(_ w: Window2D) -> [(Range<Int>, Range<Int>, Float)] {
        var result: [(Range<Int>, Range<Int>, Float)] = []
        result.reserveCapacity(w.outH * w.outW)
        for oh in 0..<w.outH {
            let hs = oh * w.strideH - w.padTop
            let he = Swift.min(hs + w.kH, w.inH + w.padBottom)
            for ow in 0..<w.outW {
                let ws = ow * w.strideW - w.padLeft
                let we = Swift.min(ws + w.kW, w.inW + w.padRight)
                let poolSize = (he - hs) * (we - ws)
                let rows = Swift.max(hs, 0)..<Swift.max(Swift.max(hs, 0), Swift.min(he, w.inH))
                let cols = Swift.max(ws, 0)..<Swift.max(Swift.max(ws, 0), Swift.min(we, w.inW))
                let divisor = countIncludePad ? poolSize : rows.count * cols.count
                result.append((rows, cols, divisor > 0 ? 1 / Float(divisor) : 0))
            }
        }
        return result
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        let w = try window(x.shape)
        let table = cells(w)
        let planes = x.shape[0] * x.shape[1], planeIn = w.inH * w.inW, planeOut = w.outH * w.outW
        var y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], w.outH, w.outW])
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                for p in 0..<planes {
                    let plane = xs.baseAddress! + p * planeIn, out = ys.baseAddress! + p * planeOut
                    for (o, cell) in table.enumerated() {
                        var s: Float = 0
                        for ih in cell.0 { for iw in cell.1 { s += plane[ih * w.inW + iw] } }
                        out[o] = s * cell.2
                    }
                }
            }
        }
        return [y]
    }

    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        let xShape = try c.inputShape(0)
        let w = try window(xShape)
        let table = cells(w)
        let planes = xShape[0] * xShape[1], planeIn = w.inH * w.inW, planeOut = w.outH * w.outW
        var dx = Tensor.zeros(xShape)
        c.outputGradient().withUnsafeBufferPointer { gs in
            dx.withUnsafeMutableBufferPointer { dxs in
                for p in 0..<planes {
                    let g = gs.baseAddress! + p * planeOut, d = dxs.baseAddress! + p * planeIn
                    for (o, cell) in table.enumerated() {
                        let share = g[o] * cell.2
                        for ih in cell.0 { for iw in cell.1 { d[ih * w.inW + iw] += share } }
                    }
                }
            }
        }
        return [dx]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { false }
    public var backwardReadsOutputs: Bool { false }
}

/// Mean over all spatial axes: [N, C, d1, …] → [N, C, 1, …].
public struct GlobalAveragePool: Operator {
    public var opType: String { "GlobalAveragePool" }
    public init() {}

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let x = try shapes.required(0)
        guard x.count >= 3 else { throw ShapeError("GlobalAveragePool needs [N, C, spatial…]; got \(x)") }
        return [[x[0], x[1]] + [Int](repeating: 1, count: x.count - 2)]
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        let outShape = try outputShapes([x.shape], values: [nil])[0]
        let planes = x.shape[0] * x.shape[1], plane = x.count / Swift.max(planes, 1)
        var y = Tensor(uninitializedShape: outShape)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                for p in 0..<planes {
                    var s: Float = 0
                    let src = xs.baseAddress! + p * plane
                    for j in 0..<plane { s += src[j] }
                    ys[p] = s / Float(plane)
                }
            }
        }
        return [y]
    }

    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        let xShape = try c.inputShape(0)
        let planes = xShape[0] * xShape[1], plane = Tensor.count(of: xShape) / Swift.max(planes, 1)
        var dx = Tensor(uninitializedShape: xShape)
        c.outputGradient().withUnsafeBufferPointer { gs in
            dx.withUnsafeMutableBufferPointer { dxs in
                for p in 0..<planes {
                    (dxs.baseAddress! + p * plane).update(repeating: gs[p] / Float(plane), count: plane)
                }
            }
        }
        return [dx]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { false }
    public var backwardReadsOutputs: Bool { false }
}
