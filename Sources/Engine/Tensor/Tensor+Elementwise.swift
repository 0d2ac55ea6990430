/// The four broadcasting arithmetic operations, chosen outside the hot loop.
public enum BinaryOperation: Sendable {
    case add, subtract, multiply, divide
}

extension Tensor {
    /// Element-wise `self ∘ other` with NumPy broadcasting; throws `ShapeError` when shapes don't broadcast.
    public func combined(with other: Tensor, _ operation: BinaryOperation) throws -> Tensor {
        switch operation {
        case .add: return try binary(other) { $0 + $1 }
        case .subtract: return try binary(other) { $0 - $1 }
        case .multiply: return try binary(other) { $0 * $1 }
        case .divide: return try binary(other) { $0 / $1 }
        }
    }

    @inline(__always)
    func binary(_ other: Tensor, _ f: (Float, Float) -> Float) throws -> Tensor {
        let outShape = try Broadcast.shape(shape, other.shape)
        var result = Tensor(uninitializedShape: outShape)
        let total = result.count
        withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { out in
                    let pa = a.baseAddress!
                    let pb = b.baseAddress!
                    let po = out.baseAddress!
                    if shape == other.shape {
                        for i in 0..<total { po[i] = f(pa[i], pb[i]) }
                    } else if other.count == 1 {
                        let y = pb[0]
                        for i in 0..<total { po[i] = f(pa[i], y) }
                    } else if count == 1 {
                        let x = pa[0]
                        for i in 0..<total { po[i] = f(x, pb[i]) }
                    } else {
                        broadcastLoop(
                            pa, Broadcast.strides(of: shape, broadcastTo: outShape),
                            pb, Broadcast.strides(of: other.shape, broadcastTo: outShape),
                            outShape, po, f)
                    }
                }
            }
        }
        return result
    }

    /// Odometer over the outer axes, tight loop over the last axis (stride 0 or 1 on each side).
    @inline(__always)
    private func broadcastLoop(
        _ pa: UnsafePointer<Float>, _ sa: [Int], _ pb: UnsafePointer<Float>, _ sb: [Int],
        _ outShape: [Int], _ po: UnsafeMutablePointer<Float>,
        _ f: (Float, Float) -> Float
    ) {
        let total = Tensor.count(of: outShape)
        guard total > 0 else { return }
        let inner = outShape.last!
        let ia = sa.last!
        let ib = sb.last!
        let outerRank = outShape.count - 1
        var index = [Int](repeating: 0, count: outerRank)
        var offA = 0
        var offB = 0
        var written = 0
        while written < total {
            let xa = pa + offA
            let xb = pb + offB
            let o = po + written
            for j in 0..<inner { o[j] = f(xa[j * ia], xb[j * ib]) }
            written += inner
            var axis = outerRank - 1
            while axis >= 0 {
                index[axis] += 1
                offA += sa[axis]
                offB += sb[axis]
                if index[axis] < outShape[axis] { break }
                offA -= sa[axis] * outShape[axis]
                offB -= sb[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Applies `f` to every element (a new tensor). Fine for light work; kernels use raw loops.
    @inlinable
    public func map(_ f: (Float) -> Float) -> Tensor {
        var result = self
        result.withUnsafeMutableBufferPointer { out in
            for i in 0..<out.count { out[i] = f(out[i]) }
        }
        return result
    }

    /// Element-wise combination of two tensors of identical shape.
    @inlinable
    public func zipMap(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "zipMap needs equal shapes, got \(shape) and \(other.shape)")
        var result = self
        other.withUnsafeBufferPointer { b in
            result.withUnsafeMutableBufferPointer { out in
                for i in 0..<out.count { out[i] = f(out[i], b[i]) }
            }
        }
        return result
    }

    /// self += other (same shape), in place without allocation when storage is unique.
    public mutating func add(_ other: Tensor) {
        precondition(shape == other.shape, "add needs equal shapes, got \(shape) and \(other.shape)")
        other.withUnsafeBufferPointer { b in
            withUnsafeMutableBufferPointer { a in
                for i in 0..<a.count { a[i] += b[i] }
            }
        }
    }

    /// self += alpha · other (same shape).
    public mutating func add(_ other: Tensor, scaledBy alpha: Float) {
        precondition(shape == other.shape, "add needs equal shapes, got \(shape) and \(other.shape)")
        other.withUnsafeBufferPointer { b in
            withUnsafeMutableBufferPointer { a in
                for i in 0..<a.count { a[i] += alpha * b[i] }
            }
        }
    }

    /// Broadcasting operators; they trap on incompatible shapes (use `combined(with:_:)` to get an error).
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { try! lhs.combined(with: rhs, .add) }
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { try! lhs.combined(with: rhs, .subtract) }
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { try! lhs.combined(with: rhs, .multiply) }
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { try! lhs.combined(with: rhs, .divide) }

    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 + rhs } }
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 - rhs } }
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 * rhs } }
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 / rhs } }
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs * $0 } }
    public static prefix func - (operand: Tensor) -> Tensor { operand.map { -$0 } }
}
