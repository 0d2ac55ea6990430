/// The whole server over real ZeroMQ sockets on loopback TCP (ports chosen by the OS, so tests never
/// collide), driven by a client made from the same wrapper. Every wait is a bounded `zmq_poll`.
import Dispatch
import Testing
@testable import Protocol

/// A client: one socket per channel, signing with the connection's key.
final class SocketTestClient {
    let context: ZMQContext
    let codec: WireCodec
    let shell: ZMQSocket
    let control: ZMQSocket
    let iopub: ZMQSocket
    let heartbeat: ZMQSocket
    let client = TestClient()

    init(endpoints: [ConnectionInfo.Channel: String], key: String) throws {
        context = try ZMQContext()
        codec = WireCodec(key: Array(key.utf8))
        shell = try context.socket(.dealer)
        try shell.connect(endpoints[.shell]!)
        control = try context.socket(.dealer)
        try control.connect(endpoints[.control]!)
        iopub = try context.socket(.sub)
        try iopub.setOption(.subscribe, bytes: [])
        try iopub.connect(endpoints[.iopub]!)
        heartbeat = try context.socket(.req)
        try heartbeat.connect(endpoints[.hb]!)
    }

    func close() {
        for socket in [shell, control, iopub, heartbeat] { socket.close() }
        context.terminate()
    }

    func send(_ message: Message, on socket: ZMQSocket, codec: WireCodec? = nil) throws {
        var message = message
        message.identities = []
        try socket.send((codec ?? self.codec).encode(message))
    }

    /// The next message on `socket`, or nil after `milliseconds`.
    func receive(on socket: ZMQSocket, within milliseconds: Int = 5000) throws -> Message? {
        guard try ZMQSocket.poll([socket], timeoutMilliseconds: milliseconds)[0],
              let (frames, _) = try socket.receive(dontWait: true) else { return nil }
        return try codec.decode(frames)
    }

    /// IOPub messages until `idle` parented to `request` arrives.
    func iopubUntilIdle(of request: Message) throws -> [Message] {
        var messages: [Message] = []
        while let message = try receive(on: iopub) {
            messages.append(message)
            if message.msgType == "status", message.content["execution_state"] == .string("idle"),
               message.parentHeader["msg_id"] == .string(request.header.msgID) { return messages }
        }
        return messages
    }
}

@Suite struct KernelServerTests {
    @Test(.timeLimit(.minutes(1))) func servesARealClient() throws {
        let key = "server-test-key"
        let backend = ScriptedBackend()
        var options = KernelServerOptions()
        options.lingerMilliseconds = 0
        let server = try KernelServer(connection: ConnectionInfo(key: Array(key.utf8)), options: options)
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var disposition: Disposition?
        _ = try LoopThread(name: "test-kernel") {
            disposition = server.run(backend: backend)
            finished.signal()
        }
        let client = try SocketTestClient(endpoints: server.endpoints, key: key)
        defer { client.close() }

        // IOPub greets the new subscriber (the `starting` status may come first, or be missed).
        var welcome = try client.receive(on: client.iopub)
        if welcome?.msgType == "status" { welcome = try client.receive(on: client.iopub) }
        #expect(welcome?.msgType == "iopub_welcome")
        #expect(welcome?.content["subscription"] == .string(""))

        // Heartbeat echoes.
        try client.heartbeat.send([Array("ping".utf8)])
        #expect(try ZMQSocket.poll([client.heartbeat], timeoutMilliseconds: 5000)[0])
        #expect(try client.heartbeat.receive()?.frames == [Array("ping".utf8)])

        // A correctly signed request is answered, signed, and wrapped in busy/idle.
        let info = client.client.request("kernel_info_request")
        try client.send(info, on: client.shell)
        let reply = try #require(try client.receive(on: client.shell))
        #expect(reply.msgType == "kernel_info_reply")
        #expect(reply.parentHeader["msg_id"] == .string(info.header.msgID))
        // The one-off `starting` status may still be in flight behind the welcome; it is not part of the request.
        let around = try client.iopubUntilIdle(of: info).map { $0.content["execution_state"] }
            .filter { $0 != .string("starting") }
        #expect(around == [.string("busy"), .string("idle")])

        // Wrongly signed, garbled and truncated messages are dropped; the kernel keeps serving.
        let forged = client.client.execute("forged")
        try client.send(forged, on: client.shell, codec: WireCodec(key: Array("wrong-key".utf8)))
        try client.shell.send([Array("garbage".utf8)])
        try client.shell.send([messageDelimiter, [], Array("{".utf8)])
        var unsigned = client.codec.encode(client.client.execute("unsigned"))
        unsigned[1] = []
        try client.shell.send(unsigned)
        let good = client.client.execute("good")
        try client.send(good, on: client.shell)
        let executeReply = try #require(try client.receive(on: client.shell))
        #expect(executeReply.msgType == "execute_reply")
        #expect(executeReply.parentHeader["msg_id"] == .string(good.header.msgID))
        #expect(executeReply.content["execution_count"] == .int(1))
        let outputs = try client.iopubUntilIdle(of: good).map(\.msgType)
        #expect(outputs == ["status", "execute_input", "execute_result", "status"])

        // Control answers too; shutdown with restart ends `run()` with that flag.
        let shutdown = client.client.request("shutdown_request", ["restart": .bool(true)])
        try client.send(shutdown, on: client.control)
        let shutdownReply = try #require(try client.receive(on: client.control))
        #expect(shutdownReply.content == ["status": .string("ok"), "restart": .bool(true)])
        #expect(finished.wait(timeout: .now() + .seconds(10)) == .success)
        #expect(disposition == .shutdown(restart: true))
        #expect(backend.executed.map(\.code) == ["good"])
        #expect(backend.shutdowns == [true])
        #expect(backend.interrupts == 1)
    }

    @Test(.timeLimit(.minutes(1))) func ipcTransportAndOversizeLimit() throws {
        let base = "/tmp/fovea-test-\(MessageFactory.newID())"
        let connection = ConnectionInfo(transport: .ipc, ip: base, shellPort: 1, iopubPort: 2, stdinPort: 3, controlPort: 4, hbPort: 5)
        let backend = ScriptedBackend()
        var options = KernelServerOptions()
        options.lingerMilliseconds = 0
        options.maxMessageBytes = 4096
        let server = try KernelServer(connection: connection, options: options)
        #expect(server.endpoints[.shell] == "ipc://\(base)-1")
        let finished = DispatchSemaphore(value: 0)
        _ = try LoopThread(name: "test-kernel") {
            _ = server.run(backend: backend)
            finished.signal()
        }
        let client = try SocketTestClient(endpoints: server.endpoints, key: "")
        defer { client.close() }

        // Two frames of 3000 bytes: each under libzmq's per-frame limit, together over the message limit.
        var big = client.codec.encode(client.client.execute("big"))
        big.append([UInt8](repeating: 7, count: 3000))
        big.append([UInt8](repeating: 7, count: 3000))
        try client.shell.send(big)
        let small = client.client.execute("small")
        try client.send(small, on: client.shell)
        let reply = try #require(try client.receive(on: client.shell))
        #expect(reply.parentHeader["msg_id"] == .string(small.header.msgID))

        try client.send(client.client.request("shutdown_request"), on: client.shell)
        #expect(try client.receive(on: client.shell)?.msgType == "shutdown_reply")
        #expect(finished.wait(timeout: .now() + .seconds(10)) == .success)
        #expect(backend.executed.map(\.code) == ["small"])
        #expect(backend.shutdowns == [false])
    }

    /// "Run all": a failing cell and the cells sent right behind it in one burst. The later executes were
    /// sent before the client could see the error, so they are aborted, though the error took microseconds.
    @Test(.timeLimit(.minutes(1))) func stopOnErrorAbortsABurstInFlight() throws {
        let backend = ScriptedBackend()
        var options = KernelServerOptions()
        options.lingerMilliseconds = 0
        let server = try KernelServer(connection: ConnectionInfo(key: Array("k".utf8)), options: options)
        let finished = DispatchSemaphore(value: 0)
        _ = try LoopThread(name: "test-kernel") {
            _ = server.run(backend: backend)
            finished.signal()
        }
        let client = try SocketTestClient(endpoints: server.endpoints, key: "k")
        defer { client.close() }

        let burst = [client.client.execute("fail"), client.client.execute("a"), client.client.execute("b")]
        for request in burst { try client.send(request, on: client.shell) }
        var statuses: [String: JSON] = [:]
        for _ in burst {
            let reply = try #require(try client.receive(on: client.shell))
            statuses[reply.parentHeader["msg_id"]?.stringValue ?? ""] = reply.content["status"]
        }
        #expect(burst.map { statuses[$0.header.msgID] } == [.string("error"), .string("aborted"), .string("aborted")])

        // Sent after the error reply arrived: runs.
        let after = client.client.execute("after")
        try client.send(after, on: client.shell)
        #expect(try client.receive(on: client.shell)?.content["status"] == .string("ok"))

        try client.send(client.client.request("shutdown_request"), on: client.control)
        #expect(finished.wait(timeout: .now() + .seconds(10)) == .success)
        #expect(backend.executed.map(\.code) == ["fail", "after"])
    }
}
