/// A rectangle of an activation map's spatial axes: rows `top..<bottom`, columns `left..<right`.
/// Incremental inference tracks, per value, the box an occluding window can have changed.
struct ActivationBox: Equatable, Sendable {
    var top, left, bottom, right: Int

    var height: Int { bottom - top }
    var width: Int { right - left }

    /// The smallest box holding both (an empty box adds nothing).
    func union(_ other: ActivationBox) -> ActivationBox {
        if other.height <= 0 || other.width <= 0 { return self }
        if height <= 0 || width <= 0 { return other }
        return ActivationBox(top: min(top, other.top), left: min(left, other.left),
                             bottom: max(bottom, other.bottom), right: max(right, other.right))
    }

    /// The outputs of a sliding window that read any element of this input box (contiguous, so a dilated
    /// window's gaps are included: recomputing an unchanged output is harmless), clipped to the output map.
    func through(_ w: Window2D) -> ActivationBox {
        func axis(_ lo: Int, _ hi: Int, _ k: Int, _ s: Int, _ d: Int, _ pad: Int, _ out: Int) -> (Int, Int) {
            guard hi > lo else { return (0, 0) }
            // Output o reads inputs o·s − pad … o·s − pad + (k − 1)·d.
            let first = ceilDivide(lo + pad - (k - 1) * d, s)
            let last = floorDivide(hi - 1 + pad, s)
            let a = max(0, first), b = min(out, last + 1)
            return b > a ? (a, b) : (0, 0)
        }
        let (t, b) = axis(top, bottom, w.kH, w.strideH, w.dilH, w.padTop, w.outH)
        let (l, r) = axis(left, right, w.kW, w.strideW, w.dilW, w.padLeft, w.outW)
        return ActivationBox(top: t, left: l, bottom: b, right: r)
    }

    /// This box grown (or moved inward, at the map's border) to exactly `height` × `width` within a
    /// `mapHeight` × `mapWidth` map, so every occluded copy's box has the same size and copies batch.
    func extended(toHeight height: Int, width: Int, mapHeight: Int, mapWidth: Int) -> ActivationBox {
        let t = max(0, min(top, mapHeight - height)), l = max(0, min(left, mapWidth - width))
        return ActivationBox(top: t, left: l, bottom: t + height, right: l + width)
    }
}

private func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
private func ceilDivide(_ a: Int, _ b: Int) -> Int { -floorDivide(-a, b) }

/// One occluded copy's version of a value: the unoccluded activation `clean` (row `row` of `[N, C, H, W]`)
/// with the copy's recomputed box (`region`, image `index` of `[B, C, boxH, boxW]`) pasted at `box`.
struct PatchedActivation {
    var row: Int
    var index: Int
    var box: ActivationBox
}

/// Crops of patched activations, `[copies, C, height, width]`: copy k's crop starts at `origins[k]`
/// (row, column), which may lie outside the map, where `pad` is written (a convolution's zero padding,
/// −∞ for max pooling). With origin (0, 0) and the map's size this materialises the whole patched map.
func gatherCrops(
    clean: Tensor, region: Tensor?, copies: [PatchedActivation], origins: [(Int, Int)],
    height: Int, width: Int, pad: Float
) -> Tensor {
    let (channels, mapH, mapW) = (clean.shape[1], clean.shape[2], clean.shape[3])
    var out = Tensor(uninitializedShape: [copies.count, channels, height, width])
    let plane = mapH * mapW
    clean.withUnsafeBufferPointer { cs in
        (region ?? Tensor.zeros([0])).withUnsafeBufferPointer { rs in
            out.withUnsafeMutableBufferPointer { os in
                for (k, copy) in copies.enumerated() {
                    let (top, left) = origins[k]
                    let box = copy.box
                    // Columns of the crop inside the map, and of those, inside the box.
                    let lo = max(0, left), hi = min(mapW, left + width)
                    let boxLo = max(lo, box.left), boxHi = min(hi, box.right)
                    let boxPlane = box.height * box.width
                    for ch in 0..<channels {
                        let source = cs.baseAddress! + (copy.row * channels + ch) * plane
                        let destination = os.baseAddress! + (k * channels + ch) * height * width
                        for yy in 0..<height {
                            let y = top + yy
                            let d = destination + yy * width
                            guard y >= 0, y < mapH, hi > lo else {
                                d.update(repeating: pad, count: width)
                                continue
                            }
                            if lo > left { d.update(repeating: pad, count: lo - left) }
                            if left + width > hi { (d + (hi - left)).update(repeating: pad, count: left + width - hi) }
                            (d + (lo - left)).update(from: source + y * mapW + lo, count: hi - lo)
                            if y >= box.top, y < box.bottom, boxHi > boxLo, let r = rs.baseAddress {
                                let boxRow = r + (copy.index * channels + ch) * boxPlane + (y - box.top) * box.width
                                (d + (boxLo - left)).update(from: boxRow + (boxLo - box.left), count: boxHi - boxLo)
                            }
                        }
                    }
                }
            }
        }
    }
    return out
}
