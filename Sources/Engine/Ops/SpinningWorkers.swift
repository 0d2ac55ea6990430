import Foundation
import Synchronization

/// The threads that run the other cores' shares of a parallel region (`BatchParallel`) while the calling thread
/// runs its own: persistent, and spinning for a while after each job instead of going to sleep.
///
/// Why not `DispatchQueue.concurrentPerform`: one saliency cell of SqueezeNet opens ~200 regions of 20–800 µs
/// (each convolution's two halves, each ReLU, pooling and Concat), and between them GCD's worker sleeps. Waking
/// it is a futex wake plus a reschedule, 5–20 µs on this machine, during which the caller finishes its half and
/// waits; the wake-ups were ~9 % of the cell's CPU. These workers keep polling (yielding the core to any other
/// runnable thread) for `spinDuration` after each job, as the OpenMP workers behind PyTorch do, and only then
/// sleep on a condition variable.
///
/// Which thread runs which iteration is decided at run time, so bodies must depend only on their index (every
/// caller in `BatchParallel` cuts its work by shape alone). One job runs at a time; a caller finding the workers
/// busy (two graphs running at once on different threads) falls back to `concurrentPerform`.
final class SpinningWorkers: @unchecked Sendable {
    /// One worker per core beyond the caller's.
    static let shared = SpinningWorkers(threads: Swift.max(0, ProcessInfo.processInfo.activeProcessorCount - 1))

    /// How long an idle worker polls for the next job before sleeping: longer than the gaps between one cell's
    /// regions, short enough that an idle kernel costs nothing measurable.
    static let spinDuration: UInt64 = 2_000_000  // ns

    private let threadCount: Int
    /// Bumped (after the job's fields are written) to publish a job.
    private let generation = Atomic<Int>(0)
    /// The job's iteration count (high 32 bits) and the next iteration to hand out (low 32), claimed by
    /// fetch-and-add so every index runs exactly once. One word, so a claim always reads the count of the job
    /// whose index it took: a worker's late claim on a finished job lands on the next job's ticket instead.
    private let ticket = Atomic<Int>(0)
    /// Iterations not finished yet; the caller returns when it reaches 0.
    private let remaining = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    /// The running job's body. Written by the caller before `ticket` is reset (release), read by a worker only
    /// after claiming an index of that job (acquire), cleared after `remaining` reaches 0.
    private nonisolated(unsafe) var body: ((Int) -> Void)?
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(threads: Int) {
        threadCount = threads
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        // The threads never exit and keep their pool alive: the process makes one (`shared`), tests a few more.
        for _ in 0..<threads {
            let thread = Thread { self.workLoop() }
            thread.name = "fovea-worker"
            thread.stackSize = 1 << 22
            thread.start()
        }
    }

    /// Calls `body(i)` once for every i in 0..<count, on the calling thread and the workers; returns when all have
    /// returned.
    func perform(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 || threadCount == 0 || count >= 1 << 31 {
            for i in 0..<count { body(i) }
            return
        }
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            self.body = escapable
            remaining.store(count, ordering: .relaxed)
            ticket.store(count << 32, ordering: .releasing)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(wake)
                pthread_mutex_unlock(mutex)
            }
            runClaimedIterations()
            while remaining.load(ordering: .acquiring) > 0 { sched_yield() }
            self.body = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Claims and runs iterations of the current job until none is left.
    private func runClaimedIterations() {
        while true {
            let claimed = ticket.add(1, ordering: .acquiringAndReleasing).oldValue
            let i = claimed & 0xFFFF_FFFF
            guard i < claimed >> 32 else { return }
            runIteration(i)
            remaining.subtract(1, ordering: .releasing)
        }
    }

    /// Kept out of line so the worker's reference to the body is released before the iteration counts as done.
    @inline(never)
    private func runIteration(_ i: Int) { body!(i) }

    private func workLoop() {
        var seen = generation.load(ordering: .sequentiallyConsistent)
        while true {
            // Poll for the next job, then sleep until one is published.
            var deadline: UInt64 = 0
            var polls = 0
            while generation.load(ordering: .acquiring) == seen {
                polls += 1
                if polls & 63 == 0 {
                    let now = DispatchTime.now().uptimeNanoseconds
                    if deadline == 0 {
                        deadline = now + Self.spinDuration
                    } else if now > deadline {
                        sleepUntilPublished(after: seen)
                        break
                    }
                }
                sched_yield()
            }
            seen = generation.load(ordering: .sequentiallyConsistent)
            runClaimedIterations()
        }
    }

    private func sleepUntilPublished(after seen: Int) {
        pthread_mutex_lock(mutex)
        sleepers.add(1, ordering: .sequentiallyConsistent)
        while generation.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(wake, mutex) }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
    }
}
