import Protocol
import Testing
@testable import Kernel

@Suite struct EvaluatorTests {
    func eval(_ code: String, _ interpreter: Interpreter = Interpreter(registry: .standard())) -> (String?, FoveaError?) {
        let r = interpreter.run(code, output: RecordingSink())
        return (r.value.map(Repr.repr), r.error)
    }

    @Test(arguments: [
        ("1 + 2 * 3", "7"), ("7 / 2", "3.5"), ("7 // 2", "3"), ("-7 // 2", "-4"), ("-7 % 3", "2"), ("7.5 % -2", "-0.5"),
        ("2 ** 10", "1024"), ("2 ** -1", "0.5"), ("-2 ** 2", "-4"), ("2 ** 3 ** 2", "512"), ("2e-3 * 0.5", "0.001"),
        ("9223372036854775807 + 1", "9.223372036854776e+18"), ("1 == 1.0", "true"), ("\"a\" < \"b\"", "true"),
        ("\"ab\" * 3", "\"ababab\""), ("[1, 2] + [3]", "[1, 2, 3]"), ("[0] * 3", "[0, 0, 0]"),
        ("[10, 20, 30][-1]", "30"), ("[10, 20, 30, 40][1:3]", "[20, 30]"), ("[1, 2, 3, 4, 5][::-2]", "[5, 3, 1]"),
        ("\"héllo\"[1]", "\"é\""), ("\"fovea\"[1:4]", "\"ove\""), ("{\"a\": 1, \"b\": [2]}[\"b\"]", "[2]"),
        ("true", "true"), ("None", nil), ("len([1, 2, 3])", "3"), ("type(1.5)", "\"float\""),
        ("[1, 2, 3][1:100]", "[2, 3]"), ("+3", "3"), ("-(-3)", "3"), ("1 != 2", "true"),
    ] as [(String, String?)])
    func arithmeticAndIndexing(_ code: String, _ expected: String?) {
        let (value, error) = eval(code)
        #expect(error == nil, "\(code): \(String(describing: error))")
        #expect(value == expected, "\(code)")
    }

    @Test(arguments: [
        ("1 / 0", ErrorKind.value, "division by zero", 3),
        ("\"a\" + 1", .type, "unsupported operand types for +: string and int", 5),
        ("[1, 2][5]", .value, "index 5 is out of range for a list of length 2 (valid: -2…1)", 8),
        ("[1][\"x\"]", .type, "list indices must be integers, not string", 5),
        ("x.shape", .name, "name \"x\" is not defined", 1),
        ("{\"weights\": 1}[\"weight\"]", .name, "no key \"weight\" in the dict; did you mean \"weights\"?; keys are: \"weights\"", 16),
        ("1(2)", .type, "int is not callable (only verbs can be called)", 1),
        ("prnt(1)", .name, "no verb named \"prnt\"; did you mean \"print\"?", 1),
        ("ture", .name, "name \"ture\" is not defined; did you mean \"true\"?", 1),
        ("(1).real", .name, "int has no attribute \"real\"", 5),
        ("[1][::0]", .value, "slice step cannot be zero", 5),
        ("\"a\" * 100000000", .value, "result too large (100000000 elements; the limit is 10000000)", 5),
        ("0 ** -1", .value, "0 cannot be raised to a negative power", 3),
        ("{1: 2}", .type, "dict keys must be strings, not int", 2),
    ])
    func errors(_ code: String, _ kind: ErrorKind, _ message: String, _ column: Int) {
        let (_, error) = eval(code)
        #expect(error?.kind == kind, "\(code)")
        #expect(error?.message == message, "\(code)")
        #expect(error?.span?.start.column == column, "\(code)")
    }

    /// Equality walks values of any depth (no recursion, no silent cut-off), and a comparison whose work explodes
    /// (`a = [a, a]` doubled 60 times: 2⁶⁰ pairs) is a clear error instead of a hang.
    @Test func equalityOfDeepAndExplosiveValues() {
        let interpreter = Interpreter(registry: .standard())
        let deep = "x = 1\ny = 1\n" + String(repeating: "x = [x]\ny = [y]\n", count: 10_000)
        #expect(eval(deep + "x == y", interpreter).0 == "true")
        #expect(eval("y = [y, 2]\nx == y", interpreter).0 == "false")
        #expect(eval("d = {\"a\": [1, {\"b\": 2.0}]}\nd == {\"a\": [1.0, {\"b\": 2}]}", interpreter).0 == "true")
        #expect(eval("d != {\"a\": [1, {\"c\": 2}]}", interpreter).0 == "true")
        let explosive = "a = [1]\n" + String(repeating: "a = [a, a]\n", count: 60) + "a == a"
        let (value, error) = eval(explosive, interpreter)
        #expect(value == nil)
        #expect(error?.kind == .value)
        #expect(error?.message == "comparison too large (more than 10000000 elements to compare)")
    }

    @Test func namesAreCaseSensitiveAndSurviveErrors() {
        let interpreter = Interpreter(registry: .standard())
        let r = interpreter.run("a = 1\nA = 2\nb = a + undefined\nc = 3", output: RecordingSink())
        #expect(r.error?.kind == .name)
        #expect(r.error?.span?.start.line == 3)
        #expect(Repr.repr(interpreter.names["a"]!) == "1")
        #expect(Repr.repr(interpreter.names["A"]!) == "2")
        #expect(interpreter.names["b"] == nil)
        #expect(interpreter.names["c"] == nil)
        #expect(eval("a", interpreter).0 == "1")
    }

    @Test func underscoreIsTheLastResultAndSemicolonSuppresses() {
        let interpreter = Interpreter(registry: .standard())
        #expect(eval("2 * 21", interpreter).0 == "42")
        #expect(eval("_ + 1", interpreter).0 == "43")
        #expect(eval("_ + 1;", interpreter).0 == nil)
        #expect(eval("_", interpreter).0 == "43")
        #expect(eval("x = 5", interpreter).0 == nil)
        #expect(eval("x; y = 1", interpreter).0 == nil)
        #expect(eval("print(1)", interpreter).0 == nil)
    }

    @Test func printWarnAndShowGoToTheirStreams() {
        let interpreter = Interpreter(registry: .standard())
        let sink = RecordingSink()
        let r = interpreter.run("print(\"hello\", 42, [\"a\"]); warn(\"careful\", sep=\"-\"); show(1.5)\nclear(wait=true)", output: sink)
        #expect(r.error == nil)
        #expect(sink.stdout == "hello 42 [\"a\"]\n")
        #expect(sink.stderr == "careful\n")
        #expect(sink.events[2] == .display(MimeBundle(data: ["text/plain": .string("1.5")]), nil, false))
        #expect(sink.events[3] == .clear(true))
    }

    @Test func verbsAreValues() {
        let interpreter = Interpreter(registry: .standard())
        let sink = RecordingSink()
        let r = interpreter.run("p = print\np(\"via value\")\np", output: sink)
        #expect(sink.stdout == "via value\n")
        #expect(r.value.map(Repr.repr) == "<verb print(values…, sep=\" \") -> none>")
    }

    @Test func seedMakesRandomnessRepeat() throws {
        let draw = Verb("draw", category: "Test", summary: "A random number.", returns: "float", example: "draw()") { _, context in
            var g = context.random()
            return .double(g.nextDouble())
        }
        let interpreter = Interpreter(registry: VerbRegistry(CoreVerbs.all + [draw]))
        let first = interpreter.run("seed(3); [draw(), draw()]", output: RecordingSink()).value.map(Repr.repr)
        let second = interpreter.run("seed(3); [draw(), draw()]", output: RecordingSink()).value.map(Repr.repr)
        let other = interpreter.run("seed(4); [draw(), draw()]", output: RecordingSink()).value.map(Repr.repr)
        #expect(first == second)
        #expect(first != other)
    }

    @Test func interruptStopsSleepAndKeepsPartialResult() throws {
        let slow = Verb("slow", category: "Test", summary: "Counts until interrupted.", returns: "int", example: "slow()") { _, context in
            var i = 0
            while true {
                context.partial = .int(i)
                try context.interruption.check()
                i += 1
                if i == 50 { context.interruption.request() }
            }
        }
        let interpreter = Interpreter(registry: VerbRegistry(CoreVerbs.all + [slow]))
        let r = interpreter.run("x = 1\ny = slow()\nz = 2", output: RecordingSink())
        #expect(r.error?.kind == .interrupted)
        #expect(r.error?.message == "interrupted by the user")
        #expect(r.keptPartial)
        #expect(r.error?.span?.start.line == 2)
        #expect(Repr.repr(interpreter.names["_"]!) == "50")
        #expect(interpreter.names["z"] == nil)
    }
}
