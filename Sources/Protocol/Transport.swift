/// What the dispatcher needs from a transport — small enough that tests supply an in-memory one and the
/// ZeroMQ server supplies sockets.

/// Where a request came from; replies go back on the same channel.
public enum RequestChannelKind: String, Sendable { case shell, control }

/// One request/reply channel (shell or control) as the thread serving it sees it.
/// Called only from that thread.
public protocol RequestChannel: AnyObject {
    /// Sends a reply; `message.identities` already address the requester.
    func send(_ message: Message)
    /// Requests already waiting (a socket channel also waits a short, bounded window for ones in flight).
    /// After an error with `stop_on_error`, the dispatcher takes these before sending the error reply —
    /// so the client sent them before it could see the error — and aborts the execute requests.
    func takeQueued() -> [Message]
}

/// The IOPub broadcast. Safe to call from any thread; messages from one thread keep their order.
public protocol IOPubPublisher: AnyObject, Sendable {
    func publish(_ message: Message)
}

/// Writes one line to stderr (the kernel's log). Never pass the key or message signatures here.
public func logError(_ text: String) {
    let line = "[fovea-kernel] \(text)\n"
    var bytes = Array(line.utf8)
    _ = bytes.withUnsafeMutableBytes { fwrite($0.baseAddress, 1, $0.count, stderr) }
    fflush(stderr)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
