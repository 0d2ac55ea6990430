/// Raised when shapes cannot be combined (broadcast, reshape, concat, matmul…). Carries a readable reason.
public struct ShapeError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// NumPy broadcasting: shapes are right-aligned; each pair of extents must be equal or one of them 1.
public enum Broadcast {
    /// The broadcast shape of `a` and `b`, or a `ShapeError` naming both shapes.
    public static func shape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if x == y || y == 1 {
                result[i] = x
            } else if x == 1 {
                result[i] = y
            } else {
                throw ShapeError("shapes \(a) and \(b) cannot be broadcast together")
            }
        }
        return result
    }

    /// Strides for reading a tensor of `shape` as if it had `target` shape (0 on broadcast axes).
    static func strides(of shape: [Int], broadcastTo target: [Int]) -> [Int] {
        let own = Tensor.strides(of: shape)
        let lead = target.count - shape.count
        return (0..<target.count).map { i in
            i < lead || shape[i - lead] == 1 ? 0 : own[i - lead]
        }
    }
}

extension Tensor {
    /// This tensor repeated along broadcast axes to `target` shape (a copy; shares storage when equal).
    public func broadcast(to target: [Int]) throws -> Tensor {
        if shape == target { return self }
        let combined = try Broadcast.shape(shape, target)
        guard combined == target else { throw ShapeError("cannot broadcast \(shape) to \(target)") }
        var result = Tensor(uninitializedShape: target)
        let strides = Broadcast.strides(of: shape, broadcastTo: target)
        withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                stridedCopy(from: src.baseAddress!, offset: 0, strides: strides, shape: target, to: dst.baseAddress!)
            }
        }
        return result
    }

    /// Sums over the axes along which `shape` was broadcast to give this tensor's shape: the adjoint of
    /// `broadcast(to:)`, used to route gradients of broadcasting ops back to their inputs.
    public func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = shape.count - target.count
        precondition(lead >= 0, "cannot reduce \(shape) to \(target)")
        var axes: [Int] = Array(0..<lead)
        for i in 0..<target.count where target[i] == 1 && shape[i + lead] != 1 { axes.append(i + lead) }
        return sum(alongAxes: axes, keepingDimensions: true).reshaped(target)
    }
}
