/// Makes a convolution's outputs bit-identical at neighbouring positions whose input patches are identical.
///
/// In exact arithmetic such outputs are equal, and PyTorch's convolutions (oneDNN vectorises over channels and
/// treats every position alike) compute them equal, so a max pool over a flat region (an image's background,
/// the first layers over a constant border) sees exact ties and routes the gradient to the first position.
/// OpenBLAS's GEMM kernels do not round alike at every position: on AVX2 machines (its Haswell/Zen kernels)
/// the same patch gives results one or more ulps apart in different column blocks, the tie is broken by
/// rounding, and the input gradient moves to another pixel — saliency maps of a trained Fashion-MNIST CNN
/// differed from Captum's by 2–5 % of their maximum. Copying the first position's outputs to every later
/// position of a run of identical patches (left neighbour, else the one above), and merging runs that start
/// apart but hold the same patch, restores exact ties. Patches are compared value for value (padding counts as
/// 0, as in im2col), with an early exit at the first difference, so textured regions cost about one comparison
/// per position; only the first position of each run is hashed.
enum IdenticalPatches {
    /// Unifies one image's output `y` `[M, outH, outW]` (any layout of M planes) computed from `x` `[C, inH, inW]`
    /// by a convolution with window `w` over all C channels (group 1).
    static func unify(_ y: UnsafeMutablePointer<Float>, outputChannels m: Int, input x: UnsafePointer<Float>,
                      channels c: Int, _ w: Window2D) {
        let positions = w.outH * w.outW
        guard positions > 1, m > 0 else { return }
        var source = neighbourTwins(x, c, w)
        guard source.contains(where: { $0 >= 0 }) else { return }
        // Every run to its first position: twins lie earlier in row-major order, so theirs are resolved already.
        for p in 0..<positions where source[p] >= 0 {
            let twin = Int(source[p])
            if source[twin] >= 0 { source[p] = source[twin] }
        }
        // Runs that start apart (the background left and right of an object) meet again in one pooling
        // window further down: map the first position of every run to the first run with the same patch.
        var runStarts: [Int: [Int]] = [:]
        var merged: [Int32: Int32] = [:]
        for start in Set(source.filter { $0 >= 0 }).sorted() {
            let (sh, sw) = (Int(start) / w.outW, Int(start) % w.outW)
            let key = patchHash(x, c, w, sh, sw)
            if let earlier = runStarts[key, default: []].first(where: {
                samePatch(x, c, w, sh, sw, $0 / w.outW, $0 % w.outW)
            }) {
                merged[start] = Int32(earlier)
                source[Int(start)] = Int32(earlier)
            } else {
                runStarts[key, default: []].append(Int(start))
            }
        }
        if !merged.isEmpty {
            for p in 0..<positions where source[p] >= 0 { source[p] = merged[source[p]] ?? source[p] }
        }
        source.withUnsafeBufferPointer { sources in
            BatchParallel.split(m, grain: Swift.max(1, 16_384 / positions)) { channels in
                for channel in channels {
                    let plane = y + channel * positions
                    for p in 0..<positions where sources[p] >= 0 { plane[p] = plane[Int(sources[p])] }
                }
            }
        }
    }

    /// Each output position's identical left (else upper) neighbour, or −1. Independent per position, so the rows
    /// are split between the cores (this scan was ~0.9 ms of a SqueezeNet forward on one core). Pointwise windows
    /// go row by row (`pointwiseTwins`) unless `byPosition`, for tests to compare the two.
    static func neighbourTwins(_ x: UnsafePointer<Float>, _ c: Int, _ w: Window2D, byPosition: Bool = false) -> [Int32] {
        var source = [Int32](repeating: -1, count: w.outH * w.outW)
        source.withUnsafeMutableBufferPointer { twin in
            let twins = twin.baseAddress!
            BatchParallel.split(w.outH, grain: Swift.max(1, 2048 / Swift.max(w.outW, 1))) { rows in
                if w.isPointwise && !byPosition {
                    pointwiseTwins(x, c, w, rows: rows, twins: twins)
                    return
                }
                // First the window's centre tap in channel 0 (inside the input for both positions, else skipped):
                // where it differs, as at most positions of a photograph, the patches differ without a full compare
                // (SqueezeNet's first layer: 125 µs of calls to `samePatch` for 12,321 positions).
                let (centreH, centreW) = ((w.kH / 2) * w.dilH - w.padTop, (w.kW / 2) * w.dilW - w.padLeft)
                @inline(__always) func centre(_ oh: Int, _ ow: Int) -> UInt32? {
                    let (yy, xx) = (oh * w.strideH + centreH, ow * w.strideW + centreW)
                    return yy >= 0 && yy < w.inH && xx >= 0 && xx < w.inW ? x[yy * w.inW + xx].bitPattern : nil
                }
                @inline(__always) func mayMatch(_ a: UInt32?, _ oh: Int, _ ow: Int) -> Bool {
                    guard let a, let b = centre(oh, ow) else { return true }
                    return a == b
                }
                for oh in rows {
                    for ow in 0..<w.outW {
                        let here = centre(oh, ow)
                        if ow > 0, mayMatch(here, oh, ow - 1), samePatch(x, c, w, oh, ow, oh, ow - 1) {
                            twins[oh * w.outW + ow] = Int32(oh * w.outW + ow - 1)
                        } else if oh > 0, mayMatch(here, oh - 1, ow), samePatch(x, c, w, oh, ow, oh - 1, ow) {
                            twins[oh * w.outW + ow] = Int32((oh - 1) * w.outW + ow)
                        }
                    }
                }
            }
        }
        return source
    }

    /// The twins of `rows` for a pointwise window, where a position's patch is its vector of C channels: row by
    /// row, every position's "same as the left / upper neighbour" flags are narrowed channel by channel over
    /// contiguous memory, until no flag is left. The same result as `samePatch` position by position, which
    /// walked the C planes at every position with a strided load per channel (SqueezeNet's squeeze layers on
    /// 55×55: 30–130 µs against 5–20 µs).
    private static func pointwiseTwins(
        _ x: UnsafePointer<Float>, _ c: Int, _ w: Window2D, rows: Range<Int>, twins: UnsafeMutablePointer<Int32>
    ) {
        let width = w.outW
        guard width > 0 else { return }
        let plane = w.inH * w.inW
        let left = UnsafeMutablePointer<UInt8>.allocate(capacity: width)
        let up = UnsafeMutablePointer<UInt8>.allocate(capacity: width)
        defer {
            left.deallocate()
            up.deallocate()
        }
        let bits = UnsafeRawPointer(x).assumingMemoryBound(to: UInt32.self)  // compared as bit patterns
        for oh in rows {
            left.update(repeating: 1, count: width)
            left[0] = 0
            up.update(repeating: oh > 0 ? 1 : 0, count: width)
            for channel in 0..<c {
                let row = bits + channel * plane + oh * w.inW
                var any: UInt8 = 0
                if oh > 0 {
                    let above = row - w.inW
                    for ow in 0..<width {
                        up[ow] &= row[ow] == above[ow] ? 1 : 0
                        any |= up[ow]
                    }
                }
                for ow in 1..<width {
                    left[ow] &= row[ow] == row[ow - 1] ? 1 : 0
                    any |= left[ow]
                }
                if any == 0 { break }
            }
            for ow in 0..<width {
                if left[ow] != 0 {
                    twins[oh * width + ow] = Int32(oh * width + ow - 1)
                } else if up[ow] != 0 {
                    twins[oh * width + ow] = Int32((oh - 1) * width + ow)
                }
            }
        }
    }

    /// A hash of the values output position (oh, ow) sees (padding as 0).
    private static func patchHash(_ x: UnsafePointer<Float>, _ c: Int, _ w: Window2D, _ oh: Int, _ ow: Int) -> Int {
        var hasher = Hasher()
        let plane = w.inH * w.inW
        let (y0, x0) = (oh * w.strideH - w.padTop, ow * w.strideW - w.padLeft)
        for channel in 0..<c {
            for kh in 0..<w.kH {
                let yy = y0 + kh * w.dilH
                for kw in 0..<w.kW {
                    let xx = x0 + kw * w.dilW
                    let v: Float = yy >= 0 && yy < w.inH && xx >= 0 && xx < w.inW ? x[channel * plane + yy * w.inW + xx] : 0
                    hasher.combine(v.bitPattern)
                }
            }
        }
        return hasher.finalize()
    }

    /// Whether output positions (ah, aw) and (bh, bw) see the same input values at every tap.
    private static func samePatch(_ x: UnsafePointer<Float>, _ c: Int, _ w: Window2D,
                                  _ ah: Int, _ aw: Int, _ bh: Int, _ bw: Int) -> Bool {
        let plane = w.inH * w.inW
        let (ay, ax) = (ah * w.strideH - w.padTop, aw * w.strideW - w.padLeft)
        let (by, bx) = (bh * w.strideH - w.padTop, bw * w.strideW - w.padLeft)
        for channel in 0..<c {
            let xc = x + channel * plane
            for kh in 0..<w.kH {
                let (ya, yb) = (ay + kh * w.dilH, by + kh * w.dilH)
                for kw in 0..<w.kW {
                    let (xa, xb) = (ax + kw * w.dilW, bx + kw * w.dilW)
                    let va: Float = ya >= 0 && ya < w.inH && xa >= 0 && xa < w.inW ? xc[ya * w.inW + xa] : 0
                    let vb: Float = yb >= 0 && yb < w.inH && xb >= 0 && xb < w.inW ? xc[yb * w.inW + xb] : 0
                    if va.bitPattern != vb.bitPattern { return false }
                }
            }
        }
        return true
    }
}
