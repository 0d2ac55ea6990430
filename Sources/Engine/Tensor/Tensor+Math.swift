import Foundation

extension Tensor {
    /// e^x element-wise.
    public func exp() -> Tensor { map { expf($0) } }
    /// Natural logarithm element-wise (−∞ at 0, NaN below).
    public func log() -> Tensor { map { logf($0) } }
    /// Square root element-wise (NaN below 0).
    public func sqrt() -> Tensor { map { $0.squareRoot() } }
    /// |x| element-wise.
    public func abs() -> Tensor { map { Swift.abs($0) } }
    /// x² element-wise.
    public func squared() -> Tensor { map { $0 * $0 } }
    /// x^p element-wise.
    public func pow(_ p: Float) -> Tensor { map { powf($0, p) } }
    /// min(max(x, low), high) element-wise.
    public func clamped(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        map { Swift.min(Swift.max($0, low), high) }
    }
    /// max(x, 0) element-wise.
    public func relu() -> Tensor { map { $0 > 0 ? $0 : 0 } }

    /// Euclidean norm of all elements (accumulated in Double).
    public func norm() -> Float {
        withUnsafeBufferPointer { b in Float(b.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()) }
    }

    /// Sum of element-wise products with a same-shaped tensor (accumulated in Double).
    public func dot(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "dot needs equal shapes, got \(shape) and \(other.shape)")
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                var s = 0.0
                for i in 0..<a.count { s += Double(a[i]) * Double(b[i]) }
                return Float(s)
            }
        }
    }

    /// Stacks same-shaped tensors along a new leading axis ([k] + shape).
    public static func stack(_ tensors: [Tensor]) throws -> Tensor {
        guard let first = tensors.first else { throw ShapeError("stack needs at least one tensor") }
        for t in tensors where t.shape != first.shape {
            throw ShapeError("stack needs equal shapes, got \(first.shape) and \(t.shape)")
        }
        return try concatenate(tensors.map { $0.reshaped([1] + $0.shape) }, axis: 0)
    }
}
