#if canImport(Glibc)
import Glibc
#endif

/// The heap storage behind a `Tensor`: `count` float32 values, owned by exactly one object and freed in `deinit`.
/// Tensors share a buffer until one of them writes (copy-on-write via `isKnownUniquelyReferenced`).
final class TensorBuffer: @unchecked Sendable {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    /// Uninitialised storage: callers must write every element before anyone reads it.
    init(uninitializedCount count: Int) {
        _ = TensorBuffer.heapKeepsFreedStorage
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

    /// Every step of an optimisation allocates and frees the same activations and gradients (megabytes each).
    /// With glibc's defaults the heap top above 2× the largest recent block went back to the system on free and
    /// every page of the next step's tensors was faulted in and zeroed again by the kernel (page faults, page
    /// clearing and unmapping were ≈ 12 % of a style-transfer step). Here blocks up to 256 MB come from the heap
    /// and up to 512 MB of free heap stay mapped for reuse. 512 MB, not less: a batch of ten squeezenet gradients
    /// (integrated gradients, SmoothGrad) frees ≈ 220 MB at its end, and with a 128 MB threshold every batch
    /// faulted all of it in again (≈ 270,000 page faults per 50-step cell). Larger blocks are still mapped and
    /// unmapped each time. (`mallopt` is looked up at run time: Glibc's module map leaves out malloc.h.)
    private static let heapKeepsFreedStorage: Void = {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let (trimThreshold, mmapThreshold): (Int32, Int32) = (-1, -3)  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 256 << 20)
        _ = mallopt(trimThreshold, 512 << 20)
        #endif
    }()
}
