import Foundation
import Protocol
import Testing
@testable import Kernel

/// Feeds 100,000 random and mutated cells to the lexer, parser and evaluator (verbs stubbed to no-ops that
/// still check their arguments) plus completion and is_complete, asserting that nothing crashes and that
/// no input takes longer than a generous bound (hang detection, not a benchmark).
@Suite struct FuzzTests {
    static let corpus = [
        "x = 1 + 2 * 3", "net = model(\"fashion-cnn\")", "data[0:64]", "img.label; net.layers",
        "saliency(net, img, method=\"guided\")", "weights = {\"fire3\": 1.0, \"fire5\": 0.5}",
        "lr = 2e-3 * 0.5", "show(grid([img, data[13]], cols=2));", "print(\"a\\n\\t\\\"b\", 1, [2, 3])",
        "?help", "x = [1, 2,\n 3]\nx[::-1]", "-2 ** -2 ** 2", "a = \"é🐱\" * 3\na[1:]", "1 // 0", "[0] * 5 + [1]",
        "activations(net, img, \"conv1\", channels=4)", "len({\"a\": [1, {\"b\": none}]})", "_ + 1",
        "seed(3); type(True)", "x = 1 \\\n + 2", "warn(\"w\", sep=\",\")", "f = print\nf(f)", "1 < 2 == true",
    ]
    static let fragments = [
        "(", ")", "[", "]", "{", "}", ",", ":", ";", "=", "==", "+", "-", "*", "/", "//", "%", "**", ".", "?", "\\",
        "\n", " ", "#", "\"", "'", "x", "y", "_", "net", "img", "print", "help", "sleep", "len", "type", "activations",
        "seed", "clear", "show", "warn", "1", "0", "-1", "1e308", "1e-3", "2.5", "99999999999999999999", "none", "true",
        "False", "\"s\"", "'conv1'", "method=", "layer=", "channels=", "sep=", "é", "🐱", "\t", "\r", "\u{0}", "$",
    ]

    @Test func hundredThousandInputsNeitherCrashNorHang() {
        var rng = SeededRandom(seed: 20_261_125)
        let registry = VerbRegistry(CoreVerbs.all + [activationsStub]).stubbed()
        var interpreter = Interpreter(registry: registry)
        let completer = { (code: String, names: [String: Value]) in
            Completer(registry: registry, names: names, workingDirectory: URL(fileURLWithPath: "/nonexistent-fovea"))
                .complete(code: code, cursorPos: code.unicodeScalars.count)
        }
        let sink = RecordingSink()
        var slowest: (Double, String) = (0, "")
        var errors = 0, results = 0
        let total = 100_000
        for i in 0..<total {
            if i % 500 == 0 {
                interpreter = Interpreter(registry: registry)
                interpreter.names["net"] = .object(FakeModel())
            }
            let input = Self.makeInput(&rng)
            let start = DispatchTime.now().uptimeNanoseconds
            let r = interpreter.run(input, output: sink)
            if r.error != nil { errors += 1 } else if r.value != nil { results += 1 }
            if i % 8 == 0 {
                _ = Completeness.judge(input)
                _ = completer(input, interpreter.names)
            }
            if let e = r.error { _ = Traceback.lines(e, source: input, executionCount: i) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if seconds > slowest.0 { slowest = (seconds, input) }
        }
        #expect(slowest.0 < 1.0, "slowest input took \(slowest.0)s: \(slowest.1.debugDescription)")
        // The generator must exercise both paths, or the test proves little.
        #expect(errors > total / 10)
        #expect(results > total / 50)
    }

    static func makeInput(_ rng: inout SeededRandom) -> String {
        switch Int(rng.next() % 10) {
        case 0..<4:
            // A random token soup.
            let n = Int(rng.next() % 24) + 1
            return (0..<n).map { _ in fragments[Int(rng.next() % UInt64(fragments.count))] }.joined(separator: rng.next() % 3 == 0 ? " " : "")
        case 4..<9:
            // A corpus cell with a few character-level mutations.
            var scalars = Array(corpus[Int(rng.next() % UInt64(corpus.count))].unicodeScalars)
            for _ in 0..<(Int(rng.next() % 4) + 1) {
                let op = rng.next() % 3
                let position = scalars.isEmpty ? 0 : Int(rng.next() % UInt64(scalars.count + 1))
                let fragment = Array(fragments[Int(rng.next() % UInt64(fragments.count))].unicodeScalars)
                switch op {
                case 0: scalars.insert(contentsOf: fragment, at: position)
                case 1: if position < scalars.count { scalars.remove(at: position) }
                default:
                    if position < scalars.count { scalars.replaceSubrange(position..<position + 1, with: fragment) }
                }
            }
            var s = ""
            s.unicodeScalars.append(contentsOf: scalars)
            return s
        default:
            // Random code points, including control characters and astral planes.
            let n = Int(rng.next() % 16)
            var s = ""
            for _ in 0..<n {
                let v = rng.next() % 4 == 0 ? UInt32(rng.next() % 0x1_0000) : UInt32(rng.next() % 128)
                if let u = Unicode.Scalar(v) { s.unicodeScalars.append(u) }
            }
            return s
        }
    }
}
