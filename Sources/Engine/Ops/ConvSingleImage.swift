import Foundation

/// One image's convolution (batch 1: saliency, Grad-CAM, style transfer, DeepDream) split between the cores by
/// its own shape, each part a single-threaded GEMM — instead of one GEMM on OpenBLAS's threads, whose workers
/// spend much of a small layer (SqueezeNet's 13×13 and 27×27 fire modules) yielding to each other.
///
/// - Forward: parts are bands of output rows; each unfolds only its rows (im2col), writes the bias into its
///   band and adds the product of all of W with its columns. A pointwise convolution whose weights dwarf its maps
///   (`forwardSplitsChannels`) is cut into bands of output channels instead.
/// - Input gradient: parts are bands of input channels; each computes its rows of Wᵀ·dY and folds them back
///   (col2im) onto its own channels of dX, so no two parts write the same element.
///
/// The parts are fixed by the shape (`singleImageParts`), not by the machine, and each part's GEMM runs on one thread.
/// OpenBLAS's single-threaded kernels round a product differently depending on the M and N of the call (measured
/// for every SqueezeNet shape: splitting a GEMM in two by rows or by columns changes the last bits of many
/// results), so the batch path cuts each of its images into the same parts (`forwardPart`, `inputGradientPart`,
/// run in turn by its worker): an image gives the same bytes alone, in any batch, on any core count.
///
/// Output-gradient channels that are exactly zero everywhere are skipped when at most one channel is nonzero (a
/// single logit's gradient reaching a 1×1 classifier such as SqueezeNet's conv10): the skipped products are
/// exact zeros, so the sum is the same number. (A NaN or infinite weight in a skipped channel would have given
/// NaN there; the skipped path gives the finite value.) With two or more nonzero channels the GEMM runs whole:
/// a shorter sum would be cut into OpenBLAS's K blocks differently and round differently.
extension Conv {
    /// How many parts one image is cut into: the machine's two cores (a fixed count, so the bytes don't depend on
    /// the machine; on one core the parts take turns).
    static let singleImageParts = 2

    /// Off: one image takes the batch path's loop on OpenBLAS's threads, for comparing the two (benchmarks;
    /// `FOVEA_CONV_SINGLE_IMAGE=0` in the environment). Not for switching while convolutions run.
    nonisolated(unsafe) static var singleImageIsEnabled =
        ProcessInfo.processInfo.environment["FOVEA_CONV_SINGLE_IMAGE"] != "0"

    /// Whether a call with plan `p` takes the single-image path.
    func runsAsSingleImage(_ p: Plan) -> Bool {
        Self.singleImageIsEnabled && p.n == 1
    }

    /// The forward's parts: bands of output rows, or of output channels when `forwardSplitsChannels`.
    func forwardParts(_ p: Plan) -> Int {
        Swift.max(1, Swift.min(Self.singleImageParts, forwardSplitsChannels(p) ? p.mg : p.window.outH))
    }

    /// Whether the forward's parts are bands of output channels: a pointwise convolution with at least 4× as many
    /// output channels as positions, such as SqueezeNet's classifier (512 → 1000 on 13×13: 2 MB of weights against
    /// 0.35 MB of input). With row bands both cores streamed all the weights: that GEMM on two cores with cold
    /// caches took 2.27 ms in row bands and 1.30 ms in channel bands (OpenBLAS alone, this machine); for every
    /// other SqueezeNet shape row bands were 5–15 % faster.
    func forwardSplitsChannels(_ p: Plan) -> Bool { p.window.isPointwise && p.mg >= 4 * p.planeOut }
    /// The input gradient's parts: bands of input channels (per group).
    func inputGradientParts(_ p: Plan) -> Int { Swift.max(1, Swift.min(Self.singleImageParts, p.cg)) }
    /// Scratch floats one part needs (either pass).
    func partScratch(_ p: Plan) -> Int {
        let rows = (p.window.outH + forwardParts(p) - 1) / forwardParts(p)
        let channels = (p.cg + inputGradientParts(p) - 1) / inputGradientParts(p)
        return Swift.max(p.k * rows * p.window.outW, channels * p.window.kH * p.window.kW * p.planeOut)
    }

    static func band(_ part: Int, of parts: Int, _ count: Int) -> Range<Int> {
        let size = (count + parts - 1) / parts
        return Swift.min(part * size, count)..<Swift.min((part + 1) * size, count)
    }

    /// Forward of one image (Y [1, M, outH, outW]) by bands of output rows.
    func forwardSingleImage(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ p: Plan, rectified: Bool = false) -> Tensor {
        var y = Tensor(uninitializedShape: [1, p.m, p.window.outH, p.window.outW])
        let parts = forwardParts(p)
        let cols = ScratchBuffers(count: parts, size: partScratch(p))
        let biasValues = bias?.scalars
        x.withUnsafeBufferPointer { xs in
            weight.withUnsafeBufferPointer { ws in
                y.withUnsafeMutableBufferPointer { ys in
                    BatchParallel.runParts(parts) { part in
                        forwardPart(
                            part, of: parts, xs.baseAddress!, ws.baseAddress!, biasValues, ys.baseAddress!, cols[part], p,
                            rectified: rectified)
                    }
                }
            }
        }
        return y
    }

    /// One band of output rows (or channels) of one image (x [C, H, W] → y [M, outH, outW]), bias added, and
    /// rectified (max(y, 0)) when `rectified`, while the band is still in cache; `col` holds `partScratch(p)` floats.
    func forwardPart(
        _ part: Int, of parts: Int, _ xBase: UnsafePointer<Float>, _ wBase: UnsafePointer<Float>, _ bias: [Float]?,
        _ yBase: UnsafeMutablePointer<Float>, _ col: UnsafeMutablePointer<Float>, _ p: Plan, rectified: Bool = false
    ) {
        let win = p.window
        let planeIn = win.inH * win.inW
        let planeOut = p.planeOut
        let k = p.k
        let bandsOfChannels = forwardSplitsChannels(p)
        let rows = bandsOfChannels ? 0..<win.outH : Self.band(part, of: parts, win.outH)
        let channels = bandsOfChannels ? Self.band(part, of: parts, p.mg) : 0..<p.mg
        guard !rows.isEmpty, !channels.isEmpty else { return }
        let width = rows.count * win.outW
        let offset = rows.lowerBound * win.outW
        for g in 0..<group {
            let xg = xBase + g * p.cg * planeIn
            let yg = yBase + (g * p.mg + channels.lowerBound) * planeOut + offset
            let wg = wBase + (g * p.mg + channels.lowerBound) * k
            let b: UnsafePointer<Float>
            let ldb: Int
            if win.isPointwise {
                b = xg + offset
                ldb = planeOut
            } else {
                // The same columns either way; plane-long copies where output rows are as wide as input rows.
                if SameWidthColumns.apply(win) {
                    SameWidthColumns.unfold(xg, channels: p.cg, win, rows: rows, into: col, rowStride: width)
                } else {
                    im2col(xg, channels: p.cg, win, rows: rows, into: col)
                }
                b = UnsafePointer(col)
                ldb = width
            }
            func product(_ bias: UnsafePointer<Float>?) {
                ConvProduct.forward(
                    m: channels.count, n: width, k: k, w: wg, b: b, ldb: ldb, y: yg, ldc: planeOut, bias: bias,
                    rectified: rectified)
            }
            if let bias {
                bias.withUnsafeBufferPointer { product($0.baseAddress! + g * p.mg + channels.lowerBound) }
            } else {
                product(nil)
            }
        }
    }

    /// Whether one image's input gradient is cut by columns of Wᵀ·dY rather than by input channels: for a first
    /// layer's few channels (SqueezeNet's 3 made bands of 2 and 1, one core waiting for the other half the time;
    /// one channel, one core). Only with the own GEMM, whose columns don't depend on the cut: the batch path's
    /// bands give the same bytes.
    func inputGradientSplitsColumns(_ p: Plan) -> Bool {
        ConvProduct.ownIsEnabled && group == 1 && !p.window.isPointwise && p.cg < 4 * Self.singleImageParts
    }

    /// dX [1, C, H, W] of one image from dY [1, M, outH, outW], by bands of input channels.
    func inputGradientSingleImage(_ dy: Tensor, _ weight: Tensor, _ p: Plan) -> Tensor {
        if inputGradientSplitsColumns(p) { return inputGradientByColumns(dy, weight, p) }
        var dx = Tensor(uninitializedShape: [1, p.c, p.window.inH, p.window.inW])
        let parts = inputGradientParts(p)
        let cols = ScratchBuffers(count: parts, size: partScratch(p))
        weight.withUnsafeBufferPointer { ws in
            dy.withUnsafeBufferPointer { gs in
                dx.withUnsafeMutableBufferPointer { dxs in
                    let sparse = sparseRows(gs.baseAddress!, p)
                    BatchParallel.runParts(parts) { part in
                        inputGradientPart(part, of: parts, gs.baseAddress!, ws.baseAddress!, sparse, dxs.baseAddress!, cols[part], p)
                    }
                }
            }
        }
        return dx
    }

    /// `inputGradientSingleImage` in two steps: the columns Wᵀ·dY [C·kH·kW, P] in bands of positions, then each
    /// band of input channels folded back (col2im) onto dX.
    private func inputGradientByColumns(_ dy: Tensor, _ weight: Tensor, _ p: Plan) -> Tensor {
        let win = p.window
        let (planeIn, planeOut, rows) = (win.inH * win.inW, p.planeOut, p.k)
        var dx = Tensor(uninitializedShape: [1, p.c, win.inH, win.inW])
        let parts = Self.singleImageParts
        let scratch = ScratchBuffers(count: 1, size: rows * planeOut)
        let col = scratch[0]
        weight.withUnsafeBufferPointer { ws in
            dy.withUnsafeBufferPointer { gs in
                BatchParallel.runParts(parts) { part in
                    let columns = Self.band(part, of: parts, planeOut)
                    guard !columns.isEmpty else { return }
                    ConvProduct.transposed(
                        m: rows, n: columns.count, k: p.m, a: ws.baseAddress!, lda: rows,
                        b: gs.baseAddress! + columns.lowerBound, ldb: planeOut,
                        c: col + columns.lowerBound, ldc: planeOut)
                }
            }
        }
        dx.withUnsafeMutableBufferPointer { dxs in
            let base = dxs.baseAddress!
            BatchParallel.runParts(Swift.min(parts, p.c)) { part in
                let channels = Self.band(part, of: Swift.min(parts, p.c), p.c)
                let target = base + channels.lowerBound * planeIn
                target.update(repeating: 0, count: channels.count * planeIn)
                let rows = col + channels.lowerBound * win.kH * win.kW * planeOut
                foldBackAdd(rows, channels: channels.count, win, into: target)
            }
        }
        return withExtendedLifetime(scratch) { dx }
    }

    /// Per group of one image's dY [M, outH, outW]: the one nonzero channel (or none) when the rest are exact zeros.
    func sparseRows(_ gBase: UnsafePointer<Float>, _ p: Plan) -> [Int??] {
        (0..<group).map { g in Self.atMostOneNonzeroRow(gBase + g * p.mg * p.planeOut, rows: p.mg, width: p.planeOut) }
    }

    /// One band of input channels of one image's dX [C, H, W] (overwritten) from dY [M, outH, outW].
    func inputGradientPart(
        _ part: Int, of parts: Int, _ gBase: UnsafePointer<Float>, _ wBase: UnsafePointer<Float>, _ sparse: [Int??],
        _ dxBase: UnsafeMutablePointer<Float>, _ col: UnsafeMutablePointer<Float>, _ p: Plan
    ) {
        let win = p.window
        let planeIn = win.inH * win.inW
        let planeOut = p.planeOut
        let k = p.k
        let taps = win.kH * win.kW
        let channels = Self.band(part, of: parts, p.cg)
        guard !channels.isEmpty else { return }
        for g in 0..<group {
            let gg = gBase + g * p.mg * planeOut
            let wg = wBase + g * p.mg * k + channels.lowerBound * taps
            let dxg = dxBase + (g * p.cg + channels.lowerBound) * planeIn
            // dcol [band·taps, P] = W_g[:, band]ᵀ · dY_g, over all M rows or the one nonzero row.
            var a = UnsafePointer(wg)
            var b = UnsafePointer(gg)
            var reduction = p.mg
            switch sparse[g] {
            case .some(.none):
                dxg.update(repeating: 0, count: channels.count * planeIn)
                continue
            case .some(.some(let row)):
                a += row * k
                b += row * planeOut
                reduction = 1
            case .none:
                break
            }
            let rows = channels.count * taps
            if win.isPointwise {
                ConvProduct.transposed(
                    m: rows, n: planeOut, k: reduction, a: a, lda: k, b: b, ldb: planeOut, c: dxg, ldc: planeOut)
            } else {
                ConvProduct.transposed(
                    m: rows, n: planeOut, k: reduction, a: a, lda: k, b: b, ldb: planeOut, c: col, ldc: planeOut)
                dxg.update(repeating: 0, count: channels.count * planeIn)
                foldBackAdd(col, channels: channels.count, win, into: dxg)
            }
        }
    }

    /// `nil` when two or more of the `rows` rows hold a nonzero (or NaN) entry; `.some(nil)` when all are exact
    /// zeros; `.some(r)` when only row r does.
    private static func atMostOneNonzeroRow(_ m: UnsafePointer<Float>, rows: Int, width: Int) -> Int?? {
        var found: Int?
        for r in 0..<rows {
            let row = m + r * width
            // Eight lanes at a time (a NaN is nonzero too): SqueezeNet's classifier gradient is 1000 rows of 169, all
            // but one of them zeros, so this scan reads 169,000 floats to save a 512 × 169 × 1000 product.
            var zero = true
            var j = 0
            while zero && j + 8 <= width {
                zero = !any(UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self) .!= 0)
                j += 8
            }
            while zero && j < width {
                zero = row[j] == 0
                j += 1
            }
            if zero { continue }
            if found != nil { return nil }
            found = r
        }
        return .some(found)
    }
}
