/// SIGINT as an interrupt, never a kill (kernelspec `interrupt_mode: "signal"`).
///
/// The handler only writes one byte to a pipe (async-signal-safe); a small thread reads the pipe and calls
/// the action, which may take locks or allocate. `SA_RESTART` keeps other threads' system calls going.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Write end of the self-pipe, read by the signal handler (which can capture nothing).
private nonisolated(unsafe) var interruptPipeWriteEnd: Int32 = -1

public enum InterruptSignal {
    /// Installs the SIGINT handler; every SIGINT then calls `action` on the interrupt thread.
    /// Call once, early in `main`.
    public static func install(_ action: @escaping @Sendable () -> Void) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ZMQError(operation: "pipe", code: errno) }
        let readEnd = fds[0]
        interruptPipeWriteEnd = fds[1]
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)

        _ = try LoopThread(name: "interrupt") {
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count == 1 {
                    action()
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }

        var handler = sigaction()
        #if canImport(Glibc)
        handler.__sigaction_handler.sa_handler = { _ in
            var byte: UInt8 = 1
            let saved = errno
            _ = write(interruptPipeWriteEnd, &byte, 1)
            errno = saved
        }
        #else
        handler.__sigaction_u.__sa_handler = { _ in
            var byte: UInt8 = 1
            let saved = errno
            _ = write(interruptPipeWriteEnd, &byte, 1)
            errno = saved
        }
        #endif
        sigemptyset(&handler.sa_mask)
        handler.sa_flags = SA_RESTART
        guard sigaction(SIGINT, &handler, nil) == 0 else { throw ZMQError(operation: "sigaction(SIGINT)", code: errno) }
    }
}
