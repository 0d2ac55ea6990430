import Foundation

/// Thrown by long-running engine work when the user interrupts; the work keeps whatever it computed so far
/// in the value it returns through `partial` (if any).
public struct Interrupted: Error, Sendable {
    public var message: String
    public init(_ message: String = "interrupted") { self.message = message }
}

/// A cooperative stop flag that every long loop in the engine polls (`try interruption.check()`).
/// Set from another thread (control channel, SIGINT); reset before each cell.
public final class Interruption: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false

    public init() {}

    public var isRequested: Bool { lock.withLock { requested } }
    public func request() { lock.withLock { requested = true } }
    public func reset() { lock.withLock { requested = false } }

    /// Throws `Interrupted` if a stop was requested.
    public func check() throws {
        if isRequested { throw Interrupted() }
    }

    /// Sleeps up to `seconds`, waking early (and throwing) on interrupt; polls every 10 ms.
    public func sleep(seconds: Double) throws {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            try check()
            Thread.sleep(forTimeInterval: min(0.01, max(0, end.timeIntervalSinceNow)))
        }
        try check()
    }
}
