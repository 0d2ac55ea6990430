/// A dense float32 array of any rank, stored contiguously in row-major order (images are `[N, C, H, W]`).
///
/// `Tensor` is a value: copies share storage until one of them is mutated (copy-on-write), so passing
/// tensors around is cheap. A rank-0 tensor (`shape == []`) holds one scalar.
/// Integer-valued data (indices, shapes, class labels) is stored as exact floats (exact up to 2^24).
public struct Tensor: @unchecked Sendable {
    /// Extent of each axis; the product is `count`.
    public private(set) var shape: [Int]
    var buffer: TensorBuffer

    /// Wraps `data` (row-major) in a tensor of the given shape.
    /// - Precondition: `data.count` equals the product of `shape` and no extent is negative.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(
            Tensor.count(of: shape) == data.count,
            "shape \(shape) needs \(Tensor.count(of: shape)) values, got \(data.count)")
        self.shape = shape
        buffer = data.withUnsafeBufferPointer { TensorBuffer(copying: $0) }
    }

    /// A tensor of `shape` with every element equal to `value`.
    public init(shape: [Int], repeating value: Float) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        self.shape = shape
        buffer = TensorBuffer(repeating: value, count: Tensor.count(of: shape))
    }

    /// A rank-0 tensor holding `value`.
    public init(scalar value: Float) { self.init(shape: [], repeating: value) }

    /// Uninitialised storage for kernels that overwrite every element (internal: never leaks garbage).
    init(uninitializedShape shape: [Int]) {
        self.shape = shape
        buffer = TensorBuffer(uninitializedCount: Tensor.count(of: shape))
    }

    init(shape: [Int], buffer: TensorBuffer) {
        self.shape = shape
        self.buffer = buffer
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    /// Number of elements (1 for a scalar).
    public var count: Int { buffer.count }

    /// Number of axes.
    public var rank: Int { shape.count }

    /// All elements in row-major order (a copy).
    public var scalars: [Float] { withUnsafeBufferPointer { Array($0) } }

    /// The single element of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar of a tensor with \(count) elements")
        return buffer.pointer[0]
    }

    /// Product of the extents of `shape` (1 for `[]`).
    public static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major strides of `shape` (in elements).
    public static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// Read-only access to the contiguous elements; do not let the pointer escape.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: _pointer, count: _count))
    }

    /// Mutable access to the contiguous elements; copies the storage first if it is shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        _makeUnique()
        return try body(UnsafeMutableBufferPointer(start: _pointer, count: _count))
    }

    @usableFromInline var _pointer: UnsafeMutablePointer<Float> { buffer.pointer }
    @usableFromInline var _count: Int { buffer.count }
    /// Whether writing would not copy (no other tensor shares the storage).
    mutating func isUniquelyReferenced() -> Bool { isKnownUniquelyReferenced(&buffer) }

    @usableFromInline mutating func _makeUnique() {
        if !isKnownUniquelyReferenced(&buffer) { buffer = buffer.copy() }
    }

    /// Element at a full multi-index (one index per axis). Slow: for tests and small tensors.
    public subscript(_ indices: Int...) -> Float {
        get { buffer.pointer[flatIndex(indices)] }
        set {
            let index = flatIndex(indices)
            _makeUnique()
            buffer.pointer[index] = newValue
        }
    }

    func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == shape.count, "need \(shape.count) indices, got \(indices.count)")
        var flat = 0
        for (axis, index) in indices.enumerated() {
            precondition(index >= 0 && index < shape[axis], "index \(index) out of range for axis \(axis)")
            flat = flat * shape[axis] + index
        }
        return flat
    }

    /// True when shapes match exactly and every pair of elements satisfies |a − b| ≤ atol + rtol·|b|.
    public func isClose(to other: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6) -> Bool {
        guard shape == other.shape else { return false }
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                for i in 0..<a.count where !(Swift.abs(a[i] - b[i]) <= atol + rtol * Swift.abs(b[i])) { return false }
                return true
            }
        }
    }
}

extension Tensor: Equatable {
    /// Same shape and bitwise-equal values (NaN ≠ NaN).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && (lhs.buffer === rhs.buffer || lhs.scalars == rhs.scalars)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}
