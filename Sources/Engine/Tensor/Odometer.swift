/// Steps a multi-index over `extents[0...lastAxis]` like an odometer (the last axis fastest, wrapping into the
/// one before). Kernels that run their innermost axis as a tight loop walk the outer axes with it.
@inline(__always)
func advanceOdometer(_ index: inout [Int], extents: [Int], lastAxis: Int) {
    var a = lastAxis
    while a >= 0 {
        index[a] += 1
        if index[a] < extents[a] { return }
        index[a] = 0
        a -= 1
    }
}
