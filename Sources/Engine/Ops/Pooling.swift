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

/// The running maximum of 8 consecutive outputs' windows and, when tracked, the flat input offset of each pick.
private struct WindowMax8 {
    var best: SIMD8<Float>
    var pick: SIMD8<Int32>
    let steps: SIMD8<Int32>

    @inline(__always)
    init(_ v: SIMD8<Float>, offset: Int, steps: SIMD8<Int32>) {
        best = v
        pick = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: offset)) &+ steps
        self.steps = steps
    }

    /// The next tap in row-major order: replaces where `v > best || v is NaN` (the two cannot both hold).
    @inline(__always)
    mutating func consider(_ v: SIMD8<Float>, offset: Int, tracking: Bool) {
        let take = (v .> best) .^ (v .!= v)
        best.replace(with: v, where: take)
        if tracking { pick.replace(with: SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: offset)) &+ steps, where: take) }
    }

    /// Merges the maxima of later taps (`later` scanned taps that all come after this one's in row-major order):
    /// the rule is associative, so rows can be scanned independently and merged in order.
    @inline(__always)
    mutating func merge(_ later: WindowMax8, tracking: Bool) {
        let take = (later.best .> best) .^ (later.best .!= later.best)
        best.replace(with: later.best, where: take)
        if tracking { pick.replace(with: later.pick, where: take) }
    }
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

    /// Output columns whose window lies wholly inside the input's columns (no clipping needed there).
    private func interiorColumns(_ w: Window2D) -> Range<Int> {
        let lo = Swift.min((w.padLeft + w.strideW - 1) / w.strideW, w.outW)
        let lastStart = w.inW - 1 - (w.kW - 1) * w.dilW + w.padLeft
        let hi = lastStart < 0 ? lo : Swift.min(lastStart / w.strideW + 1, w.outW)
        return lo..<Swift.max(lo, hi)
    }

    /// The windows of 8 consecutive interior outputs of one output row, tap by tap in row-major order. At
    /// stride 2 without dilation one load of 16 floats holds two neighbouring taps of all 8 outputs (even and
    /// odd lanes); it reads past the last tap, so `wide` says those floats are inside the buffer.
    @inline(__always)
    private static func scanBlock8(
        _ plane: UnsafePointer<Float>, rows: UnsafeBufferPointer<Int>, kW: Int, dilW: Int, stride s: Int, base: Int,
        wide: Bool, out: UnsafeMutablePointer<Float>, index: UnsafeMutablePointer<Int32>?
    ) {
        let tracking = index != nil
        let steps = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) &* Int32(s)
        var m: WindowMax8
        if s == 2 && dilW == 1 && wide {
            // One row's taps: two per load of 16 floats (even lanes, odd lanes).
            @inline(__always)
            func scanRow(_ row: Int) -> WindowMax8 {
                let offset = row + base
                var loaded = UnsafeRawPointer(plane + offset).loadUnaligned(as: SIMD16<Float>.self)
                var r = WindowMax8(loaded.evenHalf, offset: offset, steps: steps)
                if kW > 1 { r.consider(loaded.oddHalf, offset: offset + 1, tracking: tracking) }
                var kw = 2
                while kw < kW {
                    loaded = UnsafeRawPointer(plane + offset + kw).loadUnaligned(as: SIMD16<Float>.self)
                    r.consider(loaded.evenHalf, offset: offset + kw, tracking: tracking)
                    if kw + 1 < kW { r.consider(loaded.oddHalf, offset: offset + kw + 1, tracking: tracking) }
                    kw += 2
                }
                return r
            }
            m = scanRow(rows[0])
            for k in 1..<rows.count { m.merge(scanRow(rows[k]), tracking: tracking) }
        } else {
            m = WindowMax8(lanes8(plane + rows[0] + base, stride: s), offset: rows[0] + base, steps: steps)
            for (k, row) in rows.enumerated() {
                for kw in (k == 0 ? 1 : 0)..<kW {
                    let offset = row + kw * dilW + base
                    m.consider(lanes8(plane + offset, stride: s), offset: offset, tracking: tracking)
                }
            }
        }
        UnsafeMutableRawPointer(out).storeBytes(of: m.best, as: SIMD8<Float>.self)
        if let index { UnsafeMutableRawPointer(index).storeBytes(of: m.pick, as: SIMD8<Int32>.self) }
    }

    /// The commonest window (AlexNet's, SqueezeNet's, GoogLeNet's 3×3 stride-2 pools) written out: per row two
    /// loads of 16 floats hold its three taps for all 8 outputs (even lanes of the first, odd lanes of the first,
    /// even lanes of the second), and the nine taps are considered in row-major order.
    @inline(__always)
    private static func scan3x3Stride2(
        _ plane: UnsafePointer<Float>, _ row0: Int, _ row1: Int, _ row2: Int, steps: SIMD8<Int32>, tracking: Bool
    ) -> WindowMax8 {
        let a0 = UnsafeRawPointer(plane + row0).loadUnaligned(as: SIMD16<Float>.self)
        let b0 = UnsafeRawPointer(plane + row0 + 2).loadUnaligned(as: SIMD16<Float>.self)
        var m = WindowMax8(a0.evenHalf, offset: row0, steps: steps)
        m.consider(a0.oddHalf, offset: row0 + 1, tracking: tracking)
        m.consider(b0.evenHalf, offset: row0 + 2, tracking: tracking)
        let a1 = UnsafeRawPointer(plane + row1).loadUnaligned(as: SIMD16<Float>.self)
        let b1 = UnsafeRawPointer(plane + row1 + 2).loadUnaligned(as: SIMD16<Float>.self)
        m.consider(a1.evenHalf, offset: row1, tracking: tracking)
        m.consider(a1.oddHalf, offset: row1 + 1, tracking: tracking)
        m.consider(b1.evenHalf, offset: row1 + 2, tracking: tracking)
        let a2 = UnsafeRawPointer(plane + row2).loadUnaligned(as: SIMD16<Float>.self)
        let b2 = UnsafeRawPointer(plane + row2 + 2).loadUnaligned(as: SIMD16<Float>.self)
        m.consider(a2.evenHalf, offset: row2, tracking: tracking)
        m.consider(a2.oddHalf, offset: row2 + 1, tracking: tracking)
        m.consider(b2.evenHalf, offset: row2 + 2, tracking: tracking)
        return m
    }

    /// 8 consecutive outputs' taps src[0], src[s], … (one vector load at stride 1).
    @inline(__always)
    private static func lanes8(_ src: UnsafePointer<Float>, stride s: Int) -> SIMD8<Float> {
        s == 1 ? UnsafeRawPointer(src).loadUnaligned(as: SIMD8<Float>.self)
            : SIMD8(src[0], src[1 * s], src[2 * s], src[3 * s], src[4 * s], src[5 * s], src[6 * s], src[7 * s])
    }

    /// Scans every window of one plane in row-major order, as PyTorch does: the first valid element, then each
    /// later one replaces it when `v > best || v is NaN` — so the pick is the first maximum, or the last NaN.
    /// Interior output columns go eight at a time in vector registers (explicit vectors: scalar selects
    /// compiled to a mispredicted branch per tap), rows narrower than eight and clipped edge windows element by
    /// element. Writes the
    /// maxima to `values` and, when `indices` is given, the flat input index of each pick (−1 for an
    /// all-padding window). `available` counts the floats from `plane` to the end of the input; `rowOffsets` is
    /// scratch for kH offsets.
    @inline(__always)
    private func scanPlane(
        _ plane: UnsafePointer<Float>, available: Int, _ w: Window2D, interior: Range<Int>,
        rowOffsets: UnsafeMutablePointer<Int>, values: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>?
    ) {
        let (inW, s, dilW, padLeft) = (w.inW, w.strideW, w.dilW, w.padLeft)
        for oh in 0..<w.outH {
            let h0 = oh * w.strideH - w.padTop
            let rows = Window2D.validTaps(start: h0, dilation: w.dilH, kernel: w.kH, extent: w.inH)
            let o = values + oh * w.outW
            let index = indices.map { $0 + oh * w.outW }
            if rows.isEmpty {
                for ow in 0..<w.outW {
                    o[ow] = -.infinity
                    index?[ow] = -1
                }
                continue
            }
            for (k, kh) in rows.enumerated() { rowOffsets[k] = (h0 + kh * w.dilH) * inW - padLeft }
            let offsets = UnsafeBufferPointer(start: rowOffsets, count: rows.count)
            let lastTap = (w.kW - 1) * dilW
            var ow = interior.lowerBound
            if interior.count >= 8 && s == 2 && dilW == 1 && w.kW == 3 && rows.count == 3
                && offsets[2] + 2 + interior.upperBound * 2 <= available {
                // SqueezeNet's and AlexNet's pools: the nine taps written out (`scan3x3Stride2`).
                let steps = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
                let (r0, r1, r2) = (offsets[0], offsets[1], offsets[2])
                while ow < interior.upperBound {
                    let start = Swift.min(ow, interior.upperBound - 8)
                    let base = start * 2
                    let m = Self.scan3x3Stride2(plane, r0 + base, r1 + base, r2 + base, steps: steps, tracking: index != nil)
                    UnsafeMutableRawPointer(o + start).storeBytes(of: m.best, as: SIMD8<Float>.self)
                    if let index { UnsafeMutableRawPointer(index + start).storeBytes(of: m.pick, as: SIMD8<Int32>.self) }
                    ow = start + 8
                }
            } else if interior.count >= 8 {
                // Blocks of 8; the last one overlaps the one before (the same picks, written twice) rather than
                // leaving up to 7 columns to the one-lane loop.
                while ow < interior.upperBound {
                    let start = Swift.min(ow, interior.upperBound - 8)
                    Self.scanBlock8(plane, rows: offsets, kW: w.kW, dilW: dilW, stride: s, base: start * s,
                                    wide: offsets[rows.count - 1] + lastTap + (start + 8) * s <= available, out: o + start,
                                    index: index.map { $0 + start })
                    ow = start + 8
                }
            }
            while ow < interior.upperBound {  // rows narrower than a block: the same scan, one lane
                let base = ow * s
                var best = plane[offsets[0] + base], pick = offsets[0] + base
                for (k, row) in offsets.enumerated() {
                    for kw in (k == 0 ? 1 : 0)..<w.kW {
                        let i = row + kw * dilW + base
                        let v = plane[i]
                        if v > best || v != v { (best, pick) = (v, i) }
                    }
                }
                o[ow] = best
                index?[ow] = Int32(pick)
                ow += 1
            }
            // Edge windows, clipped by padding or by ceil mode's last window.
            for side in 0..<2 {  // left edge, then right edge (the interior's columns are not visited)
                for ow in side == 0 ? 0..<interior.lowerBound : interior.upperBound..<w.outW {
                    let w0 = ow * s - padLeft
                    let cols = Window2D.validTaps(start: w0, dilation: dilW, kernel: w.kW, extent: inW)
                    var best = -Float.infinity, pick = -1
                    for kh in rows {
                        let rowStart = (h0 + kh * w.dilH) * inW
                        for kw in cols {
                            let i = rowStart + w0 + kw * dilW
                            let v = plane[i]
                            if pick < 0 || v > best || v != v { (best, pick) = (v, i) }
                        }
                    }
                    o[ow] = best
                    index?[ow] = Int32(pick)
                }
            }
        }
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        [try pool(try inputs.required(0), picks: nil)]
    }

    /// The forward pass keeping each window's pick, so backward scatters instead of scanning every window again.
    public func forwardRecordingState(_ inputs: [Tensor?]) throws -> (outputs: [Tensor], state: (any Sendable)?) {
        let x = try inputs.required(0)
        let w = try window(x.shape)
        guard x.count <= Int(Int32.max) else { return ([try pool(x, picks: nil)], nil) }
        let picks = MaxPoolPicks(count: x.shape[0] * x.shape[1] * w.outH * w.outW)
        return ([try pool(x, picks: picks.pointer)], picks)
    }

    /// Max of every window of x; with `picks`, also the index within its input plane of each output's pick
    /// (the same picks `backward` would find by scanning again).
    private func pool(_ x: Tensor, picks: UnsafeMutablePointer<Int32>?) throws -> Tensor {
        let w = try window(x.shape)
        let planes = x.shape[0] * x.shape[1]
        let planeIn = w.inH * w.inW
        let planeOut = w.outH * w.outW
        let interior = interiorColumns(w)
        var y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], w.outH, w.outW])
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                let xBase = xs.baseAddress!
                let yBase = ys.baseAddress!
                BatchParallel.split(planes, grain: Swift.max(1, 16_384 / Swift.max(planeIn, 1))) { range in
                    let rowOffsets = UnsafeMutablePointer<Int>.allocate(capacity: w.kH)
                    defer { rowOffsets.deallocate() }
                    for p in range {
                        scanPlane(
                            xBase + p * planeIn, available: xs.count - p * planeIn, w, interior: interior,
                            rowOffsets: rowOffsets, values: yBase + p * planeOut, indices: picks.map { $0 + p * planeOut })
                    }
                }
            }
        }
        return y
    }

    public func backward(_ c: BackwardContext) throws -> [Tensor?] { try backward(c, gate: nil) }

    /// The gradient at the input, then — when this pool reads a ReLU's output — gated by that ReLU's backward `rule`
    /// plane by plane while the plane is in cache: the gradient at the ReLU's input, in one pass instead of two
    /// (`RectifiedPoolBackward`). The pool's input is the ReLU's output, active where > 0.
    func backward(_ c: BackwardContext, gate rule: ReluBackwardRule?) throws -> [Tensor?] {
        let x = try c.input(0)
        let w = try window(x.shape)
        precondition(x.count <= Int(Int32.max), "MaxPool input of \(x.count) elements")
        let planes = x.shape[0] * x.shape[1]
        let planeIn = w.inH * w.inW
        let planeOut = w.outH * w.outW
        let interior = interiorColumns(w)
        let recorded = c.state as? MaxPoolPicks
        precondition(recorded == nil || recorded!.count == planes * planeOut, "MaxPool picks of another shape")
        var dx = Tensor(uninitializedShape: x.shape)  // each plane is zeroed by its worker, just before its scatter
        x.withUnsafeBufferPointer { xs in
            c.outputGradient().withUnsafeBufferPointer { gs in
                dx.withUnsafeMutableBufferPointer { dxs in
                    let xBase = xs.baseAddress!
                    let gBase = gs.baseAddress!
                    let dBase = dxs.baseAddress!
                    BatchParallel.split(planes, grain: Swift.max(1, 16_384 / Swift.max(planeIn, 1))) { range in
                        // Without recorded picks (a context built by hand), scan each plane again.
                        let scratch = recorded == nil ? Swift.max(planeOut, 1) : 0
                        let values = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(scratch, 1))
                        let scanned = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(scratch, 1))
                        let rowOffsets = UnsafeMutablePointer<Int>.allocate(capacity: w.kH)
                        defer {
                            values.deallocate()
                            scanned.deallocate()
                            rowOffsets.deallocate()
                        }
                        for p in range {
                            let picks: UnsafePointer<Int32>
                            if let recorded {
                                picks = UnsafePointer(recorded.pointer + p * planeOut)
                            } else {
                                scanPlane(
                                    xBase + p * planeIn, available: xs.count - p * planeIn, w, interior: interior,
                                    rowOffsets: rowOffsets, values: values, indices: scanned)
                                picks = UnsafePointer(scanned)
                            }
                            let g = gBase + p * planeOut
                            let d = dBase + p * planeIn
                            d.update(repeating: 0, count: planeIn)
                            for o in 0..<planeOut where picks[o] >= 0 { d[Int(picks[o])] += g[o] }
                            if let rule { gateGradient(d, by: xBase + p * planeIn, 0..<planeIn, rule: rule) }
                        }
                    }
                }
            }
        }
        return [dx]
    }
    public var backwardReadsOutputs: Bool { false }
}

/// Which input element each output of a recorded MaxPool forward picked: per plane, the flat index within the
/// input plane (−1 for an all-padding window). Immutable once the forward pass has filled it.
final class MaxPoolPicks: @unchecked Sendable {
    let count: Int
    let pointer: UnsafeMutablePointer<Int32>
    init(count: Int) {
        self.count = count
        pointer = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(count, 1))
    }
    deinit { pointer.deallocate() }
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
                let (src, dst) = (xs.baseAddress!, ys.baseAddress!)
                BatchParallel.split(planes, grain: Swift.max(8, elementwiseGrain / Swift.max(plane, 1))) { range in
                    // Eight planes at a time, each summed in order (the same sums as one plane at a time, without
                    // waiting on one addition chain: SqueezeNet's 1000 planes of 169 took 116 µs that way).
                    var p = range.lowerBound
                    while p + 8 <= range.upperBound {
                        var sums = SIMD8<Float>()
                        let first = src + p * plane
                        for j in 0..<plane {
                            var column = SIMD8<Float>()
                            for lane in 0..<8 { column[lane] = first[lane * plane + j] }
                            sums += column
                        }
                        let means = sums / Float(plane)
                        for lane in 0..<8 { dst[p + lane] = means[lane] }
                        p += 8
                    }
                    while p < range.upperBound {
                        var sum: Float = 0
                        for j in 0..<plane { sum += src[p * plane + j] }
                        dst[p] = sum / Float(plane)
                        p += 1
                    }
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
                let (g, dst) = (gs.baseAddress!, dxs.baseAddress!)
                BatchParallel.split(planes, grain: Swift.max(1, elementwiseGrain / Swift.max(plane, 1))) { range in
                    for p in range { (dst + p * plane).update(repeating: g[p] / Float(plane), count: plane) }
                }
            }
        }
        return [dx]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { false }
    public var backwardReadsOutputs: Bool { false }
}
