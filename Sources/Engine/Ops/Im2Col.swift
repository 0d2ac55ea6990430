/// Unfolds `channels` planes of one image into columns: row (c·kH + kh)·kW + kw, column oh·outW + ow holds
/// x[c, oh·sH − padTop + kh·dH, ow·sW − padLeft + kw·dW] (0 outside). Shape [channels·kH·kW, outH·outW].
/// With `rows`, only output rows oh in `rows` (columns (oh − rows.lowerBound)·outW + ow of a
/// [channels·kH·kW, rows.count·outW] block): one image's convolution split between cores by output rows.
/// Rows of `col` are `rowStride` floats apart (default: the block's width; wider to lay several images'
/// columns side by side).
func im2col(
    _ x: UnsafePointer<Float>, channels: Int, _ w: Window2D, rows: Range<Int>? = nil,
    into col: UnsafeMutablePointer<Float>, rowStride: Int? = nil
) {
    let planeIn = w.inH * w.inW
    let rows = rows ?? 0..<w.outH
    let ld = rowStride ?? rows.count * w.outW
    for c in 0..<channels {
        let src = x + c * planeIn
        for kh in 0..<w.kH {
            for kw in 0..<w.kW {
                let row = col + ((c * w.kH + kh) * w.kW + kw) * ld
                let valid = w.validColumns(kw: kw)
                let colShift = kw * w.dilW - w.padLeft
                for oh in rows {
                    let dst = row + (oh - rows.lowerBound) * w.outW
                    let ih = oh * w.strideH - w.padTop + kh * w.dilH
                    if ih < 0 || ih >= w.inH || valid.isEmpty {
                        dst.update(repeating: 0, count: w.outW)
                        continue
                    }
                    let line = src + ih * w.inW
                    if valid.lowerBound > 0 { dst.update(repeating: 0, count: valid.lowerBound) }
                    if w.strideW == 1 {
                        (dst + valid.lowerBound).update(from: line + valid.lowerBound + colShift, count: valid.count)
                    } else {
                        for ow in valid { dst[ow] = line[ow * w.strideW + colShift] }
                    }
                    if valid.upperBound < w.outW {
                        (dst + valid.upperBound).update(repeating: 0, count: w.outW - valid.upperBound)
                    }
                }
            }
        }
    }
}

/// `col2imAdd`, by plane-long runs where output rows are as wide as input rows (`SameWidthColumns`): the same sums in
/// the same order either way (dX starts at +0, so adding the zeroed wrapped entries of `col` changes nothing).
func foldBackAdd(
    _ col: UnsafeMutablePointer<Float>, channels: Int, _ w: Window2D, into x: UnsafeMutablePointer<Float>
) {
    if SameWidthColumns.apply(w) {
        SameWidthColumns.foldAdd(col, channels: channels, w, into: x)
    } else {
        col2imAdd(col, channels: channels, w, into: x)
    }
}

/// The adjoint of `im2col`: adds each column entry back onto the input position it was read from.
/// `x` must be initialised (typically zeros); entries from padding are dropped.
func col2imAdd(_ col: UnsafePointer<Float>, channels: Int, _ w: Window2D, into x: UnsafeMutablePointer<Float>) {
    let planeIn = w.inH * w.inW
    let planeOut = w.outH * w.outW
    for c in 0..<channels {
        let dstPlane = x + c * planeIn
        for kh in 0..<w.kH {
            for kw in 0..<w.kW {
                let row = col + ((c * w.kH + kh) * w.kW + kw) * planeOut
                let valid = w.validColumns(kw: kw)
                if valid.isEmpty { continue }
                let colShift = kw * w.dilW - w.padLeft
                for oh in 0..<w.outH {
                    let ih = oh * w.strideH - w.padTop + kh * w.dilH
                    if ih < 0 || ih >= w.inH { continue }
                    let src = row + oh * w.outW
                    let line = dstPlane + ih * w.inW
                    if w.strideW == 1 {
                        let base = line + colShift
                        for ow in valid { base[ow] += src[ow] }
                    } else {
                        for ow in valid { line[ow * w.strideW + colShift] += src[ow] }
                    }
                }
            }
        }
    }
}
