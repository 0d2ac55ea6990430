import Foundation

/// Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray 2016) for 3×3, stride-1, undilated, ungrouped
/// convolutions: each 2×2 output tile costs 16 multiplies per input channel instead of 36, so the GEMM work of
/// the big layers (VGG's, ResNet's 56×56 and 28×28 ones; see `applies`) drops 2.25× against im2col (and PyTorch's
/// direct oneDNN convolution), and no 9×-expanded column buffer is written.
///
/// With Bᵀ, G, Aᵀ the F(2, 3) matrices, a tile's output is Aᵀ[Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B)]A. Over a block of
/// tiles the sum over c is, for each of the 16 transformed positions ξ, one GEMM:
/// M[ξ] [K, tiles] = U[ξ] [K, C] · V[ξ] [C, tiles]. The transforms only add and halve, so the rounding stays
/// of im2col's order (vgg16 logits 1.3e-6 from PyTorch's, input gradient 1.8e-6).
///
/// The input gradient of such a convolution is again one (`inputGradientWeights`): dX = conv(dY, W′) with
/// W′[c, m, i, j] = W[m, c, 2 − i, 2 − j] and pads 2 − pad.
///
/// Work is split into items (image, block of tiles, block of output channels) fixed by the layer's shape alone,
/// each computed on one thread with single-threaded BLAS: an image's result is the same bytes whatever the batch
/// around it and whichever core ran it.
enum Winograd3x3 {
    /// Off: every convolution takes the im2col path, for comparing the two (benchmarks; `FOVEA_WINOGRAD=0` in
    /// the environment). Not for switching while convolutions run.
    nonisolated(unsafe) static var isEnabled = ProcessInfo.processInfo.environment["FOVEA_WINOGRAD"] != "0"

    /// The weights transformed once per call: U[ξ][out][in] for ξ in 0..<16.
    struct Weights {
        var outChannels, inChannels: Int
        var u: [Float]
    }

    /// Whether the forward pass of a convolution with `window` runs here: 3×3, stride 1, undilated, one group,
    /// and big enough that the 16 small GEMMs beat one im2col GEMM. Measured per VGG/SqueezeNet layer (bench/engine
    /// README): ≥ 64 channels each way on maps of ≥ 28×28 outputs win 1.1–3.5×; on 14×14 or with 16–32 channels
    /// im2col is as fast or faster, and keeping those layers on im2col leaves SqueezeNet, AlexNet and fashion-cnn
    /// with exactly the rounding they had (the fragile sign-of-gradient oracles stay as they were).
    static func applies(_ window: Window2D, group: Int, inChannels: Int, outChannels: Int) -> Bool {
        isEnabled && group == 1 && window.kH == 3 && window.kW == 3 && window.strideH == 1 && window.strideW == 1
            && window.dilH == 1 && window.dilW == 1 && inChannels >= 64 && outChannels >= 64
            && window.outH * window.outW >= 784
    }

    /// Whether the input gradient runs here, as the convolution of dY with the rotated weights (same size rule;
    /// the layer's input channels are that convolution's outputs) and pads ≤ 2, so its own pads 2 − pad are
    /// non-negative.
    static func appliesToInputGradient(_ window: Window2D, group: Int, inChannels: Int, outChannels: Int) -> Bool {
        applies(window, group: group, inChannels: outChannels, outChannels: inChannels) && window.padTop <= 2
            && window.padLeft <= 2 && window.padBottom <= 2 && window.padRight <= 2
    }

    /// U = G g Gᵀ for every (out, in) pair of `w` [out, in, 3, 3].
    static func forwardWeights(_ w: UnsafePointer<Float>, outChannels: Int, inChannels: Int) -> Weights {
        transform(w, outChannels: outChannels, inChannels: inChannels, flipTranspose: false)
    }

    /// The weights of the input-gradient convolution: W′[c, m] = W[m, c] rotated by 180°, transformed.
    static func inputGradientWeights(_ w: UnsafePointer<Float>, outChannels: Int, inChannels: Int) -> Weights {
        transform(w, outChannels: outChannels, inChannels: inChannels, flipTranspose: true)
    }

    private static func transform(
        _ w: UnsafePointer<Float>, outChannels m: Int, inChannels c: Int, flipTranspose: Bool
    ) -> Weights {
        // Result channels: forward K = m (reduction over c); flipped, K = c (reduction over m).
        let kOut = flipTranspose ? c : m
        let kIn = flipTranspose ? m : c
        let plane = kOut * kIn
        let u = [Float](unsafeUninitializedCapacity: 16 * plane) { us, initialized in
            let base = us.baseAddress!
            // Element-wise, so any split gives the same bytes; both cores share it (~10 % of a deep layer).
            BatchParallel.run(kOut) { _, outRange in
                for o in outRange {
                    for i in 0..<kIn {
                        transformKernel(
                            flipTranspose ? w + (i * c + o) * 9 : w + (o * c + i) * 9, flip: flipTranspose,
                            into: base + o * kIn + i, plane: plane)
                    }
                }
            }
            initialized = 16 * plane
        }
        return Weights(outChannels: kOut, inChannels: kIn, u: u)
    }

    /// G g Gᵀ of one 3×3 kernel `g` (rotated by 180° when `flip`), written to dst[ξ · plane] for ξ in 0..<16.
    @inline(__always)
    private static func transformKernel(
        _ g: UnsafePointer<Float>, flip: Bool, into dst: UnsafeMutablePointer<Float>, plane: Int
    ) {
        let k0 = flip ? SIMD4(g[8], g[7], g[6], 0) : SIMD4(g[0], g[1], g[2], 0)
        let k1 = flip ? SIMD4(g[5], g[4], g[3], 0) : SIMD4(g[3], g[4], g[5], 0)
        let k2 = flip ? SIMD4(g[2], g[1], g[0], 0) : SIMD4(g[6], g[7], g[8], 0)
        // Gg has rows g0, (g0 + g1 + g2)/2, (g0 − g1 + g2)/2, g2; (Gg)Gᵀ does the same within each row.
        func put(_ r: Int, _ row: SIMD4<Float>) {
            let a = row[0], b = row[1], d = row[2]
            dst[(r * 4) * plane] = a
            dst[(r * 4 + 1) * plane] = 0.5 * (a + b + d)
            dst[(r * 4 + 2) * plane] = 0.5 * (a - b + d)
            dst[(r * 4 + 3) * plane] = d
        }
        put(0, k0)
        put(1, 0.5 * (k0 + k1 + k2))
        put(2, 0.5 * (k0 - k1 + k2))
        put(3, k2)
    }

    /// How one image's tiles and output channels are cut into work items (from the shape alone).
    struct Blocking {
        var tilesH, tilesW, tileBlock, tileBlocks, channelBlock, channelBlocks: Int
        var tiles: Int { tilesH * tilesW }

        init(outH: Int, outW: Int, inChannels: Int, outChannels: Int) {
            tilesH = (outH + 1) / 2
            tilesW = (outW + 1) / 2
            let tiles = tilesH * tilesW
            // At most ~16 MB of transformed input and output per item (bounded scratch), GEMMs ≥ 64 columns wide.
            let target = Swift.min(Swift.max(262_144 / (inChannels + outChannels), 64), 1024)
            tileBlocks = Swift.max(1, (tiles + target - 1) / target)
            if tileBlocks > 1 && tileBlocks % 2 == 1 { tileBlocks += 1 }  // even: the two cores get equal shares
            tileBlock = (tiles + tileBlocks - 1) / tileBlocks
            // A single tile block (small maps): split the output channels so both cores work on one image.
            channelBlocks = tileBlocks == 1 && outChannels >= 64 ? 2 : 1
            channelBlock = (outChannels + channelBlocks - 1) / channelBlocks
        }
    }

    /// y[n, k] = Σ_c x[n, c] ⋆ w[k, c] (3×3 correlation, stride 1) for x [images, C, inH, inW] and
    /// y [images, K, outH, outW]; input outside the image (padding) reads as 0. Overwrites y.
    static func convolve(
        _ x: UnsafePointer<Float>, images: Int, inH: Int, inW: Int, padTop: Int, padLeft: Int,
        weights: Weights, outH: Int, outW: Int, into y: UnsafeMutablePointer<Float>
    ) {
        let c = weights.inChannels
        let k = weights.outChannels
        let blocking = Blocking(outH: outH, outW: outW, inChannels: c, outChannels: k)
        let perImage = blocking.tileBlocks * blocking.channelBlocks
        let items = images * perImage
        // At least two items, so even a single one runs inside a region (single-threaded BLAS, the same bits).
        let slots = Swift.max(items, 2)
        let workers = BatchParallel.workers(for: slots)
        let vSize = 16 * c * blocking.tileBlock
        let mSize = 16 * blocking.channelBlock * blocking.tileBlock
        let rowSize = 8 * (blocking.tilesW + 1)
        let scratch = ScratchBuffers(count: workers, size: vSize + mSize + rowSize)
        weights.u.withUnsafeBufferPointer { us in
            let u = us.baseAddress!
            BatchParallel.run(slots) { worker, range in
                let v = scratch[worker]
                let m = v + vSize
                let rows = m + mSize
                for item in range where item < items {
                    let image = item / perImage
                    let tileBlockIndex = (item % perImage) / blocking.channelBlocks
                    let channelBlockIndex = item % blocking.channelBlocks
                    let firstTile = tileBlockIndex * blocking.tileBlock
                    let tileCount = Swift.min(blocking.tileBlock, blocking.tiles - firstTile)
                    let firstChannel = channelBlockIndex * blocking.channelBlock
                    let channelCount = Swift.min(blocking.channelBlock, k - firstChannel)
                    if tileCount <= 0 || channelCount <= 0 { continue }
                    transformInput(
                        x + image * c * inH * inW, channels: c, inH: inH, inW: inW, padTop: padTop,
                        padLeft: padLeft, tilesW: blocking.tilesW, firstTile: firstTile, tileCount: tileCount,
                        rows: rows, into: v)
                    for xi in 0..<16 {
                        BLAS.sgemm(
                            m: channelCount, n: tileCount, k: c, a: u + xi * k * c + firstChannel * c, lda: c,
                            b: v + xi * c * tileCount, ldb: tileCount,
                            c: m + xi * channelCount * tileCount, ldc: tileCount)
                    }
                    transformOutput(
                        m, channels: channelCount, tileCount: tileCount, firstTile: firstTile,
                        tilesW: blocking.tilesW, outH: outH, outW: outW,
                        into: y + (image * k + firstChannel) * outH * outW)
                }
            }
        }
    }

    /// Calls `body(tileRow, firstColumn, endColumn)` for each row of tiles the block [firstTile, +tileCount)
    /// touches, with the block's tile columns in that row.
    @inline(__always)
    private static func forEachTileRow(
        firstTile: Int, tileCount: Int, tilesW: Int, _ body: (Int, Int, Int) -> Void
    ) {
        let end = firstTile + tileCount
        var row = firstTile / tilesW
        while row * tilesW < end {
            let start = row * tilesW
            body(row, Swift.max(firstTile - start, 0), Swift.min(end - start, tilesW))
            row += 1
        }
    }

    /// V[ξ][c][t] = (Bᵀ d B)[ξ] for the 4×4 input patch d of each tile t of the block (rows 2·ty − padTop …,
    /// columns 2·tx − padLeft …, zero outside the image). Per row of tiles, the 4 input rows are split into even
    /// and odd columns (`rows`: 8 × (tilesW + 1) floats), so that both transforms are element-wise over tx.
    private static func transformInput(
        _ x: UnsafePointer<Float>, channels: Int, inH: Int, inW: Int, padTop: Int, padLeft: Int, tilesW: Int,
        firstTile: Int, tileCount: Int, rows: UnsafeMutablePointer<Float>, into v: UnsafeMutablePointer<Float>
    ) {
        let plane = channels * tileCount
        let width = tilesW + 1
        // Columns e whose pair (2e − padLeft, 2e + 1 − padLeft) lies inside the row.
        let safeLo = (padLeft + 1) / 2
        let safeHi = (inW - 2 + padLeft) >= 0 ? (inW - 2 + padLeft) / 2 : -1
        for ch in 0..<channels {
            let src = x + ch * inH * inW
            forEachTileRow(firstTile: firstTile, tileCount: tileCount, tilesW: tilesW) { tileRow, lo, hi in
                let r0 = tileRow * 2 - padTop
                for r in 0..<4 {
                    let even = rows + 2 * r * width
                    let odd = even + width
                    let ih = r0 + r
                    if ih < 0 || ih >= inH {
                        for e in lo...hi {
                            even[e] = 0
                            odd[e] = 0
                        }
                        continue
                    }
                    let line = src + ih * inW
                    for e in lo...hi {
                        let iw = 2 * e - padLeft
                        if e >= safeLo && e <= safeHi {
                            even[e] = line[iw]
                            odd[e] = line[iw + 1]
                        } else {
                            even[e] = iw >= 0 && iw < inW ? line[iw] : 0
                            odd[e] = iw + 1 >= 0 && iw + 1 < inW ? line[iw + 1] : 0
                        }
                    }
                }
                let e0 = rows, o0 = rows + width, e1 = rows + 2 * width, o1 = rows + 3 * width
                let e2 = rows + 4 * width, o2 = rows + 5 * width, e3 = rows + 6 * width, o3 = rows + 7 * width
                let out = v + ch * tileCount + (tileRow * tilesW - firstTile)
                // Bᵀd (rows d0 − d2, d1 + d2, d2 − d1, d1 − d3) at columns 2tx … 2tx + 3 (even e, odd o at tx and
                // tx + 1), then ·B on each row: (a − c, b + c, c − b, b − d). Eight tiles at a time.
                @inline(__always) func tiles<V: FloatLanes>(_ tx: Int, _: V.Type) {
                    func at(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> V { V.load(p + i) }
                    func put(_ value: V, _ xi: Int) { value.store(to: out + xi * plane + tx) }
                    let ev = (at(e0, tx), at(e1, tx), at(e2, tx), at(e3, tx))
                    let od = (at(o0, tx), at(o1, tx), at(o2, tx), at(o3, tx))
                    let ev1 = (at(e0, tx + 1), at(e1, tx + 1), at(e2, tx + 1), at(e3, tx + 1))
                    let od1 = (at(o0, tx + 1), at(o1, tx + 1), at(o2, tx + 1), at(o3, tx + 1))
                    func row(_ a: V, _ b: V, _ c: V, _ d: V, _ r: Int) {
                        put(a - c, 4 * r)
                        put(b + c, 4 * r + 1)
                        put(c - b, 4 * r + 2)
                        put(b - d, 4 * r + 3)
                    }
                    row(ev.0 - ev.2, od.0 - od.2, ev1.0 - ev1.2, od1.0 - od1.2, 0)
                    row(ev.1 + ev.2, od.1 + od.2, ev1.1 + ev1.2, od1.1 + od1.2, 1)
                    row(ev.2 - ev.1, od.2 - od.1, ev1.2 - ev1.1, od1.2 - od1.1, 2)
                    row(ev.1 - ev.3, od.1 - od.3, ev1.1 - ev1.3, od1.1 - od1.3, 3)
                }
                var tx = lo
                while tx + 8 <= hi {
                    tiles(tx, SIMD8<Float>.self)
                    tx += 8
                }
                while tx < hi {
                    tiles(tx, Float.self)
                    tx += 1
                }
            }
        }
    }

    /// y (2×2 per tile) = Aᵀ M A with Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]; clips the last row/column of tiles
    /// that hang over an odd output extent.
    private static func transformOutput(
        _ m: UnsafePointer<Float>, channels: Int, tileCount: Int, firstTile: Int, tilesW: Int, outH: Int,
        outW: Int, into y: UnsafeMutablePointer<Float>
    ) {
        let plane = channels * tileCount
        let pairs = outW / 2  // tiles whose two columns are both inside the output
        for ch in 0..<channels {
            let dst = y + ch * outH * outW
            forEachTileRow(firstTile: firstTile, tileCount: tileCount, tilesW: tilesW) { tileRow, lo, hi in
                let s = m + ch * tileCount + (tileRow * tilesW - firstTile)
                let line0 = dst + tileRow * 2 * outW
                let line1 = line0 + outW
                let secondRow = tileRow * 2 + 1 < outH
                @inline(__always) func tile<V: FloatLanes>(_ tx: Int, _: V.Type) -> (V, V, V, V) {
                    func at(_ xi: Int) -> V { V.load(s + xi * plane + tx) }
                    // Aᵀ M: rows m0 + m1 + m2 and m1 − m2 − m3; then ·A on each.
                    let m4 = at(4), m5 = at(5), m6 = at(6), m7 = at(7), m8 = at(8), m9 = at(9), m10 = at(10)
                    let m11 = at(11)
                    let t0 = at(0) + m4 + m8, t1 = at(1) + m5 + m9, t2 = at(2) + m6 + m10, t3 = at(3) + m7 + m11
                    let u0 = m4 - m8 - at(12), u1 = m5 - m9 - at(13), u2 = m6 - m10 - at(14), u3 = m7 - m11 - at(15)
                    return (t0 + t1 + t2, t1 - t2 - t3, u0 + u1 + u2, u1 - u2 - u3)
                }
                let full = Swift.max(lo, Swift.min(hi, pairs))
                var tx = lo
                while tx + 8 <= full {
                    let (y00, y01, y10, y11) = tile(tx, SIMD8<Float>.self)
                    for lane in 0..<8 {
                        line0[2 * (tx + lane)] = y00[lane]
                        line0[2 * (tx + lane) + 1] = y01[lane]
                    }
                    if secondRow {
                        for lane in 0..<8 {
                            line1[2 * (tx + lane)] = y10[lane]
                            line1[2 * (tx + lane) + 1] = y11[lane]
                        }
                    }
                    tx += 8
                }
                while tx < full {
                    let (y00, y01, y10, y11) = tile(tx, Float.self)
                    line0[2 * tx] = y00
                    line0[2 * tx + 1] = y01
                    if secondRow {
                        line1[2 * tx] = y10
                        line1[2 * tx + 1] = y11
                    }
                    tx += 1
                }
                // An odd output width: the last tile keeps its left column only.
                for tx in full..<hi {
                    let (y00, _, y10, _) = tile(tx, Float.self)
                    line0[2 * tx] = y00
                    if secondRow { line1[2 * tx] = y10 }
                }
            }
        }
    }
}

/// Floats processed one or eight at a time by the same transform code (unaligned loads and stores).
protocol FloatLanes {
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func load(_ p: UnsafePointer<Float>) -> Self
    func store(to p: UnsafeMutablePointer<Float>)
}

extension Float: FloatLanes {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Float { p.pointee }
    @inline(__always) func store(to p: UnsafeMutablePointer<Float>) { p.pointee = self }
}

extension SIMD8: FloatLanes where Scalar == Float {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) func store(to p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD8<Float>.self)
    }
}
