import Engine
import Foundation
import Protocol

/// The Fovea language as a Jupyter backend: runs cells through the `Interpreter`, turns values into MIME
/// bundles and errors into tracebacks, answers completion/inspection/is_complete from the verb registry and
/// keeps history on disk.
public final class FoveaSession: KernelBackend {
    public static let version = "0.1.0"

    public let interpreter: Interpreter
    public let historyStore: HistoryStore
    private let interruption: Interruption

    /// A session with the standard verbs, history in the user's data directory and the process's working directory.
    public convenience init() {
        self.init(historyFile: HistoryStore.defaultURL)
    }

    /// For tests and embedding: history in `historyFile`, a chosen registry and working directory.
    public init(historyFile: URL, registry: VerbRegistry = .standard(),
                workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) {
        interruption = Interruption()
        interpreter = Interpreter(registry: registry, interruption: interruption, workingDirectory: workingDirectory)
        historyStore = HistoryStore(fileURL: historyFile)
    }

    public var info: KernelInfo {
        KernelInfo(
            implementation: "fovea",
            implementationVersion: FoveaSession.version,
            languageInfo: [
                "name": .string("fovea"),
                "version": .string(FoveaSession.version),
                "mimetype": .string("text/x-fovea"),
                "file_extension": .string(".fovea"),
                "pygments_lexer": .string("python"),
                "codemirror_mode": .string("python"),
            ],
            banner: "Fovea \(FoveaSession.version) — look inside convolutional networks.\nType help() for the verbs, ?verb for one verb.",
            helpLinks: [(text: "CS231n lecture 12: Visualizing and Understanding",
                         url: "http://cs231n.stanford.edu/slides/2017/cs231n_2017_lecture12.pdf")]
        )
    }

    public var historySession: Int { historyStore.session }

    public func execute(_ request: ExecuteRequest, executionCount: Int, output: OutputSink) -> ExecuteOutcome {
        interruption.reset()
        let cell = interpreter.run(request.code, output: output)
        var outcome = ExecuteOutcome()
        outcome.payload = cell.pages.map { text in
            .object(["source": .string("page"), "data": .object(["text/plain": .string(text)]), "start": .int(0)])
        }
        if let value = cell.value {
            do {
                outcome.result = try Display.bundle(for: value)
            } catch {
                outcome.error = Traceback.report(FoveaError.from(error), source: request.code, executionCount: executionCount)
            }
        }
        if let error = cell.error {
            var e = error
            if cell.keptPartial {
                e.message += "; the partial result is kept in _"
            }
            outcome.error = Traceback.report(e, source: request.code, executionCount: executionCount)
        }
        if outcome.error == nil {
            for (key, expression) in request.userExpressions {
                outcome.userExpressions[key] = evaluateUserExpression(expression)
            }
        }
        if request.storeHistory && !request.silent {
            var text: String?
            if case .string(let s)? = outcome.result?.data["text/plain"] { text = s }
            historyStore.append(line: executionCount, input: request.code, output: text)
        }
        return outcome
    }

    private func evaluateUserExpression(_ source: String) -> JSON {
        do {
            let value = try interpreter.evaluate(source, output: DiscardingSink())
            let bundle = try Display.bundle(for: value)
            return .object(["status": .string("ok"), "data": .object(bundle.data), "metadata": .object(bundle.metadata)])
        } catch {
            let e = FoveaError.from(error)
            return .object(["status": .string("error"), "ename": .string(e.kind.rawValue), "evalue": .string(e.message),
                            "traceback": .array(Traceback.lines(e, source: source, executionCount: nil).map { .string($0) })])
        }
    }

    public func complete(code: String, cursorPos: Int) -> CompleteReply {
        Completer(registry: interpreter.registry, names: interpreter.names, workingDirectory: interpreter.workingDirectory)
            .complete(code: code, cursorPos: cursorPos)
    }

    public func inspect(code: String, cursorPos: Int, detailLevel: Int) -> InspectReply {
        Inspector(registry: interpreter.registry, names: interpreter.names).inspect(code: code, cursorPos: cursorPos)
    }

    public func isComplete(code: String) -> CompletenessStatus { Completeness.judge(code) }

    public func history(_ request: HistoryRequest) -> [HistoryEntry] { historyStore.query(request) }

    public func interrupt() { interruption.request() }

    public func shutdown(restart: Bool) {
        interruption.request()
        historyStore.flush()
    }
}

/// Output that goes nowhere (user_expressions must not write to the cell).
final class DiscardingSink: OutputSink, @unchecked Sendable {
    func stream(_ name: StreamName, _ text: String) {}
    func display(_ bundle: MimeBundle, displayID: String?, update: Bool) {}
    func clearOutput(wait: Bool) {}
}
