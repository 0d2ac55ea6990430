import Foundation
import Protocol
import Testing
@testable import Kernel

@Suite struct HistoryTests {
    func tempFile() -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-history-\(UUID().uuidString)")
        return dir.appendingPathComponent("history.jsonl")
    }

    @Test func sessionsIncrementAndHistoryPersists() throws {
        let url = tempFile()
        let first = FoveaSession(historyFile: url)
        #expect(first.historySession == 1)
        _ = first.execute(ExecuteRequest(code: "a = 1"), executionCount: 1, output: RecordingSink())
        _ = first.execute(ExecuteRequest(code: "a + 1"), executionCount: 2, output: RecordingSink())
        _ = first.execute(ExecuteRequest(code: "print(a)", silent: true), executionCount: 2, output: RecordingSink())
        _ = first.execute(ExecuteRequest(code: "a * 5", storeHistory: false), executionCount: 2, output: RecordingSink())
        first.shutdown(restart: true)

        let second = FoveaSession(historyFile: url)
        #expect(second.historySession == 2)
        _ = second.execute(ExecuteRequest(code: "b = 2"), executionCount: 1, output: RecordingSink())

        let tail = second.history(HistoryRequest(access: .tail, output: true, n: 10))
        #expect(tail == [HistoryEntry(session: 1, line: 1, input: "a = 1"), HistoryEntry(session: 1, line: 2, input: "a + 1", output: "2"),
                         HistoryEntry(session: 2, line: 1, input: "b = 2")])
        let previous = second.history(HistoryRequest(access: .range, session: -1, start: 2, stop: 3))
        #expect(previous == [HistoryEntry(session: 1, line: 2, input: "a + 1")])
        let current = second.history(HistoryRequest(access: .range, session: 0, start: 1, stop: 0))
        #expect(current == [HistoryEntry(session: 2, line: 1, input: "b = 2")])
    }

    @Test func searchWithGlobsNAndUnique() {
        let session = FoveaSession(historyFile: tempFile())
        for (i, code) in ["x = 1", "print(x)", "x = 1", "print(2)", "x = 1"].enumerated() {
            _ = session.execute(ExecuteRequest(code: code), executionCount: i + 1, output: RecordingSink())
        }
        #expect(session.history(HistoryRequest(access: .search, pattern: "x*")).count == 3)
        #expect(session.history(HistoryRequest(access: .search, pattern: "x*", unique: true)).map(\.line) == [5])
        #expect(session.history(HistoryRequest(access: .search, n: 2, pattern: "print(?)")).map(\.input) == ["print(x)", "print(2)"])
        #expect(session.history(HistoryRequest(access: .search, pattern: "print([0-9])")).map(\.input) == ["print(2)"])
        #expect(session.history(HistoryRequest(access: .search, pattern: "*[!x])")).map(\.input) == ["print(2)"])
        #expect(session.history(HistoryRequest(access: .tail, n: 2, unique: true)).map(\.input) == ["print(2)", "x = 1"])
    }

    @Test func tornLastLineIsSkippedAndNotGlued() throws {
        let url = tempFile()
        let s1 = FoveaSession(historyFile: url)
        _ = s1.execute(ExecuteRequest(code: "kept = 1"), executionCount: 1, output: RecordingSink())
        // Simulate a kernel killed in the middle of writing a line.
        let handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
        handle.write(Data("{\"session\":1,\"line\":2,\"inp".utf8))
        try handle.close()
        let s2 = FoveaSession(historyFile: url)
        _ = s2.execute(ExecuteRequest(code: "after = 2"), executionCount: 1, output: RecordingSink())
        let s3 = FoveaSession(historyFile: url)
        #expect(s3.historySession == 3)
        #expect(s3.history(HistoryRequest(access: .tail, n: 10)).map(\.input) == ["kept = 1", "after = 2"])
    }

    @Test func globMatching() {
        #expect(Glob("*").matches(""))
        #expect(Glob("a*b*c").matches("aXXbYYc"))
        #expect(!Glob("a*b*c").matches("aXXbYY"))
        #expect(Glob("?=?").matches("x=1"))
        #expect(Glob("[a-c]x").matches("bx"))
        #expect(!Glob("[!a-c]x").matches("bx"))
        #expect(Glob(String(repeating: "*a", count: 30)).matches(String(repeating: "a", count: 30)))
        #expect(!Glob(String(repeating: "*a", count: 30) + "b").matches(String(repeating: "a", count: 200)))
    }
}
