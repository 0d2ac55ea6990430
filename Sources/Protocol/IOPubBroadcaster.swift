/// The IOPub channel: one thread owns the XPUB socket; every other thread hands it messages through an
/// in-process PUSH socket guarded by a lock. So the XPUB socket is only ever touched by its own thread,
/// which also sees subscriptions and greets each new subscriber with `iopub_welcome` (protocol 5.5, JEP 65),
/// so a client knows it is subscribed before it relies on `status` messages.
public final class IOPubBroadcaster: IOPubPublisher, @unchecked Sendable {
    private let codec: WireCodec
    private let factory: MessageFactory
    private let xpub: ZMQSocket
    private let pull: ZMQSocket
    private let push: ZMQSocket
    private let pushLock = PThreadLock()
    private var thread: LoopThread?
    /// A one-frame message on the internal pipe: "forward what came before me, then stop".
    private static let stopSentinel: Frame = Array("stop".utf8)

    /// `xpub` must already be bound; the broadcaster owns it from here on.
    public init(xpub: ZMQSocket, context: ZMQContext, codec: WireCodec, factory: MessageFactory) throws {
        self.xpub = xpub
        self.codec = codec
        self.factory = factory
        // Report every subscription, even repeated ones, so each new client gets its welcome.
        try xpub.setOption(.xpubVerbose, Int32(1))
        let endpoint = "inproc://fovea-iopub-\(MessageFactory.newID())"
        pull = try context.socket(.pull)
        try pull.setOption(.receiveHighWaterMark, Int32(0))
        try pull.bind(endpoint)
        push = try context.socket(.push)
        try push.setOption(.sendHighWaterMark, Int32(0))
        try push.connect(endpoint)
    }

    public func start() throws {
        thread = try LoopThread(name: "iopub") { [self] in serve() }
    }

    /// Signs and queues one message for broadcast. Any thread; never blocks on subscribers.
    public func publish(_ message: Message) {
        let frames = codec.encode(message)
        pushLock.withLock {
            do {
                try push.send(frames)
            } catch let error as ZMQError where error.isTerminated {
                // Shutting down: nothing left to tell.
            } catch {
                logError("iopub: dropped \(message.msgType): \(error)")
            }
        }
    }

    /// Forwards everything published so far, then ends the thread (waits up to `timeoutMilliseconds`).
    public func stop(timeoutMilliseconds: Int) {
        pushLock.withLock { try? push.send([IOPubBroadcaster.stopSentinel]) }
        thread?.join(timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Closes the sockets; call after `stop` (or once the context is shut down and the thread has ended).
    public func close() {
        pushLock.withLock { push.close() }
        pull.close()
        xpub.close()
    }

    private func serve() {
        do {
            while true {
                let ready = try ZMQSocket.poll([xpub, pull], timeoutMilliseconds: -1)
                if ready[0] { try welcomeNewSubscribers() }
                if ready[1] {
                    while let (frames, _) = try pull.receive(dontWait: true) {
                        if frames == [IOPubBroadcaster.stopSentinel] { return }
                        try xpub.send(frames)
                    }
                }
            }
        } catch let error as ZMQError where error.isTerminated {
            return
        } catch {
            logError("iopub thread stopped: \(error)")
        }
    }

    /// XPUB hands up `\u{1}topic` for a subscription and `\u{0}topic` for an unsubscription.
    private func welcomeNewSubscribers() throws {
        while let (frames, _) = try xpub.receive(dontWait: true) {
            for frame in frames where frame.first == 1 {
                let topic = Array(frame.dropFirst())
                guard let subscription = String(validating: topic, as: UTF8.self) else { continue }
                let welcome = factory.message("iopub_welcome", content: ["subscription": .string(subscription)],
                                              parent: nil, identities: topic.isEmpty ? [] : [topic])
                try xpub.send(codec.encode(welcome))
            }
        }
    }
}
