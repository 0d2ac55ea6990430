import Foundation
import Testing
import TestSupport

@testable import Engine

/// Why `swift test` may run suites in parallel again. GEMM results do depend on OpenBLAS's process-global thread
/// count for some shapes, so `BatchParallel` switches it only under a lock every GEMM holds shared: concurrent
/// graphs give the same bits as serial ones and the count is restored afterwards.
@Suite struct BLASThreadingTests {
    static func gemm(m: Int, n: Int, k: Int, seed: UInt64) -> [Float] {
        let a = TestSupport.randn([m, k], seed: seed)
        let b = TestSupport.randn([k, n], seed: seed + 1)
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    BLAS.sgemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n,
                               c: cp.baseAddress!, ldc: n)
                }
            }
        }
        return c
    }

    /// The reason for the lock: one thread against two gives different bits for a 200×200×1000 product.
    @Test func gemmBitsDependOnTheThreadCount() {
        let one = BatchParallel.withBLASThreads(1) { Self.gemm(m: 200, n: 200, k: 1000, seed: 7) }
        let two = BatchParallel.withBLASThreads(2) { Self.gemm(m: 200, n: 200, k: 1000, seed: 7) }
        #expect(one.map(\.bitPattern) != two.map(\.bitPattern))
    }

    /// GEMMs on other threads while regions switch the count: each matches its result computed alone.
    @Test func gemmsBesideBatchParallelRegionsAreReproducible() throws {
        let reference = Self.gemm(m: 200, n: 200, k: 1000, seed: 7)
        let conv = Conv(pads: [1, 1, 1, 1])
        let x = TestSupport.randn([64, 3, 64, 64], seed: 11)
        let w = TestSupport.randn([16, 3, 3, 3], seed: 12)
        let results = ResultBox()
        let done = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 2) { t in
            if t == 0 {
                for _ in 0..<3 { _ = try? conv.forward([x, w, nil]) }
                done.append(true)
            } else {
                // GEMMs for as long as the convolutions run, and at least 10.
                while done.values.isEmpty || results.values.count < 10 {
                    results.append(Self.gemm(m: 200, n: 200, k: 1000, seed: 7).map(\.bitPattern) == reference.map(\.bitPattern))
                }
            }
        }
        #expect(results.values.allSatisfy { $0 }, "\(results.values.filter { !$0 }.count) of \(results.values.count) differ")
    }

    @Test func concurrentBatchParallelConvolutionsMatchSerialBitForBit() throws {
        let conv = Conv(pads: [1, 1, 1, 1])
        let x = TestSupport.randn([8, 3, 32, 32], seed: 11)
        let w = TestSupport.randn([16, 3, 3, 3], seed: 12)
        let reference = try conv.forward([x, w, nil])[0]
        // Read outside any region (other suites may be inside one when tests run in parallel).
        let before = BatchParallel.outsideRegions { BLAS.threadCount }
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            for _ in 0..<5 {
                let y = (try? conv.forward([x, w, nil])[0]) ?? Tensor.zeros([1])
                results.append(y.scalars.map(\.bitPattern) == reference.scalars.map(\.bitPattern))
            }
            _ = t
        }
        #expect(results.values == [Bool](repeating: true, count: 20))
        #expect(BatchParallel.outsideRegions { BLAS.threadCount } == before, "the thread count is restored after overlapping regions")
    }
}

/// Collects results from concurrent workers.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Bool] = []
    func append(_ value: Bool) { lock.withLock { stored.append(value) } }
    var values: [Bool] { lock.withLock { stored } }
}
