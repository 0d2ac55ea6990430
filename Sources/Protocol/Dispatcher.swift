/// Everything the messaging spec dictates between "a request arrived" and "its replies went out":
/// busy/idle around every shell and control request, `execute_input` and execution counts, aborting the
/// queue after an error, comms, shutdown and interrupt. The language is reached only through `KernelBackend`.
///
/// Threads: shell requests are handled on one thread, one at a time; control requests on another thread
/// concurrently (kernel_info, interrupt, shutdown answer while a cell runs). State touched by both is locked.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the serving loop does after a request.
public enum Disposition: Equatable, Sendable {
    case serving
    case shutdown(restart: Bool)
}

public final class Dispatcher: @unchecked Sendable {
    public let factory: MessageFactory
    private let backend: KernelBackend
    private let publisher: IOPubPublisher
    /// `kernel_info_reply` content, computed once: it is static and control must answer it instantly.
    private let kernelInfoContent: [String: JSON]

    /// Shell-thread state.
    public private(set) var executionCount = 0
    private var aborting = false
    private var queuedAfterError: [Message] = []

    private let lock = PThreadLock()
    private var backendShutDown = false

    public init(backend: KernelBackend, publisher: IOPubPublisher, factory: MessageFactory = MessageFactory()) {
        self.backend = backend
        self.publisher = publisher
        self.factory = factory
        let info = backend.info
        kernelInfoContent = [
            "status": .string("ok"),
            "protocol_version": .string(jupyterProtocolVersion),
            "implementation": .string(info.implementation),
            "implementation_version": .string(info.implementationVersion),
            "language_info": .object(info.languageInfo),
            "banner": .string(info.banner),
            "help_links": .array(info.helpLinks.map { .object(["text": .string($0.text), "url": .string($0.url)]) }),
            "debugger": .bool(false),
            "supported_features": .array([]),
        ]
    }

    // MARK: IOPub helpers

    private func publish(_ msgType: String, _ content: [String: JSON], parent: Message?) {
        publisher.publish(factory.message(msgType, content: content, parent: parent, identities: iopubTopic(msgType, factory)))
    }

    private func publishStatus(_ state: String, parent: Message?) {
        publish("status", ["execution_state": .string(state)], parent: parent)
    }

    /// `status: starting`, once, before serving.
    public func publishStarting() { publishStatus("starting", parent: nil) }

    // MARK: Requests

    /// Handles one request and everything it publishes. Call from the thread that owns `channel`.
    public func handle(_ request: Message, on kind: RequestChannelKind, via channel: RequestChannel) -> Disposition {
        publishStatus("busy", parent: request)
        let disposition = route(request, on: kind, via: channel)
        publishStatus("idle", parent: request)
        guard kind == .shell, !queuedAfterError.isEmpty else { return disposition }

        // Requests that were already queued when an execute failed: executes are aborted, the rest served.
        let queued = queuedAfterError
        queuedAfterError = []
        aborting = true
        defer { aborting = false }
        for (index, next) in queued.enumerated() {
            let nextDisposition = handle(next, on: .shell, via: channel)
            if case .shutdown = nextDisposition {
                if index + 1 < queued.count { logError("shutting down with \(queued.count - index - 1) queued requests unanswered") }
                return nextDisposition
            }
        }
        return disposition
    }

    private func route(_ request: Message, on kind: RequestChannelKind, via channel: RequestChannel) -> Disposition {
        let msgType = request.msgType
        func reply(_ content: [String: JSON], metadata: [String: JSON] = [:]) {
            channel.send(factory.reply(to: request, replyType(msgType), content: content, metadata: metadata))
        }
        do {
            switch (msgType, kind) {
            case ("kernel_info_request", _):
                reply(kernelInfoContent)
            case ("execute_request", .shell):
                try execute(request, via: channel)
            case ("complete_request", .shell):
                reply(try complete(request.content))
            case ("inspect_request", .shell):
                reply(try inspect(request.content))
            case ("is_complete_request", .shell):
                reply(try isComplete(request.content))
            case ("history_request", .shell):
                reply(try history(request.content))
            case ("comm_info_request", _):
                reply(["status": .string("ok"), "comms": .object([:])])
            case ("comm_open", .shell):
                // No comm targets exist: tell the frontend the comm is closed.
                let commID = request.content["comm_id"] ?? .string("")
                publish("comm_close", ["comm_id": commID, "data": .object([:])], parent: request)
            case ("comm_msg", .shell), ("comm_close", .shell):
                break
            case ("interrupt_request", _):
                backend.interrupt()
                reply(["status": .string("ok")])
            case ("shutdown_request", _):
                let restart = try ContentReader(content: request.content).bool("restart", default: false)
                if kind == .control {
                    // A cell may be running on the shell thread: ask it to stop. The server shuts the backend
                    // down on the shell thread once that thread is free.
                    backend.interrupt()
                } else {
                    shutdownBackend(restart: restart)
                }
                let content: [String: JSON] = ["status": .string("ok"), "restart": .bool(restart)]
                reply(content)
                publish("shutdown_reply", content, parent: request)
                return .shutdown(restart: restart)
            default:
                logError("unhandled \(msgType) on \(kind.rawValue)")
                if msgType.hasSuffix("_request") {
                    reply(errorContent(ename: "UnknownMessageType",
                                       evalue: "\(msgType) is not supported on the \(kind.rawValue) channel"))
                }
            }
        } catch let error as BadRequest {
            logError("bad \(msgType): \(error)")
            reply(errorContent(ename: "BadRequest", evalue: error.description))
        } catch {
            logError("failed \(msgType): \(error)")
            reply(errorContent(ename: "KernelError", evalue: "\(error)"))
        }
        return .serving
    }

    /// Calls `backend.shutdown` once, whichever channel asked first. Call on the shell thread.
    public func shutdownBackend(restart: Bool) {
        lock.lock()
        let first = !backendShutDown
        backendShutDown = true
        lock.unlock()
        if first { backend.shutdown(restart: restart) }
    }

    // MARK: Execute

    private func execute(_ request: Message, via channel: RequestChannel) throws {
        let parsed = try ExecuteRequest(content: request.content)
        if aborting {
            channel.send(factory.reply(to: request, "execute_reply", content: ["status": .string("aborted")],
                                       metadata: ["status": .string("aborted")]))
            return
        }
        if parsed.storeHistory && !parsed.silent { executionCount += 1 }
        let count = executionCount
        if !parsed.silent {
            publish("execute_input", ["code": .string(parsed.code), "execution_count": .int(count)], parent: request)
        }
        let output = RequestOutput(parent: request, factory: factory, publisher: publisher, silent: parsed.silent)
        let outcome = backend.execute(parsed, executionCount: count, output: output)

        var content: [String: JSON] = ["execution_count": .int(count)]
        if let error = outcome.error {
            let errorFields: [String: JSON] = [
                "ename": .string(error.ename),
                "evalue": .string(error.evalue),
                "traceback": .array(error.traceback.map(JSON.string)),
            ]
            if !parsed.silent { publish("error", errorFields, parent: request) }
            content.merge(errorFields) { $1 }
            content["status"] = .string("error")
            content["user_expressions"] = .object(outcome.userExpressions)
            content["payload"] = .array(outcome.payload)
            if parsed.stopOnError && !parsed.silent {
                // Everything already waiting arrived before this reply: those executes get "aborted".
                queuedAfterError = channel.takeQueued()
            }
        } else {
            if let result = outcome.result, !parsed.silent {
                publish("execute_result", [
                    "execution_count": .int(count),
                    "data": .object(result.data),
                    "metadata": .object(result.metadata),
                ], parent: request)
            }
            content["status"] = .string("ok")
            content["user_expressions"] = .object(outcome.userExpressions)
            content["payload"] = .array(outcome.payload)
        }
        channel.send(factory.reply(to: request, "execute_reply", content: content,
                                   metadata: ["status": content["status"] ?? .null]))
    }

    // MARK: Introspection

    private func complete(_ content: [String: JSON]) throws -> [String: JSON] {
        let reader = ContentReader(content: content)
        let code = try reader.string("code")
        let length = code.unicodeScalars.count
        let cursor = min(max(try reader.int("cursor_pos", default: length), 0), length)
        let result = backend.complete(code: code, cursorPos: cursor)
        return [
            "status": .string("ok"),
            "matches": .array(result.matches.map(JSON.string)),
            "cursor_start": .int(result.cursorStart),
            "cursor_end": .int(result.cursorEnd),
            "metadata": .object(result.metadata),
        ]
    }

    private func inspect(_ content: [String: JSON]) throws -> [String: JSON] {
        let reader = ContentReader(content: content)
        let code = try reader.string("code")
        let length = code.unicodeScalars.count
        let cursor = min(max(try reader.int("cursor_pos", default: length), 0), length)
        let result = backend.inspect(code: code, cursorPos: cursor, detailLevel: try reader.int("detail_level", default: 0))
        return [
            "status": .string("ok"),
            "found": .bool(result.found),
            "data": .object(result.found ? result.bundle.data : [:]),
            "metadata": .object(result.found ? result.bundle.metadata : [:]),
        ]
    }

    private func isComplete(_ content: [String: JSON]) throws -> [String: JSON] {
        let code = try ContentReader(content: content).string("code")
        switch backend.isComplete(code: code) {
        case .complete: return ["status": .string("complete")]
        case .incomplete(let indent): return ["status": .string("incomplete"), "indent": .string(indent)]
        case .invalid: return ["status": .string("invalid")]
        case .unknown: return ["status": .string("unknown")]
        }
    }

    private func history(_ content: [String: JSON]) throws -> [String: JSON] {
        let request = try HistoryRequest(content: content)
        let rows: [JSON] = backend.history(request).map { entry in
            let input: JSON = request.output
                ? .array([.string(entry.input), entry.output.map(JSON.string) ?? .null])
                : .string(entry.input)
            return .array([.int(entry.session), .int(entry.line), input])
        }
        return ["status": .string("ok"), "history": .array(rows)]
    }

    private func errorContent(ename: String, evalue: String) -> [String: JSON] {
        ["status": .string("error"), "ename": .string(ename), "evalue": .string(evalue), "traceback": .array([])]
    }
}

/// `execute_request` → `execute_reply`; anything else gets `_reply` appended.
func replyType(_ requestType: String) -> String {
    requestType.hasSuffix("_request") ? String(requestType.dropLast("_request".count)) + "_reply" : requestType + "_reply"
}

/// A pthread mutex without Foundation (heap-allocated so its address never moves).
final class PThreadLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }
    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
