import Foundation

/// Splits a batch of images between the machine's cores. While the workers run, OpenBLAS is set to one
/// thread each (no oversubscription); a single image keeps OpenBLAS's own threading instead.
///
/// OpenBLAS's thread count is process-global (0.3.21, Debian's, has no per-call `openblas_set_num_threads_local`)
/// and GEMM results do depend on it for some shapes (`BLASThreadingTests`). So the count is switched only under a
/// process-wide read-write lock: a batch-parallel region holds it exclusively, and every GEMM outside a region
/// holds it shared (`BLAS.sgemm` goes through `outsideRegions`). Two graphs running at once — suites of one
/// `swift test` process, or two verbs — then compute exactly what they compute alone, and overlapping regions no
/// longer interleave their save/restore (which used to leave the count stuck at 1).
enum BatchParallel {
    /// Exclusive for a switched region, shared by GEMMs outside regions.
    private static let region = ReadWriteLock()
    /// Set on the threads of a region (its caller and workers): a nested `run` works inline rather than waiting
    /// for the lock its own region holds.
    private static let insideRegion = ThreadLocalFlag()

    /// The active processor count, read once: Foundation reads a cgroup file on every query (≈ 80 queries per
    /// DeepDream step, 3–4 % of it).
    private static let cores = ProcessInfo.processInfo.activeProcessorCount

    /// Worker count for a batch of `n` (at most the active processor count, at most `n`).
    static func workers(for n: Int) -> Int {
        Swift.max(1, Swift.min(n, cores))
    }

    /// Calls `body(worker, images)` for contiguous, disjoint ranges covering 0..<n; the split depends only on `n`
    /// and the processor count, so results are the same whatever else the process is doing.
    static func run(_ n: Int, _ body: (Int, Range<Int>) -> Void) {
        let count = workers(for: n)
        if count <= 1 {
            body(0, 0..<n)
            return
        }
        if insideRegion.isSet {
            for w in 0..<count { body(w, (w * n / count)..<((w + 1) * n / count)) }
            return
        }
        withBLASThreads(1) {
            SpinningWorkers.shared.perform(count) { w in
                insideRegion.withSet { body(w, (w * n / count)..<((w + 1) * n / count)) }
            }
        }
    }

    /// Calls `body(part)` for every part in 0..<parts with OpenBLAS single-threaded: concurrently outside a
    /// region, in order on the calling thread inside one (whose cores are already busy). For one image's work cut
    /// into parts by its own shape (`ConvSingleImage`): each part's GEMMs run on one thread, so the bytes depend
    /// neither on scheduling nor on the thread count OpenBLAS would otherwise use.
    static func runParts(_ parts: Int, _ body: (Int) -> Void) {
        guard parts > 0 else { return }
        if insideRegion.isSet {
            for part in 0..<parts { body(part) }
            return
        }
        withBLASThreads(1) {
            if parts == 1 {
                body(0)
            } else {
                SpinningWorkers.shared.perform(parts) { part in insideRegion.withSet { body(part) } }
            }
        }
    }

    /// Calls `body` on contiguous, disjoint ranges covering 0..<n, one per core, for work that makes no BLAS call
    /// (pooling, element-wise kernels): no lock and no thread-count switch, so it is cheap enough for a single
    /// ReLU. Runs inline below `grain` items per core or inside a region (whose threads are already busy). The
    /// split depends only on `n`, `grain` and the processor count; bodies must write disjoint outputs.
    static func split(_ n: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let count = Swift.min(workers(for: n), Swift.max(1, n / Swift.max(grain, 1)))
        if count <= 1 || insideRegion.isSet {
            body(0..<n)
            return
        }
        SpinningWorkers.shared.perform(count) { w in
            insideRegion.withSet { body((w * n / count)..<((w + 1) * n / count)) }
        }
    }

    /// Runs `body` with OpenBLAS set to `threads`, restoring the previous count after; the only place the count
    /// is switched (under the region lock).
    static func withBLASThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        region.lockExclusive()
        defer { region.unlock() }
        let saved = BLAS.threadCount
        BLAS.threadCount = threads
        defer { BLAS.threadCount = saved }
        return try insideRegion.withSet(body)
    }

    /// Runs a BLAS call with the thread count held steady: shared with other calls, never during a switch.
    /// Calls made by a region's own threads run directly (their region already holds the lock).
    @inline(__always)
    static func outsideRegions<R>(_ body: () throws -> R) rethrows -> R {
        if insideRegion.isSet { return try body() }
        region.lockShared()
        defer { region.unlock() }
        return try body()
    }
}

/// A per-thread boolean (pthread key), for "this thread is inside a batch-parallel region".
final class ThreadLocalFlag: @unchecked Sendable {
    private var key = pthread_key_t()

    init() { pthread_key_create(&key, nil) }

    var isSet: Bool { pthread_getspecific(key) != nil }

    func withSet<R>(_ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(key, previous) }
        return try body()
    }
}

/// A pthread read-write lock (Foundation has none).
final class ReadWriteLock: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    init() { pthread_rwlock_init(lock, nil) }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func lockShared() { pthread_rwlock_rdlock(lock) }
    func lockExclusive() { pthread_rwlock_wrlock(lock) }
    func unlock() { pthread_rwlock_unlock(lock) }
}
