/// The one file that calls libzmq. Everything above it sees `ZMQContext`, `ZMQSocket` and `ZMQError`.
///
/// Ownership: a context outlives its sockets (each socket holds its context), each socket is owned by one
/// object and closed exactly once (explicit `close()` or `deinit`). A socket is used by one thread at a time;
/// callers guarantee that, this file does not lock.
import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One frame of a multipart ZeroMQ message.
public typealias Frame = [UInt8]

/// A failed libzmq call: the operation that failed and its errno.
public struct ZMQError: Error, Equatable, CustomStringConvertible {
    public let operation: String
    public let code: Int32

    /// `ETERM`: the context was shut down; blocking loops end on this.
    public static let terminatedCode: Int32 = 156_384_712 + 53

    public var isTerminated: Bool { code == Self.terminatedCode }
    public var isInterrupted: Bool { code == EINTR }
    public var wouldBlock: Bool { code == EAGAIN }

    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(code))) (errno \(code))"
    }
}

/// Runs one libzmq call that signals failure with -1 (or a null pointer) and turns errno into `ZMQError`.
@discardableResult
@inline(__always)
func zmqCall(_ operation: @autoclosure () -> String, _ call: () -> Int32) throws -> Int32 {
    let rc = call()
    if rc == -1 { throw ZMQError(operation: operation(), code: zmq_errno()) }
    return rc
}

/// Whether this libzmq was built with a security mechanism, e.g. `"curve"` (needs libsodium).
public func zmqHas(_ capability: String) -> Bool { zmq_has(capability) != 0 }

/// A libzmq context: the I/O threads behind every socket made from it.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private var terminated = false

    public init() throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError(operation: "zmq_ctx_new", code: zmq_errno()) }
        self.handle = handle
    }

    /// Makes every blocking call on this context's sockets return `ETERM`, from any thread.
    public func shutdown() { zmq_ctx_shutdown(handle) }

    /// Waits until every socket is closed and lingering messages are sent (bounded by each socket's linger).
    /// Idempotent; `deinit` does it too.
    public func terminate() {
        guard !terminated else { return }
        terminated = true
        while zmq_ctx_term(handle) == -1 && zmq_errno() == EINTR {}
    }

    deinit { terminate() }

    public func socket(_ kind: ZMQSocket.Kind) throws -> ZMQSocket { try ZMQSocket(context: self, kind: kind) }
}

/// One libzmq socket. Created with `ZMQ_LINGER` 0 so closing never blocks; raise the linger just before an
/// orderly close when the last messages must still go out.
public final class ZMQSocket: @unchecked Sendable {
    public enum Kind: Int32 {
        case pair = 0, pub = 1, sub = 2, req = 3, rep = 4, dealer = 5, router = 6, pull = 7, push = 8
        case xpub = 9, xsub = 10
    }

    private var handle: UnsafeMutableRawPointer?
    /// Keeps the context alive as long as this socket: `zmq_ctx_term` would otherwise block forever.
    let context: ZMQContext
    public let kind: Kind

    init(context: ZMQContext, kind: Kind) throws {
        guard let handle = zmq_socket(context.handle, kind.rawValue) else {
            throw ZMQError(operation: "zmq_socket", code: zmq_errno())
        }
        self.handle = handle
        self.context = context
        self.kind = kind
        try setOption(.linger, Int32(0))
    }

    deinit { close() }

    /// Closes the socket now; further calls on it throw `ENOTSOCK`.
    public func close() {
        if let handle { zmq_close(handle) }
        handle = nil
    }

    private func live(_ operation: String) throws -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(operation: operation, code: ENOTSOCK) }
        return handle
    }

    // MARK: Options

    public func setOption(_ option: ZMQOption, _ value: Int32) throws {
        let socket = try live("zmq_setsockopt")
        var value = value
        try zmqCall("zmq_setsockopt(\(option.rawValue))") {
            zmq_setsockopt(socket, option.rawValue, &value, MemoryLayout<Int32>.size)
        }
    }

    public func setOption(_ option: ZMQOption, _ value: Int64) throws {
        let socket = try live("zmq_setsockopt")
        var value = value
        try zmqCall("zmq_setsockopt(\(option.rawValue))") {
            zmq_setsockopt(socket, option.rawValue, &value, MemoryLayout<Int64>.size)
        }
    }

    public func setOption(_ option: ZMQOption, bytes: [UInt8]) throws {
        let socket = try live("zmq_setsockopt")
        try zmqCall("zmq_setsockopt(\(option.rawValue))") {
            bytes.withUnsafeBytes { zmq_setsockopt(socket, option.rawValue, $0.baseAddress, $0.count) }
        }
    }

    /// The endpoint actually bound, e.g. `tcp://127.0.0.1:53211` after binding port `*`.
    public func lastEndpoint() throws -> String {
        let socket = try live("zmq_getsockopt")
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        try zmqCall("zmq_getsockopt(ZMQ_LAST_ENDPOINT)") {
            zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &size)
        }
        return String(cString: buffer)
    }

    // MARK: Endpoints

    public func bind(_ endpoint: String) throws {
        let socket = try live("zmq_bind")
        try zmqCall("zmq_bind(\(endpoint))") { zmq_bind(socket, endpoint) }
    }

    public func connect(_ endpoint: String) throws {
        let socket = try live("zmq_connect")
        try zmqCall("zmq_connect(\(endpoint))") { zmq_connect(socket, endpoint) }
    }

    // MARK: Messages

    /// Sends all frames as one multipart message (blocking unless the socket drops, like PUB/XPUB).
    public func send(_ frames: [Frame], dontWait: Bool = false) throws {
        let socket = try live("zmq_send")
        let base: Int32 = dontWait ? ZMQ_DONTWAIT : 0
        for (index, frame) in frames.enumerated() {
            let flags = base | (index < frames.count - 1 ? ZMQ_SNDMORE : 0)
            while true {
                do {
                    try zmqCall("zmq_send") {
                        frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, flags) }
                    }
                    break
                } catch let error as ZMQError where error.isInterrupted {
                    continue
                }
            }
        }
    }

    /// Receives one whole multipart message; `nil` when `dontWait` and nothing is queued.
    ///
    /// Frames beyond `maxTotalBytes` are still read (so the next message starts clean) but not kept,
    /// and `truncated` reports it: an oversize message is dropped by the caller, never half-parsed.
    public func receive(dontWait: Bool = false, maxTotalBytes: Int = .max) throws -> (frames: [Frame], totalBytes: Int)? {
        let socket = try live("zmq_msg_recv")
        var frames: [Frame] = []
        var total = 0
        var message = zmq_msg_t()
        try zmqCall("zmq_msg_init") { zmq_msg_init(&message) }
        defer { zmq_msg_close(&message) }
        while true {
            let flags: Int32 = (dontWait && frames.isEmpty && total == 0) ? ZMQ_DONTWAIT : 0
            do {
                try zmqCall("zmq_msg_recv") { zmq_msg_recv(&message, socket, flags) }
            } catch let error as ZMQError where error.isInterrupted {
                continue
            } catch let error as ZMQError where error.wouldBlock && frames.isEmpty && total == 0 {
                return nil
            }
            let size = zmq_msg_size(&message)
            total += size
            if total <= maxTotalBytes {
                if size > 0, let data = zmq_msg_data(&message) {
                    frames.append(Frame(UnsafeRawBufferPointer(start: data, count: size)))
                } else {
                    frames.append([])
                }
            }
            if zmq_msg_more(&message) == 0 { break }
        }
        return (frames, total)
    }

    /// Waits until one of `sockets` has a message to read; returns one flag per socket.
    /// `timeoutMilliseconds` -1 waits forever, 0 only looks. An interrupted wait reports nothing ready.
    public static func poll(_ sockets: [ZMQSocket], timeoutMilliseconds: Int) throws -> [Bool] {
        var items = try sockets.map { socket in
            zmq_pollitem_t(socket: try socket.live("zmq_poll"), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        }
        do {
            try zmqCall("zmq_poll") { zmq_poll(&items, Int32(items.count), timeoutMilliseconds) }
        } catch let error as ZMQError where error.isInterrupted {
            return Array(repeating: false, count: sockets.count)
        }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }
}

/// Socket options, named, so no file above this one imports CZeroMQ.
public struct ZMQOption: Sendable, Equatable {
    public let rawValue: Int32
    public static let linger = ZMQOption(rawValue: ZMQ_LINGER)
    public static let sendHighWaterMark = ZMQOption(rawValue: ZMQ_SNDHWM)
    public static let receiveHighWaterMark = ZMQOption(rawValue: ZMQ_RCVHWM)
    /// Largest inbound frame (Int64); a bigger one makes libzmq drop the connection.
    public static let maxMessageSize = ZMQOption(rawValue: ZMQ_MAXMSGSIZE)
    public static let ipv6 = ZMQOption(rawValue: ZMQ_IPV6)
    public static let xpubVerbose = ZMQOption(rawValue: ZMQ_XPUB_VERBOSE)
    public static let curveServer = ZMQOption(rawValue: ZMQ_CURVE_SERVER)
    public static let curvePublicKey = ZMQOption(rawValue: ZMQ_CURVE_PUBLICKEY)
    public static let curveSecretKey = ZMQOption(rawValue: ZMQ_CURVE_SECRETKEY)
    public static let curveServerKey = ZMQOption(rawValue: ZMQ_CURVE_SERVERKEY)
    public static let subscribe = ZMQOption(rawValue: ZMQ_SUBSCRIBE)
    public static let routingID = ZMQOption(rawValue: ZMQ_ROUTING_ID)
}
