import Dispatch
import Testing
@testable import Protocol

#if canImport(Glibc)
import Glibc
#endif

@Suite struct InterruptSignalTests {
    /// A process-directed SIGINT (what `kill -INT` and jupyter_client send) reaches the action on the
    /// interrupt thread and does not end the process. (`raise` would target a test worker thread, which
    /// blocks signals.)
    @Test(.timeLimit(.minutes(1))) func sigintCallsTheActionAndNeverKills() throws {
        let called = DispatchSemaphore(value: 0)
        try InterruptSignal.install { called.signal() }
        kill(getpid(), SIGINT)
        #expect(called.wait(timeout: .now() + .seconds(5)) == .success)
        kill(getpid(), SIGINT)
        #expect(called.wait(timeout: .now() + .seconds(5)) == .success)
    }
}
