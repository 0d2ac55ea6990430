/// Checks a pooling input is [N, C, H, W] and builds its window.
private func poolWindow(
    _ x: [Int], kernel: [Int], strides: [Int]?, pads: [Int], dilations: [Int]?,
    autoPad: AutoPad, ceilMode: Bool
) throws -> Window2D {
    guard x.count == 4 else { throw ShapeError("pooling supports 2-D images [N, C, H, W]; input is \(x)") }
    return try Window2D(
        inH: x[2], inW: x[3], kernel: kernel, strides: strides ?? [1, 1], pads: pads,
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

    public init(
        kernelShape: [Int], strides: [Int]? = nil, pads: [Int] = [0, 0, 0, 0], dilations: [Int]? = nil,
        ceilMode: Bool = false, autoPad: AutoPad = .notSet
    ) {
        self.kernelShape = kernelShape
        self.strides = strides
        self.pads = pads
        self.dilations = dilations
        self.ceilMode = ceilMode
        self.autoPad = autoPad
    }

    func window(_ x: [Int]) throws -> Window2D {
        try poolWindow(
            x, kernel: kernelShape, strides: strides, pads: pads, dilations: dilations,
            autoPad: autoPad, ceilMode: ceilMode)
    }

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let x = try shapes.required(0)
        let w = try window(x)
        return [[x[0], x[1], w.outH, w.outW]]
    }

    /// Valid kernel columns for each output column.
    private func columnTaps(_ w: Window2D) -> [Range<Int>] {
        (0..<w.outW).map {
            Window2D.validTaps(start: $0 * w.strideW - w.padLeft, dilation: w.dilW, kernel: w.kW, extent: w.inW)
        }
    }

    /// The max-pool of one plane, separably: for each output row, the maximum over the window's rows of every
    /// input column (a contiguous, branch-free pass), then the maximum of those over each window's columns.
    /// `best[c]` is the column maximum and `row[c]` the window row it came from (the first such row; the last
    /// NaN if any), so `visit(outputIndex, inputIndexOfMax, value)` gets exactly the element a row-major scan
    /// picks: the first maximal one, or the last NaN (PyTorch's rules); index −1 when the window covers only
    /// padding. Scanning every window element by element instead cost as much as all of squeezenet's GEMMs.
    @inline(__always)
    private func pool(
        _ plane: UnsafePointer<Float>, _ w: Window2D, _ columns: UnsafeBufferPointer<Range<Int>>,
        _ best: UnsafeMutablePointer<Float>, _ row: UnsafeMutablePointer<Int>, _ visit: (Int, Int, Float) -> Void
    ) {
        let inW = w.inW
        for oh in 0..<w.outH {
            let h0 = oh * w.strideH - w.padTop
            let rows = Window2D.validTaps(start: h0, dilation: w.dilH, kernel: w.kH, extent: w.inH)
            if rows.isEmpty {
                for ow in 0..<w.outW { visit(oh * w.outW + ow, -1, -.infinity) }
                continue
            }
            let first = plane + (h0 + rows.lowerBound * w.dilH) * inW
            for c in 0..<inW {
                best[c] = first[c]
                row[c] = rows.lowerBound
            }
            for kh in (rows.lowerBound + 1)..<rows.upperBound {
                let r = plane + (h0 + kh * w.dilH) * inW
                for c in 0..<inW {
                    let v = r[c]
                    let take = v > best[c] || v != v
                    best[c] = take ? v : best[c]
                    row[c] = take ? kh : row[c]
                }
            }
            for ow in 0..<w.outW {
                let cols = columns[ow]
                guard !cols.isEmpty else {
                    visit(oh * w.outW + ow, -1, -.infinity)
                    continue
                }
                let w0 = ow * w.strideW - w.padLeft
                var column = w0 + cols.lowerBound * w.dilW
                var value = best[column], kh = row[column]
                for kw in (cols.lowerBound + 1)..<cols.upperBound {
                    let c = w0 + kw * w.dilW
                    let v = best[c], k = row[c]
                    let take: Bool
                    if v != v {
                        take = value == value || k >= kh  // a later NaN (row-major) replaces
                    } else {
                        take = value == value && (v > value || (v == value && k < kh))  // first maximum
                    }
                    if take {
                        value = v
                        kh = k
                        column = c
                    }
                }
                visit(oh * w.outW + ow, (h0 + kh * w.dilH) * inW + column, value)
            }
        }
    }

    /// The forward values only (no indices): the same separable passes as `pool`, with NaN-propagating
    /// maxima written as selects so the column pass vectorises. Equal to `pool`'s value bit for bit except
    /// that a window holding both −0.0 and 0.0 may give either (they compare equal).
    @inline(__always)
    private func poolValues(
        _ plane: UnsafePointer<Float>, _ w: Window2D, _ columns: UnsafeBufferPointer<Range<Int>>,
        _ best: UnsafeMutableBufferPointer<Float>, _ out: UnsafeMutablePointer<Float>
    ) {
        let inW = w.inW
        for oh in 0..<w.outH {
            let h0 = oh * w.strideH - w.padTop
            let rows = Window2D.validTaps(start: h0, dilation: w.dilH, kernel: w.kH, extent: w.inH)
            let o = out + oh * w.outW
            if rows.isEmpty {
                for ow in 0..<w.outW { o[ow] = -.infinity }
                continue
            }
            let first = plane + (h0 + rows.lowerBound * w.dilH) * inW
            for c in 0..<inW { best[c] = first[c] }
            for kh in (rows.lowerBound + 1)..<rows.upperBound {
                let r = plane + (h0 + kh * w.dilH) * inW
                for c in 0..<inW {
                    let v = r[c], b = best[c]
                    // `v > b || v is NaN` without a branch (the two cannot both hold).
                    best[c] = (v > b) != (v != v) ? v : b
                }
            }
            for ow in 0..<w.outW {
                let cols = columns[ow]
                guard !cols.isEmpty else {
                    o[ow] = -.infinity
                    continue
                }
                let w0 = ow * w.strideW - w.padLeft
                var value = best[w0 + cols.lowerBound * w.dilW]
                for kw in (cols.lowerBound + 1)..<cols.upperBound {
                    let v = best[w0 + kw * w.dilW]
                    value = (v > value) != (v != v) ? v : value
                }
                o[ow] = value
            }
        }
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        let w = try window(x.shape)
        let planes = x.shape[0] * x.shape[1]
        let planeIn = w.inH * w.inW
        let planeOut = w.outH * w.outW
        let columns = columnTaps(w)
        var y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], w.outH, w.outW])
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                let xBase = xs.baseAddress!
                let yBase = ys.baseAddress!
                BatchParallel.run(planes) { _, range in
                    var best = [Float](repeating: 0, count: w.inW)
                    columns.withUnsafeBufferPointer { cols in
                        best.withUnsafeMutableBufferPointer { b in
                            for p in range {
                                poolValues(xBase + p * planeIn, w, cols, b, yBase + p * planeOut)
                            }
                        }
                    }
                }
            }
        }
        return [y]
    }

    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        let x = try c.input(0)
        let w = try window(x.shape)
        let planes = x.shape[0] * x.shape[1]
        let planeIn = w.inH * w.inW
        let planeOut = w.outH * w.outW
        let columns = columnTaps(w)
        var dx = Tensor.zeros(x.shape)
        x.withUnsafeBufferPointer { xs in
            c.outputGradient().withUnsafeBufferPointer { gs in
                dx.withUnsafeMutableBufferPointer { dxs in
                    let xBase = xs.baseAddress!
                    let gBase = gs.baseAddress!
                    let dBase = dxs.baseAddress!
                    BatchParallel.run(planes) { _, range in
                        var best = [Float](repeating: 0, count: w.inW)
                        var rows = [Int](repeating: 0, count: w.inW)
                        columns.withUnsafeBufferPointer { cols in
                            best.withUnsafeMutableBufferPointer { b in
                                rows.withUnsafeMutableBufferPointer { r in
                                    for p in range {
                                        let g = gBase + p * planeOut
                                        let d = dBase + p * planeIn
                                        pool(xBase + p * planeIn, w, cols, b.baseAddress!, r.baseAddress!) { o, i, _ in
                                            if i >= 0 { d[i] += g[o] }
                                        }
                                    }
                                }
                            }
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

    public init(
        kernelShape: [Int], strides: [Int]? = nil, pads: [Int] = [0, 0, 0, 0], ceilMode: Bool = false,
        countIncludePad: Bool = false, autoPad: AutoPad = .notSet
    ) {
        self.kernelShape = kernelShape
        self.strides = strides
        self.pads = pads
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        self.autoPad = autoPad
    }

    func window(_ x: [Int]) throws -> Window2D {
        try poolWindow(
            x, kernel: kernelShape, strides: strides, pads: pads, dilations: nil,
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
        let planes = x.shape[0] * x.shape[1]
        let planeIn = w.inH * w.inW
        let planeOut = w.outH * w.outW
        var y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], w.outH, w.outW])
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                for p in 0..<planes {
                    let plane = xs.baseAddress! + p * planeIn
                    let out = ys.baseAddress! + p * planeOut
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
        let planes = xShape[0] * xShape[1]
        let planeIn = w.inH * w.inW
        let planeOut = w.outH * w.outW
        var dx = Tensor.zeros(xShape)
        c.outputGradient().withUnsafeBufferPointer { gs in
            dx.withUnsafeMutableBufferPointer { dxs in
                for p in 0..<planes {
                    let g = gs.baseAddress! + p * planeOut
                    let d = dxs.baseAddress! + p * planeIn
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
        let planes = x.shape[0] * x.shape[1]
        let plane = x.count / Swift.max(planes, 1)
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
        let planes = xShape[0] * xShape[1]
        let plane = Tensor.count(of: xShape) / Swift.max(planes, 1)
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
