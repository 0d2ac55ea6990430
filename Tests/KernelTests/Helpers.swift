import Foundation
import Protocol
@testable import Kernel

/// Records everything a cell sends to IOPub, in order.
final class RecordingSink: OutputSink, @unchecked Sendable {
    enum Event: Equatable {
        case stream(StreamName, String)
        case display(MimeBundle, String?, Bool)
        case clear(Bool)
    }
    private let lock = NSLock()
    private var recorded: [Event] = []
    var events: [Event] { lock.withLock { recorded } }

    func stream(_ name: StreamName, _ text: String) { lock.withLock { recorded.append(.stream(name, text)) } }
    func display(_ bundle: MimeBundle, displayID: String?, update: Bool) {
        lock.withLock { recorded.append(.display(bundle, displayID, update)) }
    }
    func clearOutput(wait: Bool) { lock.withLock { recorded.append(.clear(wait)) } }

    var stdout: String { events.compactMap { if case .stream(.stdout, let t) = $0 { return t } else { return nil } }.joined() }
    var stderr: String { events.compactMap { if case .stream(.stderr, let t) = $0 { return t } else { return nil } }.joined() }
}

/// A stand-in model with named layers, for layer checking and completion (real models come from the engine).
struct FakeModel: FoveaObject {
    var typeName: String { "Model" }
    var plainText: String { "Model(fake, \(layers.count) layers)" }
    var layers = ["conv1", "relu1", "pool1", "conv2", "relu2", "fc"]
    var layerNames: [String]? { layers }
    var attributeNames: [String] { ["layers", "name"] }
    func attribute(_ name: String) throws -> Value? {
        switch name {
        case "layers": return .list(layers.map { .string($0) })
        case "name": return .string("fake")
        default: return nil
        }
    }
}

/// A verb that takes a model and a layer, to exercise registry-driven checks like the real visualization verbs.
let activationsStub = Verb(
    "activations", category: "Test", summary: "Feature maps of a layer.",
    parameters: [
        Parameter("net", .object("Model"), doc: "the model"),
        Parameter("img", .oneOf([.object("Image"), .object("Tensor"), .string]), doc: "the input"),
        Parameter("layer", .layer(model: "net"), doc: "which layer"),
        Parameter("channels", .integer, default: .int(16), min: 1, max: 512, doc: "how many channels"),
        Parameter("method", .string, default: .string("vanilla"), choices: ["vanilla", "guided", "smoothgrad", "integrated"],
                  doc: "how"),
        Parameter("source", .path, default: Value.none, doc: "a file"),
    ],
    returns: "Figure", example: "activations(net, img, \"conv1\")"
) { args, _ in
    .string("\(try args.string("layer")):\(try args.int("channels")):\(try args.string("method"))")
}

func makeSession(_ extra: [Verb] = [], workingDirectory: URL? = nil) -> (FoveaSession, URL) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-test-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let registry = VerbRegistry.standard()
    registry.register(extra)
    let session = FoveaSession(historyFile: dir.appendingPathComponent("history.jsonl"), registry: registry,
                               workingDirectory: workingDirectory ?? dir)
    return (session, dir)
}

extension FoveaSession {
    /// Runs a cell and returns the outcome with the recorded output.
    func run(_ code: String, count: Int = 1) -> (ExecuteOutcome, RecordingSink) {
        let sink = RecordingSink()
        let outcome = execute(ExecuteRequest(code: code), executionCount: count, output: sink)
        return (outcome, sink)
    }
}

extension ExecuteOutcome {
    var plainResult: String? {
        if case .string(let s)? = result?.data["text/plain"] { return s }
        return nil
    }
}
