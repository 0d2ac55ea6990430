import Foundation
import Protocol
import Testing
@testable import Kernel

@Suite struct CompletionTests {
    func session() -> (FoveaSession, URL) {
        let (s, dir) = makeSession([activationsStub])
        s.interpreter.names["net"] = .object(FakeModel())
        s.interpreter.names["network_size"] = .int(3)
        return (s, dir)
    }

    @Test func verbsNamesAndKeywords() {
        let (s, _) = session()
        let r = s.complete(code: "x = ne", cursorPos: 6)
        #expect(r.matches == ["net", "network_size", "neighbors"])  // names in scope first, then verbs
        #expect(r.cursorStart == 4 && r.cursorEnd == 6)
        #expect(s.complete(code: "pri", cursorPos: 3).matches == ["print"])
        #expect(s.complete(code: "tr", cursorPos: 2).matches == ["train", "true"])
        #expect(s.complete(code: "sl", cursorPos: 2).matches == ["sleep"])
    }

    @Test func keywordNamesInsideACall() {
        let (s, _) = session()
        let code = "activations(net, me"
        let r = s.complete(code: code, cursorPos: 19)
        #expect(r.matches == ["method="])
        #expect(r.cursorStart == 17)
        let all = s.complete(code: "activations(net, img, ", cursorPos: 22).matches
        #expect(all.prefix(4) == ["layer=", "channels=", "method=", "source="])
        let used = s.complete(code: "activations(net, img, channels=3, ", cursorPos: 34).matches
        #expect(!used.contains("channels=") && !used.contains("net=") && used.contains("layer="))
    }

    @Test func layerNamesInsideLayerString() {
        let (s, _) = session()
        let code = "activations(net, img, layer=\"co"
        let r = s.complete(code: code, cursorPos: code.unicodeScalars.count)
        #expect(r.matches == ["conv1", "conv2"])
        #expect(r.cursorStart == 29)
        let positional = "activations(net, img, 're"
        #expect(s.complete(code: positional, cursorPos: positional.unicodeScalars.count).matches == ["relu1", "relu2"])
        let choices = "activations(net, img, 'fc', method=\"g"
        #expect(s.complete(code: choices, cursorPos: choices.unicodeScalars.count).matches == ["guided"])
    }

    @Test func filePathsInsideStrings() throws {
        let (s, dir) = session()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("pics"), withIntermediateDirectories: true)
        try Data().write(to: dir.appendingPathComponent("pics/cat.png"))
        try Data().write(to: dir.appendingPathComponent("pics/car.png"))
        try Data().write(to: dir.appendingPathComponent("pics/.hidden"))
        #expect(s.complete(code: "x = image(\"pi", cursorPos: 13).matches == ["pics/"])
        let r = s.complete(code: "x = image(\"pics/ca", cursorPos: 18)
        #expect(r.matches == ["pics/car.png", "pics/cat.png"])
        #expect(r.cursorStart == 11)
    }

    @Test func sampleNamesInsideStrings() {
        let (s, _) = session()
        let code = "cat = image(\"sample:chel"
        let r = s.complete(code: code, cursorPos: code.unicodeScalars.count)
        #expect(r.matches == ["sample:chelsea"])
        #expect(r.cursorStart == 13)
        let partial = "image('sam"
        #expect(s.complete(code: partial, cursorPos: partial.unicodeScalars.count).matches.first == "sample:")
    }

    @Test func attributesAfterADot() {
        let (s, _) = session()
        #expect(s.complete(code: "net.la", cursorPos: 6).matches == ["layers"])
        #expect(s.complete(code: "net.", cursorPos: 4).matches == ["layers", "name"])
    }

    @Test func cursorCountsCodePoints() {
        let (s, _) = session()
        // "é" and "🐱" are one code point each (the emoji is two UTF-16 units).
        let code = "x = \"é🐱\"; ne"
        let r = s.complete(code: code, cursorPos: 12)
        #expect(r.matches == ["net", "network_size", "neighbors"])  // names in scope first, then verbs
        #expect(r.cursorStart == 10)
    }

    @Test func inspectVerbsAndValues() {
        let (s, _) = session()
        let verb = s.inspect(code: "sleep(1)", cursorPos: 2, detailLevel: 0)
        #expect(verb.found)
        #expect(verb.bundle.data["text/plain"] == .string(CoreVerbs.sleep.helpText))
        let inCall = s.inspect(code: "activations(net, ", cursorPos: 17, detailLevel: 0)
        #expect(inCall.found)
        let value = s.inspect(code: "net", cursorPos: 3, detailLevel: 0)
        #expect(value.bundle.data["text/plain"] == .string("net: Model\nModel(fake, 6 layers)\nattributes: layers, name"))
        #expect(!s.inspect(code: "zzz", cursorPos: 3, detailLevel: 0).found)
    }

    @Test(arguments: [
        ("print(1)", CompletenessStatus.complete), ("", .complete), ("x = 1\ny = 2", .complete),
        ("print(1", .incomplete(indent: "    ")), ("x = [1,\n 2", .incomplete(indent: "    ")),
        ("d = {\"a\":", .incomplete(indent: "    ")), ("x = 1 + \\", .incomplete(indent: "")),
        (")", .invalid), ("x = 3 $", .invalid), ("1 +", .invalid), ("f(1))", .invalid), ("\"abc", .invalid),
        ("x = (1]", .invalid),
    ])
    func isComplete(_ code: String, _ status: CompletenessStatus) {
        let (s, _) = makeSession()
        #expect(s.isComplete(code: code) == status, "\(code)")
    }
}
