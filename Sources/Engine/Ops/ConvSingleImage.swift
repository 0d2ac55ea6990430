import Foundation

/// One image's convolution (batch 1: saliency, Grad-CAM, style transfer, DeepDream) split between the cores by
/// its own shape, each part a single-threaded GEMM — instead of one GEMM on OpenBLAS's threads, whose workers
/// spend much of a small layer (SqueezeNet's 13×13 and 27×27 fire modules) yielding to each other.
///
/// - Forward: parts are bands of output rows; each unfolds only its rows (im2col) and multiplies them by all
///   of W, then adds the bias while the band is in cache.
/// - Input gradient: parts are bands of input channels; each computes its rows of Wᵀ·dY and folds them back
///   (col2im) onto its own channels of dX, so no two parts write the same element.
///
/// The parts are fixed by the shape (`singleImageParts`), not by the machine, and each part's GEMM runs on one thread,
/// so an image gives the same bytes on every run, core count and schedule. They are not the bytes of the same
/// image inside a batch (one whole-image GEMM per worker): OpenBLAS's single-threaded kernels round a product
/// differently depending on the M and N of the call (measured for every SqueezeNet shape: splitting a GEMM in two
/// by rows or by columns changes the last bits of many results), as its two-thread GEMMs did before for one image.
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

    /// Off by default: the split rounds differently from the batch path, and the occlusion tests require the
    /// same bytes for every batch size (an image's last batch may hold one image). On with
    /// `FOVEA_CONV_SINGLE_IMAGE=1` in the environment (benchmarks). Not for switching while convolutions run.
    /// To turn it on for good, the batch path must cut each image into the same parts (then every batch size
    /// computes the same GEMM calls).
    nonisolated(unsafe) static var singleImageIsEnabled =
        ProcessInfo.processInfo.environment["FOVEA_CONV_SINGLE_IMAGE"] == "1"

    /// Whether a call with plan `p` takes the single-image path.
    func runsAsSingleImage(_ p: Plan) -> Bool {
        Self.singleImageIsEnabled && p.n == 1
    }

    /// Forward of one image (Y [1, M, outH, outW]) by bands of output rows.
    func forwardSingleImage(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ p: Plan) -> Tensor {
        let win = p.window
        var y = Tensor(uninitializedShape: [1, p.m, win.outH, win.outW])
        let planeIn = win.inH * win.inW
        let planeOut = p.planeOut
        let k = p.k
        let pointwise = win.isPointwise
        let parts = Swift.max(1, Swift.min(Self.singleImageParts, win.outH))
        let bandRows = (win.outH + parts - 1) / parts
        let cols = ScratchBuffers(count: pointwise ? 0 : parts, size: k * bandRows * win.outW)
        x.withUnsafeBufferPointer { xs in
            weight.withUnsafeBufferPointer { ws in
                y.withUnsafeMutableBufferPointer { ys in
                    let xBase = xs.baseAddress!
                    let wBase = ws.baseAddress!
                    let yBase = ys.baseAddress!
                    let biasValues = bias?.scalars
                    BatchParallel.runParts(parts) { part in
                        let rows = Swift.min(part * bandRows, win.outH)..<Swift.min((part + 1) * bandRows, win.outH)
                        guard !rows.isEmpty else { return }
                        let width = rows.count * win.outW
                        let offset = rows.lowerBound * win.outW
                        for g in 0..<group {
                            let xg = xBase + g * p.cg * planeIn
                            let yg = yBase + g * p.mg * planeOut + offset
                            let wg = wBase + g * p.mg * k
                            let b: UnsafePointer<Float>
                            let ldb: Int
                            if pointwise {
                                b = xg + offset
                                ldb = planeOut
                            } else {
                                im2col(xg, channels: p.cg, win, rows: rows, into: cols[part])
                                b = UnsafePointer(cols[part])
                                ldb = width
                            }
                            BLAS.sgemm(m: p.mg, n: width, k: k, a: wg, lda: k, b: b, ldb: ldb, c: yg, ldc: planeOut)
                            if let biasValues {
                                for o in 0..<p.mg {
                                    let value = biasValues[g * p.mg + o]
                                    let row = yg + o * planeOut
                                    for j in 0..<width { row[j] += value }
                                }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// dX [1, C, H, W] of one image from dY [1, M, outH, outW], by bands of input channels.
    func inputGradientSingleImage(_ dy: Tensor, _ weight: Tensor, _ p: Plan) -> Tensor {
        let win = p.window
        let planeIn = win.inH * win.inW
        let planeOut = p.planeOut
        let k = p.k
        let taps = win.kH * win.kW
        let pointwise = win.isPointwise
        var dx = Tensor(uninitializedShape: [1, p.c, win.inH, win.inW])
        let parts = Swift.max(1, Swift.min(Self.singleImageParts, p.cg))
        let bandChannels = (p.cg + parts - 1) / parts
        let cols = ScratchBuffers(count: pointwise ? 0 : parts, size: bandChannels * taps * planeOut)
        weight.withUnsafeBufferPointer { ws in
            dy.withUnsafeBufferPointer { gs in
                dx.withUnsafeMutableBufferPointer { dxs in
                    let wBase = ws.baseAddress!
                    let gBase = gs.baseAddress!
                    let dxBase = dxs.baseAddress!
                    // Per group: the one nonzero output-gradient channel (or none) when the rest are exact zeros.
                    let sparse = (0..<group).map { g in Self.atMostOneNonzeroRow(gBase + g * p.mg * planeOut, rows: p.mg, width: planeOut) }
                    BatchParallel.runParts(parts) { part in
                        let channels = Swift.min(part * bandChannels, p.cg)..<Swift.min((part + 1) * bandChannels, p.cg)
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
                                (dxg).update(repeating: 0, count: channels.count * planeIn)
                                continue
                            case .some(.some(let row)):
                                a += row * k
                                b += row * planeOut
                                reduction = 1
                            case .none:
                                break
                            }
                            let rows = channels.count * taps
                            if pointwise {
                                BLAS.sgemm(
                                    transA: true, m: rows, n: planeOut, k: reduction, a: a, lda: k, b: b,
                                    ldb: planeOut, c: dxg, ldc: planeOut)
                            } else {
                                BLAS.sgemm(
                                    transA: true, m: rows, n: planeOut, k: reduction, a: a, lda: k, b: b,
                                    ldb: planeOut, c: cols[part], ldc: planeOut)
                                dxg.update(repeating: 0, count: channels.count * planeIn)
                                col2imAdd(cols[part], channels: channels.count, win, into: dxg)
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    /// `nil` when two or more of the `rows` rows hold a nonzero (or NaN) entry; `.some(nil)` when all are exact
    /// zeros; `.some(r)` when only row r does.
    private static func atMostOneNonzeroRow(_ m: UnsafePointer<Float>, rows: Int, width: Int) -> Int?? {
        var found: Int?
        for r in 0..<rows {
            let row = m + r * width
            var zero = true
            for j in 0..<width where row[j] != 0 {
                zero = false
                break
            }
            if zero { continue }
            if found != nil { return nil }
            found = r
        }
        return .some(found)
    }
}
