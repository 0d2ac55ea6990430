extension Tensor {
    /// Normalises a possibly negative axis (`-1` is the last) against `rank`, or throws.
    public static func normalizedAxis(_ axis: Int, rank: Int) throws -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 0 && resolved < Swift.max(rank, 1) else {
            throw ShapeError("axis \(axis) is out of range for rank \(rank)")
        }
        return resolved
    }

    /// Same elements with a new shape; one extent may be `-1` (inferred). Shares storage.
    /// - Precondition: the element counts match (use `reshaped(to:)` to get an error instead).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        do { return try reshaped(to: newShape) } catch { preconditionFailure("\(error)") }
    }

    /// Same elements with a new shape; one extent may be `-1`. Throws when counts don't match.
    public func reshaped(to newShape: [Int]) throws -> Tensor {
        var resolved = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            guard known > 0, count % known == 0 else {
                throw ShapeError("cannot reshape \(shape) (\(count) elements) to \(newShape)")
            }
            resolved[hole] = count / known
        }
        guard resolved.allSatisfy({ $0 >= 0 }), Tensor.count(of: resolved) == count else {
            throw ShapeError("cannot reshape \(shape) (\(count) elements) to \(newShape)")
        }
        return Tensor(shape: resolved, buffer: buffer)
    }

    /// Axes permuted: axis `i` of the result is axis `permutation[i]` of this tensor.
    public func transposed(_ permutation: [Int]) throws -> Tensor {
        guard permutation.count == rank, Set(permutation) == Set(0..<rank) else {
            throw ShapeError("permutation \(permutation) is not a permutation of the \(rank) axes")
        }
        if permutation == Array(0..<rank) { return self }
        let own = Tensor.strides(of: shape)
        let outShape = permutation.map { shape[$0] }
        var result = Tensor(uninitializedShape: outShape)
        withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                stridedCopy(
                    from: src.baseAddress!, offset: 0, strides: permutation.map { own[$0] },
                    shape: outShape, to: dst.baseAddress!)
            }
        }
        return result
    }

    /// The 2-D transpose (rank 2 only).
    public var transposed2D: Tensor {
        precondition(rank == 2, "transposed2D needs rank 2, got \(shape)")
        return try! transposed([1, 0])
    }

    /// Elements `range` along `axis` (a copy), with an optional step (> 0).
    public func slice(axis: Int, _ range: Range<Int>, step: Int = 1) throws -> Tensor {
        let axis = try Tensor.normalizedAxis(axis, rank: rank)
        guard range.lowerBound >= 0, range.upperBound <= shape[axis], step > 0 else {
            throw ShapeError("slice \(range) step \(step) is out of bounds for axis \(axis) of \(shape)")
        }
        var outShape = shape
        outShape[axis] = (range.count + step - 1) / step
        var strides = Tensor.strides(of: shape)
        let offset = range.lowerBound * strides[axis]
        strides[axis] *= step
        var result = Tensor(uninitializedShape: outShape)
        withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                stridedCopy(
                    from: src.baseAddress!, offset: offset, strides: strides, shape: outShape,
                    to: dst.baseAddress!)
            }
        }
        return result
    }

    /// Joins tensors along `axis`; all other extents must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw ShapeError("concatenate needs at least one tensor") }
        let axis = try normalizedAxis(axis, rank: first.rank)
        var outShape = first.shape
        outShape[axis] = 0
        for t in tensors {
            guard t.rank == first.rank,
                (0..<t.rank).allSatisfy({ $0 == axis || t.shape[$0] == first.shape[$0] })
            else {
                throw ShapeError("cannot concatenate \(first.shape) and \(t.shape) along axis \(axis)")
            }
            outShape[axis] += t.shape[axis]
        }
        let outer = first.shape[..<axis].reduce(1, *)
        let innerAll = outShape[axis...].reduce(1, *)
        var result = Tensor(uninitializedShape: outShape)
        result.withUnsafeMutableBufferPointer { dst in
            var column = 0
            for t in tensors {
                let block = t.shape[axis...].reduce(1, *)
                t.withUnsafeBufferPointer { src in
                    guard let from = src.baseAddress, let to = dst.baseAddress else { return }
                    copyBlocks(outer, of: block, from: from, stride: block, to: to + column, stride: innerAll)
                }
                column += block
            }
        }
        return result
    }

    /// Splits along `axis` into pieces of the given extents (the adjoint of `concatenate`).
    public func split(axis: Int, sizes: [Int]) throws -> [Tensor] {
        let axis = try Tensor.normalizedAxis(axis, rank: rank)
        guard sizes.reduce(0, +) == shape[axis] else {
            throw ShapeError("split sizes \(sizes) don't add up to extent \(shape[axis]) of axis \(axis)")
        }
        let outer = shape[..<axis].reduce(1, *)
        let innerAll = shape[axis...].reduce(1, *)
        let inner = innerAll / Swift.max(shape[axis], 1)
        var column = 0
        return withUnsafeBufferPointer { src in
            sizes.map { size in
                var piece = shape
                piece[axis] = size
                var out = Tensor(uninitializedShape: piece)
                let block = size * inner
                out.withUnsafeMutableBufferPointer { dst in
                    guard let from = src.baseAddress, let to = dst.baseAddress else { return }
                    copyBlocks(outer, of: block, from: from + column, stride: innerAll, to: to, stride: block)
                }
                column += block
                return out
            }
        }
    }
}

/// Copies `count` blocks of `block` floats, `sourceStride` floats apart in `source`, to blocks `targetStride`
/// apart in `target` (concatenating and splitting along an axis), split between the cores when large: at
/// batch 1 one fire module of SqueezeNet concatenates two 3 MB maps and splits their gradient again. With `gate`
/// (laid out as `target`: a ReLU's forward output) each value is gated by `rule` as it is copied
/// (`RectifiedConcatBackward`).
func copyBlocks(_ count: Int, of block: Int, from source: UnsafePointer<Float>, stride sourceStride: Int,
                to target: UnsafeMutablePointer<Float>, stride targetStride: Int,
                gate: UnsafePointer<Float>? = nil, rule: ReluBackwardRule = .plain) {
    guard count > 0, block > 0 else { return }
    BatchParallel.split(count * block, grain: elementwiseGrain) { range in
        var i = range.lowerBound
        while i < range.upperBound {
            let (b, offset) = i.quotientAndRemainder(dividingBy: block)
            let n = Swift.min(block - offset, range.upperBound - i)
            let (from, to) = (source + b * sourceStride + offset, target + b * targetStride + offset)
            if let gate {
                gatedCopy(from, into: to, by: gate + b * targetStride + offset, 0..<n, rule: rule)
            } else {
                to.update(from: from, count: n)
            }
            i += n
        }
    }
}
