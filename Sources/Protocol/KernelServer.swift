/// The five sockets and their threads, wired to a `Dispatcher`.
///
///  - shell (ROUTER): served on the thread that calls `run()`, one request at a time;
///  - control (ROUTER): its own thread, so kernel_info/interrupt/shutdown answer while a cell runs;
///  - stdin (ROUTER): bound, unused (the language never asks for input);
///  - iopub (XPUB): owned by `IOPubBroadcaster`'s thread;
///  - heartbeat (REP): its own thread, echoes every message.
/// Every socket is used by exactly one thread. Received messages that fail to decode are dropped and the
/// reason logged to stderr (never the key); the kernel keeps serving.

public struct KernelServerOptions: Sendable {
    /// Inbound messages larger than this (all frames together) are dropped.
    public var maxMessageBytes = WireCodec.defaultMaxMessageBytes
    /// How long closing waits for the last replies (shutdown_reply, final idle) to leave. Bounded, so a
    /// vanished client can't hold the process.
    public var lingerMilliseconds: Int32 = 1000
    /// IOPub messages queued per subscriber before a slow one starts missing messages.
    public var iopubHighWaterMark: Int32 = 100_000
    /// After a cell fails with `stop_on_error`, how long the error reply waits for requests still in flight
    /// (a client's "run all" sends every cell at once; the later ones may be a few hundred µs behind).
    /// Whatever arrives before the reply leaves was sent before the client could see the error, so its
    /// executes are aborted. Only failing cells pay this; ipykernel's `stop_on_error_timeout` is the analogue.
    public var stopOnErrorWindowMilliseconds = 50
    public init() {}
}

public final class KernelServer: @unchecked Sendable {
    /// The endpoints actually bound (ports resolved when the connection file asked for port 0).
    public let endpoints: [ConnectionInfo.Channel: String]

    private let context: ZMQContext
    private let codec: WireCodec
    private let shell: ZMQSocket
    private let control: ZMQSocket
    private let stdin: ZMQSocket
    private let heartbeat: ZMQSocket
    private let iopub: IOPubBroadcaster
    /// Control → shell wake-up: "a shutdown was requested, stop after the current request".
    private let wakeReceiver: ZMQSocket
    private let wakeSender: ZMQSocket

    private let factory: MessageFactory
    private let options: KernelServerOptions
    private let stateLock = PThreadLock()
    private var stopRequest: Disposition?

    /// Binds every socket (so a client's first connection attempts succeed as early as possible); serving
    /// starts with `run(backend:)`, so the language can be set up after the sockets exist.
    public init(connection: ConnectionInfo, options: KernelServerOptions = KernelServerOptions(),
                factory: MessageFactory = MessageFactory()) throws {
        self.factory = factory
        self.options = options
        let context = try ZMQContext()
        self.context = context
        codec = WireCodec(key: connection.key, maxMessageBytes: options.maxMessageBytes)

        if connection.curveSecretKey != nil && !zmqHas("curve") {
            throw ZMQError(operation: "CurveZMQ requested but libzmq lacks curve support", code: EPROTONOSUPPORT)
        }
        var bound: [ConnectionInfo.Channel: String] = [:]
        func makeSocket(_ kind: ZMQSocket.Kind, _ channel: ConnectionInfo.Channel) throws -> ZMQSocket {
            let socket = try context.socket(kind)
            try socket.setOption(.linger, options.lingerMilliseconds)
            if kind == .router { try socket.setOption(.maxMessageSize, Int64(options.maxMessageBytes)) }
            if connection.isIPv6 { try socket.setOption(.ipv6, Int32(1)) }
            if let secret = connection.curveSecretKey, let public_ = connection.curvePublicKey {
                try socket.setOption(.curveServer, Int32(1))
                try socket.setOption(.curveSecretKey, bytes: Array(secret.utf8))
                try socket.setOption(.curvePublicKey, bytes: Array(public_.utf8))
            }
            try socket.bind(connection.endpoint(channel))
            bound[channel] = try socket.lastEndpoint()
            return socket
        }
        shell = try makeSocket(.router, .shell)
        control = try makeSocket(.router, .control)
        stdin = try makeSocket(.router, .stdin)
        heartbeat = try makeSocket(.rep, .hb)
        let xpub = try makeSocket(.xpub, .iopub)
        try xpub.setOption(.sendHighWaterMark, options.iopubHighWaterMark)
        endpoints = bound

        let wakeEndpoint = "inproc://fovea-wake-\(MessageFactory.newID())"
        wakeReceiver = try context.socket(.pair)
        try wakeReceiver.bind(wakeEndpoint)
        wakeSender = try context.socket(.pair)
        try wakeSender.connect(wakeEndpoint)

        iopub = try IOPubBroadcaster(xpub: xpub, context: context, codec: codec, factory: factory)
    }

    /// Serves `backend` until a shutdown request; returns it (with its restart flag). Blocks the calling
    /// thread, which becomes the shell thread. Call once.
    public func run(backend: KernelBackend) -> Disposition {
        let dispatcher = Dispatcher(backend: backend, publisher: iopub, factory: factory)
        let threads: [LoopThread]
        do {
            try iopub.start()
            dispatcher.publishStarting()
            threads = [
                try LoopThread(name: "heartbeat") { [self] in serveHeartbeat() },
                try LoopThread(name: "control") { [self] in serveControl(dispatcher) },
            ]
        } catch {
            logError("cannot start threads: \(error)")
            return .shutdown(restart: false)
        }

        let disposition = serveShell(dispatcher)
        if case .shutdown(let restart) = disposition { dispatcher.shutdownBackend(restart: restart) }

        // Orderly close: flush IOPub, end the blocking loops, then let lingering replies leave.
        iopub.stop(timeoutMilliseconds: 2000)
        context.shutdown()
        for thread in threads where !thread.join(timeoutMilliseconds: 2000) {
            logError("a socket thread did not stop in time")
        }
        iopub.close()
        for socket in [shell, control, stdin, heartbeat, wakeReceiver, wakeSender] { socket.close() }
        context.terminate()
        return disposition
    }

    // MARK: Shell

    private func serveShell(_ dispatcher: Dispatcher) -> Disposition {
        let channel = SocketChannel(socket: shell, codec: codec, name: "shell",
                                    queueWindowMilliseconds: options.stopOnErrorWindowMilliseconds)
        while true {
            do {
                let ready = try ZMQSocket.poll([shell, wakeReceiver], timeoutMilliseconds: -1)
                if ready[1] {
                    _ = try wakeReceiver.receive(dontWait: true)
                }
                if let stop = stateLock.withLock({ stopRequest }) { return stop }
                guard ready[0] else { continue }
                while let request = channel.receive(dontWait: true) {
                    let disposition = dispatcher.handle(request, on: .shell, via: channel)
                    if case .shutdown = disposition { return disposition }
                    if let stop = stateLock.withLock({ stopRequest }) { return stop }
                }
            } catch let error as ZMQError where error.isTerminated {
                return .shutdown(restart: false)
            } catch {
                logError("shell: \(error)")
            }
        }
    }

    // MARK: Control

    private func serveControl(_ dispatcher: Dispatcher) {
        let channel = SocketChannel(socket: control, codec: codec, name: "control")
        while true {
            guard let request = channel.receive(dontWait: false) else {
                if channel.terminated { return }
                continue
            }
            let disposition = dispatcher.handle(request, on: .control, via: channel)
            if case .shutdown = disposition {
                stateLock.withLock { stopRequest = disposition }
                do { try wakeSender.send([[1]]) } catch { logError("control: cannot wake shell: \(error)") }
                return
            }
        }
    }

    // MARK: Heartbeat

    private func serveHeartbeat() {
        while true {
            do {
                guard let (frames, _) = try heartbeat.receive() else { continue }
                try heartbeat.send(frames)
            } catch let error as ZMQError where error.isTerminated {
                return
            } catch {
                logError("heartbeat: \(error)")
            }
        }
    }
}

/// A ROUTER socket seen as a `RequestChannel`: decodes what arrives (dropping and logging what fails),
/// encodes and signs what leaves.
final class SocketChannel: RequestChannel {
    let socket: ZMQSocket
    let codec: WireCodec
    let name: String
    let queueWindowMilliseconds: Int
    private(set) var terminated = false

    init(socket: ZMQSocket, codec: WireCodec, name: String, queueWindowMilliseconds: Int = 0) {
        self.socket = socket
        self.codec = codec
        self.name = name
        self.queueWindowMilliseconds = queueWindowMilliseconds
    }

    func send(_ message: Message) {
        do {
            try socket.send(codec.encode(message))
        } catch {
            logError("\(name): cannot send \(message.msgType): \(error)")
        }
    }

    /// The next well-formed request; nil when none is waiting (`dontWait`), or the context ended.
    /// Malformed ones are dropped here and never reach the dispatcher.
    func receive(dontWait: Bool) -> Message? {
        while true {
            let received: (frames: [Frame], totalBytes: Int)?
            do {
                received = try socket.receive(dontWait: dontWait, maxTotalBytes: codec.maxMessageBytes)
            } catch let error as ZMQError where error.isTerminated {
                terminated = true
                return nil
            } catch {
                logError("\(name): receive failed: \(error)")
                return nil
            }
            guard let (frames, totalBytes) = received else { return nil }
            do {
                return try codec.decode(frames, totalBytes: totalBytes)
            } catch {
                logError("\(name): dropped a message (\(frames.count) frames, \(totalBytes) bytes): \(error)")
            }
        }
    }

    /// Everything already waiting, plus whatever arrives within `queueWindowMilliseconds`.
    func takeQueued() -> [Message] {
        var queued: [Message] = []
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, queueWindowMilliseconds)) * 1_000_000
        while true {
            while let message = receive(dontWait: true) { queued.append(message) }
            let now = DispatchTime.now().uptimeNanoseconds
            guard !terminated, now < deadline else { return queued }
            let remaining = Int((deadline - now + 999_999) / 1_000_000)
            guard (try? ZMQSocket.poll([socket], timeoutMilliseconds: remaining))?.first == true else { return queued }
        }
    }
}

import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
