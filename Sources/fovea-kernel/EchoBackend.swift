/// A stand-in language for exercising the protocol on its own (`fovea-kernel --echo -f …`): every cell's
/// text comes back as its result. Cells of a few fixed shapes act, so protocol tests can drive every path:
///   `print TEXT` → stdout stream; `warn TEXT` → stderr stream; `error` → an error;
///   `sleep SECONDS` → waits, interruptible (ename `Interrupted`); `display` → display_data with a display id;
///   `update` → update_display_data for that id; `clear` → clear_output.
import Dispatch
import Protocol

final class EchoBackend: KernelBackend {
    private let interrupted = DispatchSemaphore(value: 0)
    private var history: [HistoryEntry] = []

    var info: KernelInfo {
        KernelInfo(implementation: "fovea-echo", implementationVersion: "0.1",
                   languageInfo: ["name": .string("fovea"), "version": .string("0.1"), "mimetype": .string("text/x-fovea"),
                                  "file_extension": .string(".fovea"), "pygments_lexer": .string("text"),
                                  "codemirror_mode": .string("text")],
                   banner: "Fovea echo backend", helpLinks: [])
    }
    var historySession: Int { 1 }

    func execute(_ request: ExecuteRequest, executionCount: Int, output: OutputSink) -> ExecuteOutcome {
        // Forget interrupts that arrived while idle.
        while interrupted.wait(timeout: .now()) == .success {}
        if request.storeHistory { history.append(HistoryEntry(session: 1, line: executionCount, input: request.code)) }
        let code = request.code
        var expressions: [String: JSON] = [:]
        for (name, expression) in request.userExpressions {
            expressions[name] = .object(["status": .string("ok"), "data": .object(["text/plain": .string(expression)]),
                                         "metadata": .object([:])])
        }
        if code.hasPrefix("print ") {
            output.stream(.stdout, String(code.dropFirst(6)) + "\n")
            return ExecuteOutcome(userExpressions: expressions)
        }
        if code.hasPrefix("warn ") {
            output.stream(.stderr, String(code.dropFirst(5)) + "\n")
            return ExecuteOutcome(userExpressions: expressions)
        }
        if code == "error" {
            return ExecuteOutcome(error: ErrorReport(ename: "EchoError", evalue: "asked for an error",
                                                     traceback: ["EchoError: asked for an error"]), userExpressions: expressions)
        }
        if code.hasPrefix("sleep "), let seconds = Double(code.dropFirst(6)) {
            if interrupted.wait(timeout: .now() + .milliseconds(Int(seconds * 1000))) == .success {
                return ExecuteOutcome(error: ErrorReport(ename: "Interrupted", evalue: "interrupted", traceback: ["Interrupted"]))
            }
            return ExecuteOutcome()
        }
        if code == "display" {
            output.display(MimeBundle(data: ["text/plain": .string("first")]), displayID: "echo-display", update: false)
            return ExecuteOutcome()
        }
        if code == "update" {
            output.display(MimeBundle(data: ["text/plain": .string("second")]), displayID: "echo-display", update: true)
            return ExecuteOutcome()
        }
        if code == "clear" {
            output.clearOutput(wait: false)
            return ExecuteOutcome()
        }
        if code.isEmpty { return ExecuteOutcome(userExpressions: expressions) }
        return ExecuteOutcome(result: MimeBundle(data: ["text/plain": .string(code)]), userExpressions: expressions)
    }

    func complete(code: String, cursorPos: Int) -> CompleteReply {
        let words = ["print", "warn", "error", "sleep", "display", "update", "clear"]
        let prefix = String(code.unicodeScalars.prefix(cursorPos))
        let start = prefix.unicodeScalars.lastIndex(where: { $0 == " " }).map { prefix.unicodeScalars.distance(from: prefix.unicodeScalars.startIndex, to: $0) + 1 } ?? 0
        let word = String(prefix.unicodeScalars.dropFirst(start))
        return CompleteReply(matches: words.filter { $0.hasPrefix(word) }, cursorStart: start, cursorEnd: cursorPos)
    }

    func inspect(code: String, cursorPos: Int, detailLevel: Int) -> InspectReply {
        InspectReply(found: !code.isEmpty, bundle: MimeBundle(data: ["text/plain": .string("echo: \(code)")]))
    }

    func isComplete(code: String) -> CompletenessStatus {
        if code.hasSuffix("\\") { return .incomplete(indent: "  ") }
        if code.hasPrefix(")") { return .invalid }
        return .complete
    }

    func history(_ request: HistoryRequest) -> [HistoryEntry] {
        switch request.access {
        case .tail: return Array(history.suffix(request.n ?? history.count))
        case .range: return history.filter { $0.line >= request.start && $0.line < request.stop }
        case .search: return history
        }
    }

    func interrupt() { interrupted.signal() }
    func shutdown(restart: Bool) {}
}
