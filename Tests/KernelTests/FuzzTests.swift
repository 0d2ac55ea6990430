import Foundation
import Protocol
import Testing
@testable import Kernel

/// Feeds 100,000 cells to the lexer, parser and evaluator plus completion and is_complete, asserting that each
/// ends in a result or an error and that no input takes longer than a generous bound (hang detection, not a
/// benchmark). The cells mix token soup, mutated corpus cells, random code points and — the grammar-aware part —
/// calls of every real verb (from `VerbRegistry.standard()`, bodies stubbed to no-ops behind the real argument
/// checks) with wrong argument types, out-of-range values, huge numbers, very long strings and nested
/// expressions; plus cells nested 10,000–12,000 brackets deep and values nested 10,000 lists deep.
/// `./scripts/asan` runs it under the address sanitizer; the counts are printed as a `fuzz language:` line per
/// shard. The cells come in two independent shards of 50,000, so a parallel run (ASan's) uses both cores.
@Suite struct FuzzTests {
    static let shards = [0..<50_000, 50_000..<100_000]

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

    /// What one generated cell is, for the counts and the per-kind expectations.
    enum Kind: String, CaseIterable { case soup, mutated, codePoints, verbCall, deepBrackets, deepValue, longInput }

    @Test(arguments: shards)
    func hundredThousandInputsNeitherCrashNorHang(shard: Range<Int>) {
        var rng = SeededRandom(seed: 20_261_125 &+ UInt64(shard.lowerBound))
        let registry = VerbRegistry.standard().stubbed()
        let verbs = registry.names.compactMap { registry[$0] }
        func freshInterpreter() -> Interpreter {
            let interpreter = Interpreter(registry: registry)
            interpreter.names["net"] = .object(FakeModel())
            for (name, type) in Self.objectNames { interpreter.names[name] = .object(FakeObject(typeName: type)) }
            return interpreter
        }
        var interpreter = freshInterpreter()
        let completer = { (code: String, names: [String: Value]) in
            Completer(registry: registry, names: names, workingDirectory: URL(fileURLWithPath: "/nonexistent-fovea"))
                .complete(code: code, cursorPos: code.unicodeScalars.count)
        }
        let sink = RecordingSink()
        var slowest: (Double, String) = (0, "")
        var errors = 0, results = 0  // results: cells with a value (stubbed verbs return none)
        var kinds: [Kind: Int] = [:], errorKinds: [String: Int] = [:], deepErrors = 0, deepValueResults = 0
        let total = shard.count
        for i in shard {
            if i % 500 == 0 { interpreter = freshInterpreter() }
            let (kind, input) = Self.makeCell(i, &rng, verbs: verbs)
            kinds[kind, default: 0] += 1
            let start = Self.threadCPUSeconds()
            let r = interpreter.run(input, output: sink)
            if let e = r.error {
                errors += 1
                errorKinds[e.kind.rawValue, default: 0] += 1
                #expect(!e.message.isEmpty, "an error without a message for \(input.prefix(200).debugDescription)")
            } else if r.value != nil { results += 1 }
            if kind == .deepBrackets {
                // Deeper than the parser allows: a clear syntax error, never a stack overflow.
                if r.error?.kind == .syntax { deepErrors += 1 }
            }
            if kind == .deepValue, r.error == nil { deepValueResults += 1 }
            if i % 8 == 0 || kind == .deepBrackets || kind == .longInput {
                _ = Completeness.judge(input)
                _ = completer(input, interpreter.names)
            }
            if let e = r.error { _ = Traceback.lines(e, source: input, executionCount: i) }
            // CPU time of this thread, not wall time: other processes on a busy CI machine must not look like a hang.
            let seconds = Self.threadCPUSeconds() - start
            // A 10,000-statement cell, a 60 KB bracket nesting (completion and is_complete read all of it) or a
            // 200 KB literal does more work than one line: a larger bound (0.5 s CPU seen for 12,000 "f(g=" in debug).
            let bound = kind == .deepValue || kind == .longInput || kind == .deepBrackets ? 10.0 : 1.0
            if seconds / bound > slowest.0 { slowest = (seconds / bound, input) }
        }
        #expect(slowest.0 < 1.0, "slowest input took \(slowest.0) of its bound: \(slowest.1.prefix(300).debugDescription)")
        // The generator must exercise every path, or the test proves little.
        #expect(errors > total / 10)
        #expect(total - errors > total / 10)
        #expect(results > total / 100)
        #expect((kinds[.verbCall] ?? 0) >= total / 3)
        #expect((kinds[.deepBrackets] ?? 0) >= 100 && deepErrors == kinds[.deepBrackets])
        #expect((kinds[.deepValue] ?? 0) >= 2 && deepValueResults == kinds[.deepValue])
        #expect((kinds[.longInput] ?? 0) >= 50)
        let counts = Kind.allCases.map { "\($0.rawValue) \(kinds[$0] ?? 0)" }.joined(separator: ", ")
        let errorCounts = errorKinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("fuzz language: cells \(shard.lowerBound)..<\(shard.upperBound), \(total) (\(counts)); \(total - errors) ran without error (\(results) with a value), \(errors) errors (\(errorCounts)); "
              + "\(deepErrors) bracket nestings of 10,000+ refused as syntax errors; slowest \(String(format: "%.3f", slowest.0)) of its "
              + "CPU-time bound (\(slowest.1.prefix(60).debugDescription))")
    }

    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Fake engine values for every object type a verb parameter names, so calls get past type checks to ranges.
    static let objectNames = [("img", "Image"), ("t", "Tensor"), ("data", "Dataset"), ("res", "Result"), ("st", "Stylizer")]

    static func pick<T>(_ items: [T], _ rng: inout SeededRandom) -> T { items[Int(rng.next() % UInt64(items.count))] }

    static func makeCell(_ i: Int, _ rng: inout SeededRandom, verbs: [Verb]) -> (Kind, String) {
        if i % 20_000 == 7 { return (.deepValue, deepValue(&rng)) }
        if i % 500 == 3 { return (.deepBrackets, deepBrackets(&rng)) }
        if i % 1_000 == 251 { return (.longInput, longInput(&rng)) }
        if rng.next() % 2 == 0 { return (.verbCall, verbCall(&rng, verbs: verbs)) }
        let input = makeInput(&rng)
        return (input.kind, input.text)
    }

    /// 10,000–12,000 levels of one kind of bracket or prefix operator, closed or not.
    static func deepBrackets(_ rng: inout SeededRandom) -> String {
        let depth = 10_000 + Int(rng.next() % 2_001)
        let (open, close) = pick([("(", ")"), ("[", "]"), ("{\"a\": ", "}"), ("len(", ")"), ("print(", ")"),
                                  ("tensor(", ")"), ("-", ""), ("x[", "]"), ("f(g=", ")")], &rng)
        let closed = rng.next() % 2 == 0
        return String(repeating: open, count: depth) + "1" + (closed ? String(repeating: close, count: depth) : "")
    }

    /// A list (or dict) nested 10,000 deep, built one statement at a time, then displayed, compared, measured.
    static func deepValue(_ rng: inout SeededRandom) -> String {
        let wrap = rng.next() % 2 == 0 ? "x = [x]\n" : "x = {\"k\": x}\n"
        let use = pick(["x", "x == x", "print(x)", "show(x)", "len(x)", "tensor(x)", "[x, x]", "type(x)"], &rng)
        return "x = 1\n" + String(repeating: wrap, count: 10_000) + use
    }

    /// A very long string literal, identifier, comment, number or list literal, alone or as a verb argument.
    static func longInput(_ rng: inout SeededRandom) -> String {
        let n = 100_000 + Int(rng.next() % 100_000)
        switch rng.next() % 6 {
        case 0: return "s = \"" + String(repeating: "é", count: n) + "\"\nlen(s)"
        case 1: return "image(\"" + String(repeating: "a/", count: n / 2) + "x.png\")"
        case 2: return String(repeating: "v", count: n) + " = 1"
        case 3: return "1 # " + String(repeating: "🐱", count: n)
        case 4: return String(repeating: "9", count: n)
        default: return "tensor([" + String(repeating: "1, ", count: n / 4) + "1])"
        }
    }

    /// A call of a real verb with each parameter given well, badly or not at all, by position or keyword.
    static func verbCall(_ rng: inout SeededRandom, verbs: [Verb]) -> String {
        let verb = pick(verbs, &rng)
        var args: [String] = []
        var byKeyword = false
        for p in verb.parameters {
            switch rng.next() % 10 {
            case 0 where !p.isRequired: continue
            case 1 where rng.next() % 4 == 0: continue  // even a required one, sometimes
            default: break
            }
            let value = argument(p, &rng)
            if p.variadic {
                args += (0..<Int(rng.next() % 3)).map { _ in argument(p, &rng) }
                byKeyword = true
            } else if byKeyword || rng.next() % 3 == 0 {
                byKeyword = true
                args.append("\(p.name)=\(value)")
            } else {
                args.append(value)
            }
        }
        switch rng.next() % 16 {
        case 0: args.append("no_such_parameter=1")
        case 1: args.append(oddValue(&rng))  // one positional too many (or after keywords)
        case 2: if let first = verb.parameters.first { args.append("\(first.name)=\(argument(first, &rng))") }  // given twice
        case 3: args.shuffle(using: &rng)
        default: break
        }
        let call = "\(verb.name)(\(args.joined(separator: ", ")))"
        switch rng.next() % 8 {
        case 0: return "r = \(call)\nr"
        case 1: return "\(call).layers"
        case 2: return "\(call)[0]"
        case 3: return "show(\(call))"
        case 4: return "\(call);"
        default: return call
        }
    }

    /// An argument for `p`: a plausible value, one of another type, one just out of range or not among the
    /// choices, a huge number, a long string, or a nested expression.
    static func argument(_ p: Parameter, _ rng: inout SeededRandom) -> String {
        switch rng.next() % 8 {
        case 0, 1, 2: return plausible(p.type, p, &rng)
        case 3: return oddValue(&rng)
        case 4:
            var bad = ["-1", "0", "\"no_such_choice\"", "\"no_such_layer\"", "[]", "[-1, 1e9]"]
            if let lo = p.minimum { bad += [Parameter.format(lo - 1), Parameter.format(lo - 0.5)] }
            if let hi = p.maximum { bad += [Parameter.format(hi + 1), Parameter.format(hi * 10)] }
            return pick(bad, &rng)
        case 5:
            return pick(["1e308", "-1e308", "1e309", "99999999999999999999", "9223372036854775807", "-9223372036854775808",
                         "2 ** 64", "10 ** 400", "1e-320", "-0.0", "0.1 * 3", "1 / 0", "9007199254740993"], &rng)
        case 6:
            let n = rng.next() % 64 == 0 ? 10_000 + Int(rng.next() % 10_000) : 1 + Int(rng.next() % 300)
            return "\"" + String(repeating: pick(["a", "é", "🐱", "\\n", "/", "%s", "\\\""], &rng), count: n) + "\""
        default:
            let depth = 1 + Int(rng.next() % 60)
            return String(repeating: "[", count: depth) + plausible(p.type, p, &rng) + String(repeating: "]", count: depth)
        }
    }

    static func plausible(_ type: ParameterType, _ p: Parameter, _ rng: inout SeededRandom) -> String {
        if let choices = p.choices, !choices.isEmpty, rng.next() % 4 != 0 { return Repr.quote(pick(choices, &rng)) }
        switch type {
        case .any: return pick(["1", "\"s\"", "[1, 2]", "img", "none"], &rng)
        case .integer, .number:
            let lo = p.minimum ?? -1_000, hi = min(p.maximum ?? 1_000, (p.minimum ?? 0) + 1_000)
            let x = lo + (hi - lo) * rng.nextDouble()
            return type == .integer ? String(Int(x.rounded())) : String(x)
        case .string: return pick(["\"\"", "\"conv1\"", "\"x\"", "\"sample:chelsea\"", "\"fashion-mnist\""], &rng)
        case .path: return pick(["\"x.png\"", "\"../../etc/passwd\"", "\"/nonexistent/x.npy\"", "\"sample:camera\"", "\"\""], &rng)
        case .layer: return pick(["\"conv1\"", "\"fc\"", "net.layers[1]", "net.layers"], &rng)
        case .bool: return pick(["true", "false"], &rng)
        case .list(let of): return "[" + plausible(of, p, &rng) + ", " + plausible(of, p, &rng) + "]"
        case .dict(let of): return "{\"conv1\": " + plausible(of, p, &rng) + "}"
        case .object(let name):
            if name == "Model" { return "net" }
            return objectNames.first { $0.1 == name }?.0 ?? "img"
        case .oneOf(let types): return plausible(pick(types, &rng), p, &rng)
        }
    }

    static func oddValue(_ rng: inout SeededRandom) -> String {
        pick(["none", "true", "\"s\"", "[1, \"a\", none]", "{\"a\": [1]}", "net", "img", "t", "data", "1.5", "-7", "nosuch",
              "print", "x = 1", "net.layers", "img[0]"], &rng)
    }

    static func makeInput(_ rng: inout SeededRandom) -> (kind: Kind, text: String) {
        switch Int(rng.next() % 10) {
        case 0..<4:
            // A random token soup.
            let n = Int(rng.next() % 24) + 1
            return (.soup, (0..<n).map { _ in fragments[Int(rng.next() % UInt64(fragments.count))] }.joined(separator: rng.next() % 3 == 0 ? " " : ""))
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
            return (.mutated, s)
        default:
            // Random code points, including control characters and astral planes.
            let n = Int(rng.next() % 16)
            var s = ""
            for _ in 0..<n {
                let v = rng.next() % 4 == 0 ? UInt32(rng.next() % 0x1_0000) : UInt32(rng.next() % 128)
                if let u = Unicode.Scalar(v) { s.unicodeScalars.append(u) }
            }
            return (.codePoints, s)
        }
    }
}

/// A stand-in for an engine value of any type (`Image`, `Tensor`, `Dataset`…), for type checks of stubbed verbs.
struct FakeObject: FoveaObject {
    var typeName: String
    var plainText: String { "\(typeName)(fake)" }
}
