import Dispatch
import Foundation
import Protocol
import Testing
@testable import Kernel

@Suite struct SessionTests {
    @Test func kernelInfoDescribesTheLanguage() {
        let (session, _) = makeSession()
        let info = session.info
        #expect(info.implementation == "fovea")
        #expect(info.languageInfo["name"] == .string("fovea"))
        #expect(info.languageInfo["mimetype"] == .string("text/x-fovea"))
        #expect(info.languageInfo["file_extension"] == .string(".fovea"))
        #expect(info.languageInfo["pygments_lexer"] == .string("python"))
        #expect(info.languageInfo["codemirror_mode"] == .string("python"))
        #expect(!info.banner.isEmpty && !info.helpLinks.isEmpty)
    }

    @Test func resultStreamAndNoneResult() {
        let (session, _) = makeSession()
        let (outcome, sink) = session.run("print(\"hello, world\")\n6 * 7")
        #expect(sink.stdout == "hello, world\n")
        #expect(outcome.error == nil)
        #expect(outcome.result == MimeBundle(data: ["text/plain": .string("42")]))
        #expect(session.run("none").0.result == nil)
        #expect(session.run("1;").0.result == nil)
    }

    @Test func errorsBecomeTracebacksWithACaretUnderTheSpan() {
        let (session, _) = makeSession()
        let (outcome, _) = session.run("x = 1\ny = x + nme\nz = 3", count: 7)
        let error = outcome.error
        #expect(error?.ename == "NameError")
        #expect(error?.evalue == "name \"nme\" is not defined")
        #expect(error?.traceback.count == 4)
        #expect(error?.traceback[0] == "Cell In[7], line 2, column 9")
        #expect(error?.traceback[1] == "    y = x + nme")
        #expect(error?.traceback[2] == "            ^^^")
        #expect(error?.traceback[3] == "\u{1B}[0;31mNameError\u{1B}[0m: name \"nme\" is not defined")
        // State survives: x was bound before the error.
        #expect(session.run("x").0.plainResult == "1")
    }

    @Test func syntaxErrorTraceback() {
        let (session, _) = makeSession()
        let error = session.run("f(1, 2", count: 1).0.error
        #expect(error?.ename == "SyntaxError")
        #expect(error?.traceback[1...2] == ["    f(1, 2", "     ^"])
    }

    @Test func helpAndQuestionMarkPage() {
        let (session, _) = makeSession()
        for code in ["?sleep", "sleep?", "help(sleep)", "help(\"sleep\")"] {
            let (outcome, sink) = session.run(code)
            #expect(outcome.error == nil, "\(code)")
            #expect(sink.events.isEmpty)
            #expect(outcome.payload.count == 1)
            guard case .object(let page)? = outcome.payload.first, case .object(let data)? = page["data"],
                  case .string(let text)? = data["text/plain"] else {
                Issue.record("no page payload for \(code)")
                continue
            }
            #expect(page["source"] == .string("page"))
            #expect(page["start"] == .int(0))
            #expect(text.hasPrefix("sleep(seconds) -> none\n\nWait for a number of seconds"))
        }
        let overview = session.run("help()").0.payload
        #expect(overview.count == 1)
        let unknown = session.run("?slep").0.error
        #expect(unknown?.ename == "NameError")
        #expect(unknown?.evalue.contains("did you mean \"sleep\"?") == true)
    }

    @Test func userExpressionsAreEvaluated() {
        let (session, _) = makeSession()
        let sink = RecordingSink()
        let outcome = session.execute(ExecuteRequest(code: "a = 20", userExpressions: ["double": "a * 2", "bad": "a +"]),
                                      executionCount: 1, output: sink)
        #expect(outcome.userExpressions["double"] == .object(["status": .string("ok"), "data": .object(["text/plain": .string("40")]),
                                                             "metadata": .object([:])]))
        guard case .object(let bad)? = outcome.userExpressions["bad"] else {
            Issue.record("missing")
            return
        }
        #expect(bad["status"] == .string("error"))
        #expect(bad["ename"] == .string("SyntaxError"))
    }

    @Test func interruptEndsSleepWithinASecond() throws {
        let started = DispatchSemaphore(value: 0)
        let mark = Verb("mark", category: "Test", summary: "Signals that the cell is running.", example: "mark()") { _, _ in
            started.signal()
            return .none
        }
        let (session, _) = makeSession([mark])
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: ExecuteOutcome?
        let thread = Thread {
            outcome = session.run("x = 1\nmark()\nsleep(30)\ny = 2").0
            finished.signal()
        }
        thread.start()
        #expect(started.wait(timeout: .now() + 10) == .success)
        Thread.sleep(forTimeInterval: 0.1)
        let interruptedAt = Date()
        session.interrupt()
        #expect(finished.wait(timeout: .now() + 5) == .success)
        #expect(Date().timeIntervalSince(interruptedAt) < 1.0)
        #expect(outcome?.error?.ename == "Interrupted")
        #expect(outcome?.error?.evalue == "interrupted by the user")
        #expect(outcome?.error?.traceback[2] == "    ^^^^^^^^^")
        // The flag is reset for the next cell; names bound before the interrupt survive.
        #expect(session.run("y = 2\nx + y").0.plainResult == "3")
    }

    @Test func interruptedVerbKeepsItsPartialResult() {
        let counter = Verb("counter", category: "Test", summary: "Counts until interrupted.", returns: "int", example: "counter()") { _, context in
            for i in 0... {
                context.partial = .int(i)
                if i == 3 { context.interruption.request() }
                try context.interruption.check()
            }
            return .none
        }
        let (session, _) = makeSession([counter])
        let error = session.run("counter()").0.error
        #expect(error?.ename == "Interrupted")
        #expect(error?.evalue == "interrupted by the user; the partial result is kept in _")
        #expect(session.run("_").0.plainResult == "3")
    }

    @Test func progressIsThrottledAndUpdatesInPlace() {
        let stepper = Verb("stepper", category: "Test", summary: "Reports 1000 steps.", example: "stepper()") { _, context in
            let progress = context.progress("working", total: 1000)
            for i in 1...1000 { progress.step(i, status: "step \(i)") }
            return .none
        }
        let (session, _) = makeSession([stepper])
        let start = Date()
        let (outcome, sink) = session.run("stepper()")
        let elapsed = Date().timeIntervalSince(start)
        #expect(outcome.error == nil)
        let displays = sink.events.compactMap { e -> (MimeBundle, String?, Bool)? in
            if case .display(let b, let id, let u) = e { return (b, id, u) } else { return nil }
        }
        #expect(displays.count >= 2)
        #expect(Double(displays.count) <= 2 + elapsed * 5 + 1)
        #expect(displays.first?.2 == false)
        #expect(displays.dropFirst().allSatisfy { $0.2 })
        #expect(Set(displays.map(\.1)).count == 1)
        guard case .string(let last)? = displays.last?.0.data["text/plain"] else {
            Issue.record("no text")
            return
        }
        #expect(last.hasPrefix("working: 1000/1000 [####################] 100%"))
        #expect(last.hasSuffix("step 1000"))
    }

    @Test func liveDisplayThrottles() {
        let sink = RecordingSink()
        let live = LiveDisplay(sink: sink, displayID: "d1", maxRate: 4)
        let t0 = Date()
        for i in 0..<10 { live.show(MimeBundle(data: ["text/plain": .string("\(i)")]), now: t0.addingTimeInterval(Double(i) * 0.1)) }
        live.finish()
        let texts = sink.events.map { e -> String in
            if case .display(let b, let id, let update) = e, case .string(let t)? = b.data["text/plain"] { return "\(t):\(id ?? ""):\(update)" }
            return "?"
        }
        #expect(texts == ["0:d1:false", "3:d1:true", "6:d1:true", "9:d1:true"])
    }
}

@Suite struct MetadataTests {
    final class Box: @unchecked Sendable { var metadata: [String: JSON] = [:] }

    @Test func resultMetadataNamesVerbArgumentsAndSeed() throws {
        let box = Box()
        let recorder = Verb("recorder", category: "Test", summary: "Keeps its own call metadata.",
                            parameters: [Parameter("steps", .integer, default: .int(10), doc: "n"),
                                         Parameter("img", .any, doc: "x")],
                            example: "recorder(img=1)") { args, context in
            box.metadata = context.metadata(for: args)
            return .none
        }
        let interpreter = Interpreter(registry: VerbRegistry(CoreVerbs.all + [recorder]))
        #expect(interpreter.run("seed(7); recorder(img=[1, 2.5, \"a\", none])", output: RecordingSink()).error == nil)
        #expect(box.metadata == ["verb": .string("recorder"), "seed": .int(7),
                                 "arguments": .object(["steps": .int(10), "img": .array([.int(1), .double(2.5), .string("a"), .null])])])
    }
}
