import Foundation
import Testing
@testable import Kernel

@Suite struct RegistryTests {
    func run(_ code: String) -> (Interpreter.CellResult, Interpreter) {
        let interpreter = Interpreter(registry: VerbRegistry(CoreVerbs.all + [activationsStub]))
        interpreter.names["net"] = .object(FakeModel())
        interpreter.names["img"] = .string("an image")
        return (interpreter.run(code, output: RecordingSink()), interpreter)
    }

    @Test func goodCallGetsDefaultsAndConvertedValues() {
        let (r, _) = run("activations(net, img, \"conv2\", channels=8.0)")
        #expect(r.error == nil)
        #expect(r.value.map(Repr.str) == "conv2:8:vanilla")
    }

    @Test(arguments: [
        ("activations(net, img, \"conv1\", metod=\"guided\")", ErrorKind.argument,
         "activations() has no parameter \"metod\"; did you mean \"method\"? (parameters are: net, img, layer, channels, method, source)", 32),
        ("activations(net, img)", .argument,
         "activations() is missing the argument \"layer\" (layer name): which layer. Usage: activations(net, img, layer, channels=16, method=\"vanilla\", source=none) -> Figure", 1),
        ("activations(net, img, \"conv1\", 4, \"guided\", none, 7)", .argument,
         "activations() takes at most 6 arguments (parameters are: net, img, layer, channels, method, source) but 7 were given", 51),
        ("activations(net, img, \"conv1\", channels=\"8\")", .type,
         "activations(): channels must be an int, not string (\"8\")", 41),
        ("activations(net, img, \"conv1\", channels=2.5)", .type,
         "activations(): channels must be an int, not float (2.5)", 41),
        ("activations(net, img, \"conv1\", channels=0)", .value, "activations(): channels must be between 1 and 512, not 0", 41),
        ("activations(net, img, \"conv1\", method=\"guidd\")", .value,
         "activations(): method must be one of \"vanilla\", \"guided\", \"smoothgrad\", \"integrated\", not \"guidd\"; did you mean \"guided\"?", 39),
        ("activations(net, img, \"conv9\")", .value,
         "activations(): unknown layer \"conv9\" for layer; did you mean \"conv1\"?; layers are: conv1, relu1, pool1, conv2, relu2, fc", 23),
        ("activations(img, img, \"conv1\")", .type, "activations(): net must be a Model, not string (\"an image\")", 13),
        ("activations(net, 3, \"conv1\")", .type, "activations(): img must be an Image or Tensor or string, not int (3)", 18),
        ("activations(net, img, \"conv1\", 4, layer=\"fc\")", .argument,
         "activations() got two values for \"layer\" (by position and by keyword)", 35),
        ("sleep(-1)", .value, "sleep(): seconds must be between 0 and 86400, not -1", 7),
        ("seed(\"x\")", .type, "seed(): n must be an int, not string (\"x\")", 6),
        ("clear(1)", .type, "clear(): wait must be a bool, not int (1)", 7),
        ("len(3)", .type, "int has no length", 5),
    ])
    func argumentErrorsNameTheParameterAndPointAtIt(_ code: String, _ kind: ErrorKind, _ message: String, _ column: Int) {
        let (r, _) = run(code)
        #expect(r.error?.kind == kind, "\(code)")
        #expect(r.error?.message == message, "\(code)")
        #expect(r.error?.span?.start.column == column, "\(code)")
    }

    @Test func checkingHappensBeforeAnyWork() {
        var ran = false
        let verb = Verb("work", category: "Test", summary: "s", parameters: [Parameter("n", .integer, min: 1, doc: "n")],
                        example: "work(1)") { _, _ in
            ran = true
            return .none
        }
        let interpreter = Interpreter(registry: VerbRegistry([verb]))
        #expect(interpreter.run("work(0)", output: RecordingSink()).error?.kind == .value)
        #expect(!ran)
        #expect(interpreter.run("work(1)", output: RecordingSink()).error == nil)
        #expect(ran)
    }

    @Test func helpTextComesFromTheDeclaration() {
        let text = activationsStub.helpText
        #expect(text.hasPrefix("activations(net, img, layer, channels=16, method=\"vanilla\", source=none) -> Figure\n\nFeature maps of a layer."))
        #expect(text.contains("  channels (int, 1 ≤ channels ≤ 512; default 16): how many channels"))
        #expect(text.contains("  method (string, one of \"vanilla\", \"guided\", \"smoothgrad\", \"integrated\"; default \"vanilla\"): how"))
        #expect(text.hasSuffix("Example:\n  activations(net, img, \"conv1\")"))
    }

    @Test func stubbedRegistryChecksButDoesNothing() {
        let interpreter = Interpreter(registry: VerbRegistry.standard().stubbed())
        let sink = RecordingSink()
        #expect(interpreter.run("print(1); sleep(1000)", output: sink).error == nil)
        #expect(sink.events.isEmpty)
        #expect(interpreter.run("sleep(-1)", output: sink).error?.kind == .value)
    }

    /// docs/verbs.md is generated from the registry; regenerate with FOVEA_UPDATE_DOCS=1.
    @Test func docsMatchTheRegistry() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/verbs.md")
        let generated = VerbRegistry.standard().markdown()
        if ProcessInfo.processInfo.environment["FOVEA_UPDATE_DOCS"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try generated.write(to: url, atomically: true, encoding: .utf8)
        }
        let onDisk = try String(contentsOf: url, encoding: .utf8)
        #expect(onDisk == generated, "docs/verbs.md is stale: run the KernelTests with FOVEA_UPDATE_DOCS=1")
        for name in VerbRegistry.standard().names { #expect(onDisk.contains("### `\(name)`")) }
    }

    /// The README's verb table is generated from the registry too (between its `verbs:begin`/`verbs:end` markers);
    /// FOVEA_UPDATE_DOCS=1 rewrites that part of the README and leaves the rest alone.
    @Test func readmeVerbTableMatchesTheRegistry() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let begin = "<!-- verbs:begin (generated from the verb registry; FOVEA_UPDATE_DOCS=1 swift test --filter RegistryTests) -->\n"
        let end = "<!-- verbs:end -->"
        let table = VerbRegistry.standard().readmeTable()
        func tableOnDisk() throws -> (String, Range<String.Index>) {
            let readme = try String(contentsOf: url, encoding: .utf8)
            let start = try #require(readme.range(of: begin), "README.md lacks the line \(begin)")
            let stop = try #require(readme.range(of: end, range: start.upperBound..<readme.endIndex), "README.md lacks \(end)")
            return (readme, start.upperBound..<stop.lowerBound)
        }
        if ProcessInfo.processInfo.environment["FOVEA_UPDATE_DOCS"] == "1" {
            var (readme, range) = try tableOnDisk()
            readme.replaceSubrange(range, with: table)
            try readme.write(to: url, atomically: true, encoding: .utf8)
        }
        let (readme, range) = try tableOnDisk()
        let onDisk = String(readme[range])
        #expect(onDisk == table, "README.md's verb table is stale: run the KernelTests with FOVEA_UPDATE_DOCS=1")
        for name in VerbRegistry.standard().names { #expect(onDisk.contains("| [`\(name)`](docs/verbs.md#\(name)) |")) }
    }
}

@Suite struct SuggestionTests {
    @Test(arguments: [("kitten", "sitting", 3), ("guided", "guidde", 1), ("", "abc", 3), ("same", "same", 0), ("ab", "ba", 1)])
    func editDistance(_ a: String, _ b: String, _ d: Int) {
        #expect(Suggestions.distance(a, b) == d)
    }

    @Test func closestPrefersCloseWords() {
        #expect(Suggestions.closest(to: "saliencey", in: ["saliency", "sanity", "save"]) == "saliency")
        #expect(Suggestions.closest(to: "Print", in: ["print", "prints"]) == "print")
        #expect(Suggestions.closest(to: "xyz", in: ["print", "help"]) == nil)
    }
}
