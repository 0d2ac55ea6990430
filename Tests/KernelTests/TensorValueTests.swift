import Engine
import Foundation
import Protocol
import Testing
@testable import Kernel

@Suite struct TensorValueTests {
    @Test func tensorFromNestedLists() {
        let (session, _) = makeSession()
        #expect(session.run("t = tensor([[1, 2], [3, 4.5]])\nt").0.plainResult == "Tensor 2×2 float32\n[[1.0, 2.0], [3.0, 4.5]]")
        #expect(session.run("t.shape").0.plainResult == "[2, 2]")
        #expect(session.run("t[1]").0.plainResult == "Tensor 2 float32\n[3.0, 4.5]")
        #expect(session.run("t[1][0]").0.plainResult == "3.0")
        #expect(session.run("t[-1:]").0.plainResult == "Tensor 1×2 float32\n[[3.0, 4.5]]")
        #expect(session.run("len(t)").0.plainResult == "2")
        #expect(session.run("tensor(2)").0.plainResult == "Tensor scalar float32\n2.0")
        #expect(session.run("tensor([])").0.plainResult == "Tensor 0 float32\n[]")
    }

    @Test func arithmeticBroadcasts() {
        let (session, _) = makeSession()
        _ = session.run("t = tensor([[1, 2], [3, 4]])")
        #expect(session.run("(t * 2 + 1).values").0.plainResult == "[[3.0, 5.0], [7.0, 9.0]]")
        #expect(session.run("(10 - t).values").0.plainResult == "[[9.0, 8.0], [7.0, 6.0]]")
        #expect(session.run("(t + tensor([10, 20])).values").0.plainResult == "[[11.0, 22.0], [13.0, 24.0]]")
        #expect(session.run("(-t ** 2).values").0.plainResult == "[[-1.0, -4.0], [-9.0, -16.0]]")
        #expect(session.run("(2 ** t).values").0.plainResult == "[[2.0, 4.0], [8.0, 16.0]]")
        #expect(session.run("[t.min, t.max, t.mean]").0.plainResult == "[1.0, 4.0, 2.5]")
        let error = session.run("t + tensor([1, 2, 3])").0.error
        #expect(error?.ename == "ShapeError")
        #expect(error?.traceback[2] == "      ^")
    }

    @Test(arguments: [
        ("tensor([[1, 2], [3]])", "ShapeError", "tensor(): ragged list: expected 2 elements at depth 1, got 1"),
        ("tensor([1, [2]])", "ShapeError", "tensor(): ragged list: a list where a number was expected at depth 1"),
        ("tensor([[1], 2])", "ShapeError", "tensor(): ragged list: a number where a list of 1 was expected at depth 1"),
        ("tensor([\"a\"])", "TypeError", "tensor(): values must be numbers, not string"),
        ("tensor(\"a\")", "TypeError", "tensor(): values must be a list or number, not string (\"a\")"),
    ])
    func raggedAndWrongValues(_ code: String, _ ename: String, _ message: String) {
        let (session, _) = makeSession()
        let error = session.run(code).0.error
        #expect(error?.ename == ename)
        #expect(error?.evalue == message)
    }

    @Test func smallMatricesDisplayAsHeatMaps() throws {
        let (session, _) = makeSession()
        let outcome = session.run("tensor([[0, 1, 2], [3, 4, 5]])").0
        guard case .string(let b64)? = outcome.result?.data["image/png"], let data = Data(base64Encoded: b64) else {
            Issue.record("no heat map")
            return
        }
        let png = try PNGCodec.decode([UInt8](data))
        // The 2×3 field fills the 224-pixel panel width (plus a colour bar); the height keeps the aspect ratio.
        #expect(png.width > 224 && png.height >= 149)
        #expect(session.run("tensor([1, 2, 3])").0.result?.data["image/png"] == nil)
    }

    /// The .npy file is read back by NumPy itself (the venv's numpy is the oracle).
    @Test func savesNPYThatNumPyReads() throws {
        let (session, dir) = makeSession()
        #expect(session.run("save(tensor([[1.5, -2], [3, 1e-3], [0, 7]]), \"t.npy\")").0.error == nil)
        let python = URL(fileURLWithPath: "/work/venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else { return }
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", "import numpy as n, sys; a = n.load(sys.argv[1]); print(a.dtype, a.shape, a.tolist())",
                             dir.appendingPathComponent("t.npy").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text == "float32 (3, 2) [[1.5, -2.0], [3.0, 0.0010000000474974513], [0.0, 7.0]]\n")
    }
}
