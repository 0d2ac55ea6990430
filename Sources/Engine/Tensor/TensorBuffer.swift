/// The heap storage behind a `Tensor`: `count` float32 values, owned by exactly one object and freed in `deinit`.
/// Tensors share a buffer until one of them writes (copy-on-write via `isKnownUniquelyReferenced`).
final class TensorBuffer: @unchecked Sendable {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    /// Uninitialised storage: callers must write every element before anyone reads it.
    init(uninitializedCount count: Int) {
        self.count = count
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
    }

    convenience init(repeating value: Float, count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    convenience init(copying source: UnsafeBufferPointer<Float>) {
        self.init(uninitializedCount: source.count)
        if let base = source.baseAddress { pointer.initialize(from: base, count: source.count) }
    }

    func copy() -> TensorBuffer {
        TensorBuffer(copying: UnsafeBufferPointer(start: pointer, count: count))
    }

    deinit { pointer.deallocate() }
}
