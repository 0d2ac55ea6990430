/// Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray 2016) for 3×3, stride-1, undilated, ungrouped
/// convolutions: each 2×2 output tile costs 16 multiplies per input channel instead of 36, so the GEMM work —
/// all of VGG and SqueezeNet's expand3x3 layers — drops 2.25× against im2col (and PyTorch's direct oneDNN
/// convolution), and no 9×-expanded column buffer is written.
///
/// With Bᵀ, G, Aᵀ the F(2, 3) matrices, a tile's output is Aᵀ[Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B)]A. Over a block of
/// tiles the sum over c is, for each of the 16 transformed positions ξ, one GEMM:
/// M[ξ] [K, tiles] = U[ξ] [K, C] · V[ξ] [C, tiles]. Rounding stays that of a 3×3 dot product (the transforms
/// only add and halve), far inside the oracle tolerances.
///
/// The input gradient of such a convolution is again one (`inputGradientWeights`): dX = conv(dY, W′) with
/// W′[c, m, i, j] = W[m, c, 2 − i, 2 − j] and pads 2 − pad.
///
/// Work is split into items (image, block of tiles, block of output channels) fixed by the layer's shape alone,
/// each computed on one thread with single-threaded BLAS: an image's result is the same bytes whatever the batch
/// around it and whichever core ran it.
enum Winograd3x3 {
    /// Off: every convolution takes the im2col path (benchmarks compare the two; not for concurrent use).
    nonisolated(unsafe) static var isEnabled = true

    /// The weights transformed once per call: U[ξ][out][in] for ξ in 0..<16.
    struct Weights {
        var outChannels, inChannels: Int
        var u: [Float]
    }

    /// Whether `window` (with `inChannels` per group, `group` groups) is a convolution this path computes, and
    /// worth it: the GEMMs' reduction (input channels) must be deep enough to amortise the transforms.
    static func applies(_ window: Window2D, group: Int, inChannels: Int) -> Bool {
        isEnabled && group == 1 && window.kH == 3 && window.kW == 3 && window.strideH == 1 && window.strideW == 1
            && window.dilH == 1 && window.dilW == 1 && inChannels >= 8
    }

    /// Whether the input gradient of `window` can be computed as a Winograd convolution of dY (pads ≤ 2, so the
    /// gradient's own pads 2 − pad are non-negative); `outChannels` is the layer's M (dY's channel count).
    static func appliesToInputGradient(_ window: Window2D, group: Int, outChannels: Int) -> Bool {
        applies(window, group: group, inChannels: outChannels) && window.padTop <= 2 && window.padLeft <= 2
            && window.padBottom <= 2 && window.padRight <= 2
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
        var u = [Float](repeating: 0, count: 16 * kOut * kIn)
        u.withUnsafeMutableBufferPointer { us in
            let plane = kOut * kIn
            for o in 0..<kOut {
                for i in 0..<kIn {
                    let g = flipTranspose ? w + (i * c + o) * 9 : w + (o * c + i) * 9
                    // Kernel rows (rotated by 180° for the gradient), then Gg: rows g0, (g0+g1+g2)/2,
                    // (g0−g1+g2)/2, g2.
                    let k0 = flipTranspose ? SIMD4(g[8], g[7], g[6], 0) : SIMD4(g[0], g[1], g[2], 0)
                    let k1 = flipTranspose ? SIMD4(g[5], g[4], g[3], 0) : SIMD4(g[3], g[4], g[5], 0)
                    let k2 = flipTranspose ? SIMD4(g[2], g[1], g[0], 0) : SIMD4(g[6], g[7], g[8], 0)
                    // (Gg)Gᵀ: the same on each row of Gg.
                    let dst = us.baseAddress! + o * kIn + i
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
            }
        }
        return Weights(outChannels: kOut, inChannels: kIn, u: u)
    }

    /// How one image's tiles and output channels are cut into work items (from the shape alone).
    struct Blocking {
        var tilesH, tilesW, tileBlock, tileBlocks, channelBlock, channelBlocks: Int
        var tiles: Int { tilesH * tilesW }

        init(outH: Int, outW: Int, inChannels: Int, outChannels: Int) {
            tilesH = (outH + 1) / 2
            tilesW = (outW + 1) / 2
            let tiles = tilesH * tilesW
            // ~4 MB of transformed input and output per item: cache-friendly and bounded scratch memory.
            let target = Swift.min(Swift.max(65536 / (inChannels + outChannels), 32), 1024)
            tileBlocks = Swift.max(1, (tiles + target - 1) / target)
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
        let scratch = ScratchBuffers(count: workers, size: vSize + mSize)
        weights.u.withUnsafeBufferPointer { us in
            let u = us.baseAddress!
            BatchParallel.run(slots) { worker, range in
                let v = scratch[worker]
                let m = v + vSize
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
                        into: v)
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

    /// V[ξ][c][t] = (Bᵀ d B)[ξ] for the 4×4 input patch d of each tile t of the block (rows 2·ty − padTop …,
    /// columns 2·tx − padLeft …, zero outside the image).
    private static func transformInput(
        _ x: UnsafePointer<Float>, channels: Int, inH: Int, inW: Int, padTop: Int, padLeft: Int, tilesW: Int,
        firstTile: Int, tileCount: Int, into v: UnsafeMutablePointer<Float>
    ) {
        let plane = channels * tileCount
        var d = (
            Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0),
            Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0)
        )
        for ch in 0..<channels {
            let src = x + ch * inH * inW
            let dst = v + ch * tileCount
            for t in 0..<tileCount {
                let tile = firstTile + t
                let r0 = (tile / tilesW) * 2 - padTop
                let c0 = (tile % tilesW) * 2 - padLeft
                withUnsafeMutableBytes(of: &d) { raw in
                    let p = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                    if r0 >= 0 && c0 >= 0 && r0 + 4 <= inH && c0 + 4 <= inW {
                        for r in 0..<4 {
                            let line = src + (r0 + r) * inW + c0
                            p[r * 4] = line[0]
                            p[r * 4 + 1] = line[1]
                            p[r * 4 + 2] = line[2]
                            p[r * 4 + 3] = line[3]
                        }
                    } else {
                        for r in 0..<4 {
                            let ih = r0 + r
                            for col in 0..<4 {
                                let iw = c0 + col
                                p[r * 4 + col] = ih >= 0 && ih < inH && iw >= 0 && iw < inW ? src[ih * inW + iw] : 0
                            }
                        }
                    }
                    // Bᵀ d: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3; then the same on columns.
                    let row0 = SIMD4(p[0], p[1], p[2], p[3])
                    let row1 = SIMD4(p[4], p[5], p[6], p[7])
                    let row2 = SIMD4(p[8], p[9], p[10], p[11])
                    let row3 = SIMD4(p[12], p[13], p[14], p[15])
                    store(row0 - row2, at: dst + t, plane: plane)
                    store(row1 + row2, at: dst + 4 * plane + t, plane: plane)
                    store(row2 - row1, at: dst + 8 * plane + t, plane: plane)
                    store(row1 - row3, at: dst + 12 * plane + t, plane: plane)
                }
            }
        }
    }

    /// One row q of Bᵀd times B: q0 − q2, q1 + q2, q2 − q1, q1 − q3, to four planes.
    @inline(__always)
    private static func store(_ q: SIMD4<Float>, at o: UnsafeMutablePointer<Float>, plane: Int) {
        o[0] = q[0] - q[2]
        o[plane] = q[1] + q[2]
        o[2 * plane] = q[2] - q[1]
        o[3 * plane] = q[1] - q[3]
    }

    /// y (2×2 per tile) = Aᵀ M A with Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]; clips the last row/column of tiles
    /// that hang over an odd output extent.
    private static func transformOutput(
        _ m: UnsafePointer<Float>, channels: Int, tileCount: Int, firstTile: Int, tilesW: Int, outH: Int,
        outW: Int, into y: UnsafeMutablePointer<Float>
    ) {
        let plane = channels * tileCount
        for ch in 0..<channels {
            let src = m + ch * tileCount
            let dst = y + ch * outH * outW
            for t in 0..<tileCount {
                let tile = firstTile + t
                let oh = (tile / tilesW) * 2
                let ow = (tile % tilesW) * 2
                let s = src + t
                let r0 = SIMD4(s[0], s[plane], s[2 * plane], s[3 * plane])
                let r1 = SIMD4(s[4 * plane], s[5 * plane], s[6 * plane], s[7 * plane])
                let r2 = SIMD4(s[8 * plane], s[9 * plane], s[10 * plane], s[11 * plane])
                let r3 = SIMD4(s[12 * plane], s[13 * plane], s[14 * plane], s[15 * plane])
                let top = r0 + r1 + r2
                let bottom = r1 - r2 - r3
                let y00 = top[0] + top[1] + top[2]
                let y01 = top[1] - top[2] - top[3]
                let y10 = bottom[0] + bottom[1] + bottom[2]
                let y11 = bottom[1] - bottom[2] - bottom[3]
                let line = dst + oh * outW + ow
                if oh + 1 < outH && ow + 1 < outW {
                    line[0] = y00
                    line[1] = y01
                    line[outW] = y10
                    line[outW + 1] = y11
                } else {
                    line[0] = y00
                    if ow + 1 < outW { line[1] = y01 }
                    if oh + 1 < outH {
                        line[outW] = y10
                        if ow + 1 < outW { line[outW + 1] = y11 }
                    }
                }
            }
        }
    }
}
