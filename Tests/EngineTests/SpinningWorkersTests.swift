import Foundation
import Synchronization
import Testing

@testable import Engine

/// The workers behind every parallel region: each index runs exactly once, back-to-back jobs never mix (a late
/// claim on a finished job must land on the next job), and callers on several threads at once all finish.
@Suite struct SpinningWorkersTests {
    final class Counts: @unchecked Sendable {
        let values: UnsafeMutablePointer<Atomic<Int>>
        let count: Int
        init(_ count: Int) {
            self.count = count
            values = .allocate(capacity: count)
            for i in 0..<count { (values + i).initialize(to: Atomic(0)) }
        }
        deinit { values.deallocate() }
        func bump(_ i: Int) { values[i].add(1, ordering: .relaxed) }
        var all: [Int] { (0..<count).map { values[$0].load(ordering: .relaxed) } }
    }

    @Test func everyIndexRunsOnceInThousandsOfBackToBackJobs() {
        let workers = SpinningWorkers(threads: 3)
        for job in 0..<5_000 {
            let size = 2 + job % 7
            let counts = Counts(size)
            workers.perform(size) { i in counts.bump(i) }
            #expect(counts.all == [Int](repeating: 1, count: size), "job \(job)")
        }
    }

    @Test func workersSleepAndWakeBetweenDistantJobs() {
        let workers = SpinningWorkers(threads: 1)
        for _ in 0..<3 {
            let counts = Counts(4)
            workers.perform(4) { i in counts.bump(i) }
            #expect(counts.all == [1, 1, 1, 1])
            Thread.sleep(forTimeInterval: 2.5 * Double(SpinningWorkers.spinDuration) / 1e9)  // past the spin: asleep
        }
    }

    @Test func callersOnSeveralThreadsAllFinish() {
        let workers = SpinningWorkers(threads: 1)
        let total = Counts(1)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<500 { workers.perform(3) { _ in total.bump(0) } }
        }
        #expect(total.all == [4 * 500 * 3])
    }
}
