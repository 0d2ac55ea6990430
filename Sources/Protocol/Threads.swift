/// Plain threads for the socket loops (heartbeat, control, IOPub, interrupts): each loop blocks in libzmq,
/// so it needs a real thread, not a task on a shared pool.
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A running thread whose end can be awaited with a bound.
public final class LoopThread: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private var ended = false
    private let lock = PThreadLock()

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new detached thread.
    public init(name: String, _ body: @escaping () -> Void) throws {
        let box = Box { [finished] in
            body()
            finished.signal()
        }
        var thread = pthread_t()
        let argument = Unmanaged.passRetained(box).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, argument)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(argument).release()
            throw ZMQError(operation: "pthread_create(\(name))", code: rc)
        }
        pthread_detach(thread)
    }

    /// Waits up to `milliseconds` for the thread's body to return; true if it did.
    @discardableResult
    public func join(timeoutMilliseconds milliseconds: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if ended { return true }
        if finished.wait(timeout: .now() + .milliseconds(milliseconds)) == .success {
            ended = true
        }
        return ended
    }
}
