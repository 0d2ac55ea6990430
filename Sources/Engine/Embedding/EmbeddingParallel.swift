import Dispatch

/// Deterministic data parallelism for the embedding code: work is cut into a FIXED number of contiguous
/// chunks (independent of the core count) and reductions are combined in chunk order, so results are
/// bit-identical whatever the scheduling.
enum EmbeddingParallel {
    static let chunkCount = 16

    /// Runs `body` on contiguous sub-ranges of 0..<count, concurrently.
    static func forEachChunk(count: Int, chunks: Int = chunkCount, _ body: (Range<Int>) -> Void) {
        let pieces = max(1, min(chunks, count))
        if pieces == 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: pieces) { p in
            body(bounds(p, pieces, count))
        }
    }

    /// Like `forEachChunk`, returning one value per chunk in chunk order (for deterministic reductions).
    static func mapChunks<T>(count: Int, chunks: Int = chunkCount, _ body: (Range<Int>) -> T) -> [T] {
        let pieces = max(1, min(chunks, count))
        var results = [T?](repeating: nil, count: pieces)
        results.withUnsafeMutableBufferPointer { out in
            let o = out
            DispatchQueue.concurrentPerform(iterations: pieces) { p in
                o[p] = body(bounds(p, pieces, count))
            }
        }
        return results.map { $0! }
    }

    static func bounds(_ p: Int, _ pieces: Int, _ count: Int) -> Range<Int> {
        (p * count / pieces)..<((p + 1) * count / pieces)
    }
}
