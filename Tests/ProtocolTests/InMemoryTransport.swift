/// An in-memory transport for the dispatcher: requests queue in an array, replies and IOPub messages are
/// recorded in the order they were sent.
import Dispatch
@testable import Protocol

final class InMemoryChannel: RequestChannel {
    var queue: [Message] = []
    var sent: [Message] = []
    func send(_ message: Message) { sent.append(message) }
    func takeQueued() -> [Message] {
        defer { queue = [] }
        return queue
    }

    /// Serves the queue the way the shell thread does, until empty or a shutdown.
    @discardableResult
    func serve(_ dispatcher: Dispatcher, on kind: RequestChannelKind = .shell) -> Disposition {
        while !queue.isEmpty {
            let next = queue.removeFirst()
            let disposition = dispatcher.handle(next, on: kind, via: self)
            if case .shutdown = disposition { return disposition }
        }
        return .serving
    }
}

final class RecordingPublisher: IOPubPublisher, @unchecked Sendable {
    private let lock = DispatchQueue(label: "recording")
    private var messages: [Message] = []
    func publish(_ message: Message) { lock.sync { messages.append(message) } }
    var published: [Message] { lock.sync { messages } }
    /// `type` or `type:state` for status, to compare sequences compactly.
    var summary: [String] {
        published.map { message in
            if message.msgType == "status", case .string(let state)? = message.content["execution_state"] {
                return "status:\(state)"
            }
            return message.msgType
        }
    }
}

/// A backend whose answers are scripted per code string and which records what it was asked.
final class ScriptedBackend: KernelBackend {
    var executed: [(code: String, count: Int, silent: Bool)] = []
    var completions: [(String, Int)] = []
    var historyRequests: [HistoryRequest] = []
    var interrupts = 0
    var shutdowns: [Bool] = []
    /// Runs inside execute with the sink, to emit outputs.
    var onExecute: ((String, OutputSink) -> Void)?

    var info: KernelInfo {
        KernelInfo(implementation: "scripted", implementationVersion: "1.2",
                   languageInfo: ["name": .string("fovea"), "file_extension": .string(".fov")],
                   banner: "hello", helpLinks: [(text: "Docs", url: "https://example.invalid/docs")])
    }
    var historySession: Int { 7 }

    func execute(_ request: ExecuteRequest, executionCount: Int, output: OutputSink) -> ExecuteOutcome {
        executed.append((request.code, executionCount, request.silent))
        onExecute?(request.code, output)
        if request.code == "fail" {
            return ExecuteOutcome(error: ErrorReport(ename: "ValueError", evalue: "bad", traceback: ["line 1", "^"]))
        }
        let expressions = request.userExpressions.mapValues { JSON.object(["status": .string("ok"), "data": .object(["text/plain": .string($0.uppercased())])]) }
        return ExecuteOutcome(result: request.code.isEmpty ? nil : MimeBundle(data: ["text/plain": .string("=" + request.code)]),
                              userExpressions: expressions)
    }
    func complete(code: String, cursorPos: Int) -> CompleteReply {
        completions.append((code, cursorPos))
        return CompleteReply(matches: ["alpha", "alps"], cursorStart: max(0, cursorPos - 2), cursorEnd: cursorPos)
    }
    func inspect(code: String, cursorPos: Int, detailLevel: Int) -> InspectReply {
        InspectReply(found: code == "known", bundle: MimeBundle(data: ["text/plain": .string("doc level \(detailLevel)")]))
    }
    func isComplete(code: String) -> CompletenessStatus {
        switch code {
        case "open(": return .incomplete(indent: "    ")
        case ")": return .invalid
        case "?": return .unknown
        default: return .complete
        }
    }
    func history(_ request: HistoryRequest) -> [HistoryEntry] {
        historyRequests.append(request)
        return [HistoryEntry(session: 7, line: 1, input: "a = 1", output: "1"), HistoryEntry(session: 7, line: 2, input: "a")]
    }
    func interrupt() { interrupts += 1 }
    func shutdown(restart: Bool) { shutdowns.append(restart) }
}

/// Builds requests the way a client would.
struct TestClient {
    let factory = MessageFactory(session: "client-session", username: "tester")
    func request(_ type: String, _ content: [String: JSON] = [:], identity: String = "peer") -> Message {
        Message(identities: [Array(identity.utf8)], header: factory.header(type), content: content)
    }
    func execute(_ code: String, silent: Bool = false, storeHistory: Bool = true, stopOnError: Bool = true,
                 userExpressions: [String: JSON] = [:]) -> Message {
        request("execute_request", ["code": .string(code), "silent": .bool(silent), "store_history": .bool(storeHistory),
                                    "user_expressions": .object(userExpressions), "allow_stdin": .bool(false),
                                    "stop_on_error": .bool(stopOnError)])
    }
}
