import Foundation

/// Splits a batch of images between the machine's cores. While the workers run, OpenBLAS is set to one
/// thread each (no oversubscription); a single image keeps OpenBLAS's own threading instead.
enum BatchParallel {
    /// Worker count for a batch of `n` (at most the active processor count, at most `n`).
    static func workers(for n: Int) -> Int {
        Swift.max(1, Swift.min(n, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// Calls `body(worker, images)` for contiguous, disjoint ranges covering 0..<n.
    static func run(_ n: Int, _ body: (Int, Range<Int>) -> Void) {
        let count = workers(for: n)
        if count <= 1 {
            body(0, 0..<n)
            return
        }
        let saved = BLAS.threadCount
        BLAS.threadCount = 1
        defer { BLAS.threadCount = saved }
        DispatchQueue.concurrentPerform(iterations: count) { w in
            body(w, (w * n / count)..<((w + 1) * n / count))
        }
    }
}
