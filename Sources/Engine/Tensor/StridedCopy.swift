/// Gathers a strided view into contiguous row-major storage: element `i` of the result is read from
/// `source[offset + Σ index_k · strides[k]]`. One routine serves transpose, slice and broadcast-expand;
/// the innermost axis runs as a tight loop, the outer axes advance like an odometer.
@inline(__always)
func stridedCopy(
    from source: UnsafePointer<Float>, offset: Int, strides: [Int], shape: [Int],
    to destination: UnsafeMutablePointer<Float>
) {
    let total = Tensor.count(of: shape)
    guard total > 0 else { return }
    guard let inner = shape.last else {
        destination[0] = source[offset]
        return
    }
    let innerStride = strides[strides.count - 1]
    let outerRank = shape.count - 1
    var index = [Int](repeating: 0, count: outerRank)
    var base = offset
    var written = 0
    while written < total {
        let src = source + base
        let dst = destination + written
        if innerStride == 1 {
            dst.update(from: src, count: inner)
        } else if innerStride == 0 {
            dst.update(repeating: src[0], count: inner)
        } else {
            for j in 0..<inner { dst[j] = src[j * innerStride] }
        }
        written += inner
        // Advance the odometer over the outer axes.
        var axis = outerRank - 1
        while axis >= 0 {
            index[axis] += 1
            base += strides[axis]
            if index[axis] < shape[axis] { break }
            base -= strides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}
