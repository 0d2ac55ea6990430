import Foundation

/// The convolution kernels of a training step (`Trainer`), for minibatches of im2col convolutions (one group,
/// not 1×1, not on the Winograd path).
///
/// What differs from `Conv`'s per-image path, both measured on the fashion-cnn layers (single-threaded GEMMs):
/// - Forward: each image's output planes start as the bias and the GEMM accumulates onto them (β = 1). With
///   β = 0 OpenBLAS first zeroes the output in a pass of its own, then `addChannelBias` made another one: for
///   conv1 (32 × 784 outputs from K = 9) that zeroing was half the GEMM's time.
/// - Weight gradient: one GEMM per worker over a chunk of its images, dW += dY [M, n·P] · colᵀ [n·P, K], instead
///   of one per image (K = P = 196 for conv2's per-image products; ≈ 12 % less time).
///
/// Only a training step takes this path (`TrainingKernels`): the bias is added before the products instead of
/// after, so an image's output differs in the last bits from the per-image path's, and attribution (occlusion at
/// any batch size) needs exactly that path's bytes. Within training everything stays deterministic: the split of
/// the batch between workers, the chunks and the order in which the workers' partial weight gradients are summed
/// depend only on the shapes and the processor count. No BLAS call runs outside a `BatchParallel` region, so
/// OpenBLAS's own threads stay asleep during training instead of spinning beside the workers.
enum ConvMinibatch {
    /// Upper bound on one worker's column buffer (floats) when its images are unfolded side by side.
    static let columnBudget = 1 << 22
    /// Column length (C·kH·kW) from which the weight gradient sums several images in one GEMM.
    static let batchedGradientMinimumK = 32

    /// Whether a convolution with plan `p` runs here: in a training step, more than one image, one group, a real
    /// window (not 1×1 unpadded), and neither of its passes on the Winograd path.
    static func applies(_ conv: Conv, _ p: Conv.Plan) -> Bool {
        guard p.n > 1, conv.group == 1, !p.window.isPointwise, TrainingKernels.areAllowed else { return false }
        return !Winograd3x3.applies(p.window, group: conv.group, inChannels: p.c, outChannels: p.m)
            && !Winograd3x3.appliesToInputGradient(p.window, group: conv.group, inChannels: p.c, outChannels: p.m)
    }

    /// im2col of one image (`SameWidthColumns` where it applies), rows `rowStride` apart.
    @inline(__always)
    static func unfold(_ x: UnsafePointer<Float>, _ p: Conv.Plan, into col: UnsafeMutablePointer<Float>, rowStride: Int) {
        if SameWidthColumns.apply(p.window) {
            SameWidthColumns.unfold(x, channels: p.c, p.window, into: col, rowStride: rowStride)
        } else {
            im2col(x, channels: p.c, p.window, into: col, rowStride: rowStride)
        }
    }

    /// Y [N, M, outH, outW] = bias + W · im2col(x), per image on the batch's workers.
    static func forward(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ p: Conv.Plan) -> Tensor {
        let win = p.window
        let planeIn = win.inH * win.inW
        let planeOut = p.planeOut
        let k = p.k
        var y = Tensor(uninitializedShape: [p.n, p.m, win.outH, win.outW])
        let cols = ScratchBuffers(count: BatchParallel.workers(for: p.n), size: k * planeOut)
        let biasValues = bias?.scalars
        x.withUnsafeBufferPointer { xs in
            weight.withUnsafeBufferPointer { ws in
                y.withUnsafeMutableBufferPointer { ys in
                    let (xBase, wBase, yBase) = (xs.baseAddress!, ws.baseAddress!, ys.baseAddress!)
                    BatchParallel.run(p.n) { worker, images in
                        for n in images {
                            let yn = yBase + n * p.m * planeOut
                            for channel in 0..<p.m {
                                (yn + channel * planeOut).initialize(repeating: biasValues?[channel] ?? 0, count: planeOut)
                            }
                            unfold(xBase + n * p.c * planeIn, p, into: cols[worker], rowStride: planeOut)
                            BLAS.sgemm(
                                m: p.m, n: planeOut, k: k, a: wBase, lda: k, b: cols[worker], ldb: planeOut,
                                beta: 1, c: yn, ldc: planeOut)
                        }
                    }
                }
            }
        }
        return y
    }

    /// dX (col2im of Wᵀ · dY per image), dW (one GEMM per chunk of a worker's images) and dB (sum of dY).
    static func backward(_ ctx: BackwardContext, _ x: Tensor, _ weight: Tensor, hasBias: Bool, _ p: Conv.Plan)
        -> [Tensor?] {
        let win = p.window
        let dy = ctx.outputGradient()
        let planeIn = win.inH * win.inW
        let planeOut = p.planeOut
        let k = p.k
        let wantX = ctx.needs(0)
        let wantW = ctx.needs(1)
        let db: Tensor? = hasBias && ctx.needs(2) ? dy.sum(alongAxes: [0, 2, 3]) : nil
        guard wantX || wantW else { return [nil, nil, db] }
        var dx = wantX ? Tensor.zeros(x.shape) : Tensor.zeros([0])
        var dw = wantW ? Tensor.zeros(weight.shape) : Tensor.zeros([0])
        let workers = BatchParallel.workers(for: p.n)
        // Images per chunk: the split of each worker's range depends only on the shapes. Short columns (conv1's
        // K = 9) gain nothing from wider products, which would first need dY copied into [M, n·P]: one image each.
        let chunk = k < batchedGradientMinimumK ? 1
            : Swift.max(1, Swift.min((p.n + workers - 1) / workers, columnBudget / Swift.max(k * planeOut, 1)))
        let cols = ScratchBuffers(count: workers, size: k * planeOut * (wantW ? chunk : 1))
        let gradientRows = ScratchBuffers(count: wantW && chunk > 1 ? workers : 0, size: p.m * planeOut * chunk)
        // Workers after the first accumulate their weight gradient separately; summed in worker order at the end.
        let partialWeightGradients = ScratchBuffers(count: wantW ? workers - 1 : 0, size: weight.count, zeroed: true)
        x.withUnsafeBufferPointer { xs in
            weight.withUnsafeBufferPointer { ws in
                dy.withUnsafeBufferPointer { gs in
                    dx.withUnsafeMutableBufferPointer { dxs in
                        dw.withUnsafeMutableBufferPointer { dws in
                            let (xBase, wBase, gBase) = (xs.baseAddress!, ws.baseAddress!, gs.baseAddress!)
                            let (dxBase, dwBase) = (dxs.baseAddress, dws.baseAddress)
                            BatchParallel.run(p.n) { worker, images in
                                let col = cols[worker]
                                if wantW, let dwBase {
                                    let dwTarget = worker == 0 ? dwBase : partialWeightGradients[worker - 1]
                                    for first in stride(from: images.lowerBound, to: images.upperBound, by: chunk) {
                                        let count = Swift.min(chunk, images.upperBound - first)
                                        let width = count * planeOut
                                        if count == 1 {
                                            unfold(xBase + first * p.c * planeIn, p, into: col, rowStride: planeOut)
                                            BLAS.sgemm(
                                                transB: true, m: p.m, n: k, k: planeOut,
                                                a: gBase + first * p.m * planeOut, lda: planeOut, b: col,
                                                ldb: planeOut, beta: 1, c: dwTarget, ldc: k)
                                            continue
                                        }
                                        // Columns [K, count·P] and dY as [M, count·P], image i at column i·P.
                                        let rows = gradientRows[worker]
                                        for i in 0..<count {
                                            unfold(xBase + (first + i) * p.c * planeIn, p, into: col + i * planeOut,
                                                   rowStride: width)
                                            let gi = gBase + (first + i) * p.m * planeOut
                                            for channel in 0..<p.m {
                                                (rows + channel * width + i * planeOut).update(
                                                    from: gi + channel * planeOut, count: planeOut)
                                            }
                                        }
                                        // dW += dY [M, count·P] · colᵀ [count·P, K]
                                        BLAS.sgemm(
                                            transB: true, m: p.m, n: k, k: width, a: rows, lda: width, b: col,
                                            ldb: width, beta: 1, c: dwTarget, ldc: k)
                                    }
                                }
                                if wantX, let dxBase {
                                    for n in images {
                                        // dcol [K, P] = Wᵀ [K, M] · dY_n [M, P], folded back onto dX_n.
                                        BLAS.sgemm(
                                            transA: true, m: k, n: planeOut, k: p.m, a: wBase, lda: k,
                                            b: gBase + n * p.m * planeOut, ldb: planeOut, c: col, ldc: planeOut)
                                        foldBackAdd(col, channels: p.c, win, into: dxBase + n * p.c * planeIn)
                                    }
                                }
                            }
                            if let dwBase {
                                // Element-wise (no BLAS: a long saxpy would wake OpenBLAS's threads).
                                for partial in 0..<partialWeightGradients.count {
                                    let source = partialWeightGradients[partial]
                                    for i in 0..<weight.count { dwBase[i] += source[i] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return [wantX ? dx : nil, wantW ? dw : nil, db]
    }
}

/// im2col and col2im for stride-1, undilated windows whose output rows are as wide as the input's (3×3 pad 1,
/// 5×5 pad 2, …). There the rows one tap (c, kh, kw) reads are consecutive input rows, so its column row is one
/// contiguous copy of the input shifted by kw − padLeft, with the entries that wrapped around a row edge set to 0
/// afterwards — instead of a copy per 14- or 28-float output row, whose call overhead made up most of the
/// unfolding time on fashion-cnn's maps.
enum SameWidthColumns {
    static func apply(_ w: Window2D) -> Bool {
        w.strideH == 1 && w.strideW == 1 && w.dilH == 1 && w.dilW == 1 && w.outW == w.inW
    }

    /// For tap (kh, kw): the output rows that read inside the image, the output columns that do, and the offset
    /// of output (oh, ow)'s input element from oh·outW + ow within the plane.
    @inline(__always)
    private static func tap(_ w: Window2D, kh: Int, kw: Int) -> (rows: Range<Int>, columns: Range<Int>, shift: Int) {
        let rows = Swift.max(0, w.padTop - kh)..<Swift.min(w.outH, w.inH + w.padTop - kh)
        let colShift = kw - w.padLeft
        let columns = Swift.max(0, -colShift)..<Swift.min(w.outW, w.inW - colShift)
        return (rows, columns, (kh - w.padTop) * w.inW + colShift)
    }

    /// Zeroes the entries of `rows` of a tap's [outH, outW] block that lie outside `columns` (read across a row
    /// boundary by the shifted copy).
    @inline(__always)
    private static func zeroOutside(_ columns: Range<Int>, rows: Range<Int>, of block: UnsafeMutablePointer<Float>,
                                    _ w: Window2D) {
        for oh in rows {
            let row = block + oh * w.outW
            for ow in 0..<columns.lowerBound { row[ow] = 0 }
            for ow in columns.upperBound..<w.outW { row[ow] = 0 }
        }
    }

    /// Calls `body(c, row, tap)` for every channel c and tap (kh, kw) of the window: `row` is the tap's row of
    /// the unfolded matrix, (c·kH + kh)·kW + kw, and `tap` its rows, columns and shift (`tap(_:kh:kw:)`).
    @inline(__always)
    private static func forEachTap(channels: Int, _ w: Window2D,
                                   _ body: (_ c: Int, _ row: Int, _ tap: (rows: Range<Int>, columns: Range<Int>, shift: Int)) -> Void) {
        for c in 0..<channels {
            for kh in 0..<w.kH {
                for kw in 0..<w.kW { body(c, (c * w.kH + kh) * w.kW + kw, tap(w, kh: kh, kw: kw)) }
            }
        }
    }

    /// `im2col(x, channels:, w, rows: band, into: col, rowStride: ld)` for windows where `apply(w)`: the same
    /// columns, for all output rows or only those in `band` (one image's convolution cut into bands of rows).
    static func unfold(_ x: UnsafePointer<Float>, channels: Int, _ w: Window2D, rows band: Range<Int>? = nil,
                       into col: UnsafeMutablePointer<Float>, rowStride ld: Int) {
        let planeIn = w.inH * w.inW
        let band = band ?? 0..<w.outH
        // Flat output positions of the band; entry i of a block holds position i + bandStart.
        let (bandStart, bandEnd) = (band.lowerBound * w.outW, band.upperBound * w.outW)
        forEachTap(channels: channels, w) { c, row, tap in
            let (src, dst) = (x + c * planeIn, col + row * ld)
            let rows = tap.rows.clamped(to: band)
            let (columns, shift) = (tap.columns, tap.shift)
            if rows.isEmpty || columns.isEmpty {
                dst.update(repeating: 0, count: bandEnd - bandStart)
                return
            }
            let first = rows.lowerBound * w.outW, end = rows.upperBound * w.outW
            dst.update(repeating: 0, count: first - bandStart)
            // Entries whose input index leaves the plane are wrapped ones (zeroed below anyway).
            let lo = Swift.max(first, -shift), hi = Swift.min(end, planeIn - shift)
            if hi > lo { (dst + lo - bandStart).update(from: src + lo + shift, count: hi - lo) }
            zeroOutside(columns, rows: (rows.lowerBound - band.lowerBound)..<(rows.upperBound - band.lowerBound), of: dst, w)
            (dst + end - bandStart).update(repeating: 0, count: bandEnd - end)
        }
    }

    /// `col2imAdd(col, channels:, w, into: x)` for windows where `apply(w)`; overwrites the wrapped entries of
    /// `col` (scratch) with 0, which then add nothing.
    static func foldAdd(_ col: UnsafeMutablePointer<Float>, channels: Int, _ w: Window2D,
                        into x: UnsafeMutablePointer<Float>) {
        let planeIn = w.inH * w.inW
        let planeOut = w.outH * w.outW
        forEachTap(channels: channels, w) { c, row, tap in
            let (dst, src) = (x + c * planeIn, col + row * planeOut)
            let (rows, columns, shift) = tap
            if rows.isEmpty || columns.isEmpty { return }
            zeroOutside(columns, rows: rows, of: src, w)
            let lo = Swift.max(rows.lowerBound * w.outW, -shift)
            let hi = Swift.min(rows.upperBound * w.outW, planeIn - shift)
            let target = dst + shift
            if hi > lo { for i in lo..<hi { target[i] += src[i] } }
        }
    }
}
