import Foundation
import Protocol
import Testing
@testable import Kernel

/// `requires(path, hint)`: a cell that needs an optional file runs on when it exists and is skipped — with status
/// ok, one explanatory line and nothing after it run — when it doesn't.
@Suite struct RequiresTests {
    @Test func missingFileSkipsTheRestOfTheCellWithoutAnError() {
        let (session, _) = makeSession()
        let code = """
        before = 1
        requires("imagenet/squeezenet1_1.onnx", hint="export it with the README's recipe")
        after = 2
        print("not reached")
        after
        """
        let (outcome, sink) = session.run(code)
        #expect(outcome.error == nil)
        #expect(outcome.result == nil)
        #expect(sink.events == [.stream(.stdout,
            "skipped: imagenet/squeezenet1_1.onnx not found — export it with the README's recipe\n")])
        // Statements before the stop ran; the ones after did not.
        #expect(session.run("before").0.plainResult == "1")
        #expect(session.run("after").0.error?.ename == "NameError")
        // The session goes on normally with the next cell.
        #expect(session.run("6 * 7").0.plainResult == "42")
    }

    @Test func withoutHintTheLineJustNamesTheFile() {
        let (session, _) = makeSession()
        let (outcome, sink) = session.run("requires(\"nothing-here.onnx\")")
        #expect(outcome.error == nil)
        #expect(sink.stdout == "skipped: nothing-here.onnx not found\n")
    }

    @Test func existingFileLetsTheCellRunOn() throws {
        let (session, dir) = makeSession()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("imagenet"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: dir.appendingPathComponent("imagenet/model.onnx"))
        let (outcome, sink) = session.run("requires(\"imagenet/model.onnx\", hint=\"h\")\nprint(\"ran\")\n6 * 7")
        #expect(outcome.error == nil)
        #expect(sink.stdout == "ran\n")
        #expect(outcome.plainResult == "42")
        // An absolute path works too, and `requires` itself returns none.
        let absolute = dir.appendingPathComponent("imagenet/model.onnx").path
        #expect(session.run("type(requires(\"\(absolute)\"))").0.plainResult == "\"none\"")
    }

    @Test func aDirectoryIsNotTheFile() throws {
        let (session, dir) = makeSession()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("imagenet"), withIntermediateDirectories: true)
        let (outcome, sink) = session.run("requires(\"imagenet\")\nprint(\"ran\")")
        #expect(outcome.error == nil)
        #expect(sink.stdout == "skipped: imagenet not found\n")
    }

    @Test func argumentsAreCheckedLikeAnyVerb() {
        let (session, _) = makeSession()
        #expect(session.run("requires(3)").0.error?.ename == "TypeError")
        #expect(session.run("requires(\"a\", hnt=\"b\")").0.error?.evalue
            == "requires() has no parameter \"hnt\"; did you mean \"hint\"? (parameters are: path, hint)")
    }
}
