extension Tensor {
    /// Splits the shape around a sorted set of reduced axes after moving them last; returns the tensor
    /// laid out as [kept…, reduced…] plus the kept shape and the reduced element count.
    private func movingAxesLast(_ axes: [Int]) throws -> (Tensor, keptCount: Int, reducedCount: Int) {
        let reduced = Set(try axes.map { try Tensor.normalizedAxis($0, rank: rank) })
        let kept = (0..<rank).filter { !reduced.contains($0) }
        let order = kept + reduced.sorted()
        let moved = try transposed(order)
        let reducedCount = reduced.map { shape[$0] }.reduce(1, *)
        return (moved, kept.map { shape[$0] }.reduce(1, *), reducedCount)
    }

    private func reducedShape(_ axes: [Int], keepingDimensions: Bool) -> [Int] {
        let reduced = Set(axes.map { $0 < 0 ? $0 + rank : $0 })
        if keepingDimensions { return shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element } }
        return shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
    }

    @inline(__always)
    private func reduce(
        _ axes: [Int], keepingDimensions: Bool, initial: Float,
        _ combine: (Float, Float) -> Float
    ) -> Tensor {
        let (moved, keptCount, reducedCount) = try! movingAxesLast(axes)
        var result = Tensor(uninitializedShape: reducedShape(axes, keepingDimensions: keepingDimensions))
        moved.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                for k in 0..<keptCount {
                    var acc = initial
                    let row = src.baseAddress! + k * reducedCount
                    for r in 0..<reducedCount { acc = combine(acc, row[r]) }
                    dst[k] = acc
                }
            }
        }
        return result
    }

    /// Sum over `axes` (negative allowed); the result drops those axes unless `keepingDimensions`.
    /// When the kept axes are adjacent (a bias gradient: [N, C, H, W] summed over N, H and W) the tensor is read
    /// in place as [outer, kept, inner], without the transposed copy the general path makes.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        guard let block = try? keptBlock(axes) else {
            return reduce(axes, keepingDimensions: keepingDimensions, initial: 0, +)
        }
        var result = Tensor(uninitializedShape: reducedShape(axes, keepingDimensions: keepingDimensions))
        withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                Tensor.sumAroundBlock(src.baseAddress!, block, into: dst.baseAddress!)
            }
        }
        return result
    }

    /// (outer, kept, inner) extents when the axes not in `axes` form one contiguous run; nil otherwise.
    private func keptBlock(_ axes: [Int]) throws -> (outer: Int, kept: Int, inner: Int)? {
        let reduced = Set(try axes.map { try Tensor.normalizedAxis($0, rank: rank) })
        let kept = (0..<rank).filter { !reduced.contains($0) }
        guard let first = kept.first, let last = kept.last else { return (1, 1, count) }
        guard last - first + 1 == kept.count else { return nil }
        let product = { (r: Range<Int>) in self.shape[r].reduce(1, *) }
        return (product(0..<first), product(first..<(last + 1)), product((last + 1)..<rank))
    }

    /// out[k] = Σ_o Σ_i x[o, k, i], rows summed eight lanes at a time (a fixed order: same inputs, same bits).
    private static func sumAroundBlock(
        _ x: UnsafePointer<Float>, _ block: (outer: Int, kept: Int, inner: Int), into out: UnsafeMutablePointer<Float>
    ) {
        let (outer, kept, inner) = block
        out.update(repeating: 0, count: kept)
        if inner == 1 {
            for o in 0..<outer {
                let row = x + o * kept
                for k in 0..<kept { out[k] += row[k] }
            }
            return
        }
        let vectorEnd = inner & ~7
        for o in 0..<outer {
            for k in 0..<kept {
                let row = x + (o * kept + k) * inner
                var lanes = SIMD8<Float>(repeating: 0)
                var i = 0
                while i < vectorEnd {
                    lanes += UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self)
                    i += 8
                }
                var total = lanes.sum()
                while i < inner {
                    total += row[i]
                    i += 1
                }
                out[k] += total
            }
        }
    }

    /// Mean over `axes`.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let n = axes.map { shape[$0 < 0 ? $0 + rank : $0] }.reduce(1, *)
        return sum(alongAxes: axes, keepingDimensions: keepingDimensions) * (1 / Float(Swift.max(n, 1)))
    }

    /// Maximum over `axes`.
    public func max(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        reduce(axes, keepingDimensions: keepingDimensions, initial: -.infinity) { Swift.max($0, $1) }
    }

    /// Sum of all elements, accumulated in Double.
    public func sum() -> Float {
        withUnsafeBufferPointer { b in Float(b.reduce(0.0) { $0 + Double($1) }) }
    }

    /// Mean of all elements.
    public func mean() -> Float { count == 0 ? .nan : sum() / Float(count) }

    /// Largest element (−∞ for an empty tensor).
    public func max() -> Float { withUnsafeBufferPointer { $0.reduce(-.infinity) { Swift.max($0, $1) } } }

    /// Smallest element (+∞ for an empty tensor).
    public func min() -> Float { withUnsafeBufferPointer { $0.reduce(.infinity) { Swift.min($0, $1) } } }

    /// Index of the largest element along the last axis, for each row (first index wins ties).
    public func argmaxLastAxis() -> [Int] {
        guard let width = shape.last, width > 0 else { return [] }
        let rows = count / width
        return withUnsafeBufferPointer { b in
            (0..<rows).map { r in
                var best = 0
                for j in 1..<width where b[r * width + j] > b[r * width + best] { best = j }
                return best
            }
        }
    }
}
