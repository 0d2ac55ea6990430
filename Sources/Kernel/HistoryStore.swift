import Engine
import Foundation
import Protocol

/// Cell history kept in a JSON-lines file (one `{"session","line","input","output"?}` object per line),
/// shared by all kernels of the user and kept across restarts. Each cell is one `write` of one whole line to
/// a file opened with `O_APPEND`, so a kernel killed mid-write can at worst leave a torn last line, which
/// reading skips; earlier lines are never touched. The line is written before the cell's reply (a killed
/// kernel's cells are in the file), and then `fsync`ed on a background queue: waiting for the disk took
/// 0.5–3 ms of every cell's round trip on a busy machine. The session number lives in a small file next to
/// it and grows by one per kernel start.
public final class HistoryStore {
    public let fileURL: URL
    public let sessionFileURL: URL
    public private(set) var session: Int
    private var entries: [HistoryEntry] = []
    private let lock = NSLock()
    /// Flushes written lines to the disk (`fsync`) in order, off the cell's path.
    private let flushing = DispatchQueue(label: "fovea.history.fsync")

    /// `$XDG_DATA_HOME/fovea/history.jsonl`, else `~/.local/share/fovea/history.jsonl`.
    public static var defaultURL: URL {
        let env = ProcessInfo.processInfo.environment
        let base: URL
        if let xdg = env["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            base = URL(fileURLWithPath: xdg)
        } else {
            base = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share")
        }
        return base.appendingPathComponent("fovea/history.jsonl")
    }

    /// Opens (creating if needed) the history at `fileURL` and starts a new session.
    public init(fileURL: URL = HistoryStore.defaultURL) {
        self.fileURL = fileURL
        sessionFileURL = fileURL.deletingPathExtension().appendingPathExtension("session")
        try? FileManager.default.createDirectory(at: fileURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        entries = HistoryStore.read(fileURL)
        let lastSession = max(HistoryStore.readSession(sessionFileURL), entries.map(\.session).max() ?? 0)
        session = lastSession + 1
        HistoryStore.writeSession(session, to: sessionFileURL)
    }

    static func read(_ url: URL) -> [HistoryEntry] {
        guard let data = try? Data(contentsOf: url) else { return [] }
        var out: [HistoryEntry] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let session = object["session"] as? Int, let number = object["line"] as? Int,
                  let input = object["input"] as? String else { continue }
            out.append(HistoryEntry(session: session, line: number, input: input, output: object["output"] as? String))
        }
        return out
    }

    static func readSession(_ url: URL) -> Int {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return 0 }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Written atomically (`AtomicFile`), so it is always whole; a failure is reported, never fatal.
    static func writeSession(_ session: Int, to url: URL) {
        do { try AtomicFile.write(Array("\(session)\n".utf8), to: url.path) } catch {
            FileHandle.standardError.write(Data("fovea: \(error)\n".utf8))
        }
    }

    /// Records one cell. Failures to write are reported on stderr, never fatal: history is a convenience.
    public func append(line: Int, input: String, output: String?) {
        let entry = HistoryEntry(session: session, line: line, input: input, output: output)
        var object: [String: Any] = ["session": session, "line": line, "input": input]
        if let output { object["output"] = output }
        lock.withLock { entries.append(entry) }
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        data.append(UInt8(ascii: "\n"))
        let fd = open(fileURL.path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            FileHandle.standardError.write(Data("fovea: cannot write history to \(fileURL.path): errno \(errno)\n".utf8))
            return
        }
        // A torn last line from a killed kernel must not swallow this one: start on a fresh line.
        if endsWithoutNewline(fd) { data.insert(UInt8(ascii: "\n"), at: 0) }
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; break }
                offset += n
            }
        }
        flushing.async {
            fsync(fd)
            close(fd)
        }
    }

    /// Waits until every line appended so far has been flushed to the disk.
    public func flush() { flushing.sync {} }

    private func endsWithoutNewline(_ fd: Int32) -> Bool {
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0 else { return false }
        var last: UInt8 = 0
        guard pread(fd, &last, 1, off_t(st.st_size - 1)) == 1 else { return false }
        return last != UInt8(ascii: "\n")
    }

    /// Answers a `history_request`.
    public func query(_ request: HistoryRequest) -> [HistoryEntry] {
        let all = lock.withLock { entries }
        var rows: [HistoryEntry]
        switch request.access {
        case .tail:
            rows = request.unique ? HistoryStore.unique(all) : all
            rows = Array(rows.suffix(max(request.n ?? 10, 0)))
        case .range:
            let wanted = request.session > 0 ? request.session : session + request.session
            rows = all.filter { $0.session == wanted && $0.line >= request.start && (request.stop <= 0 || $0.line < request.stop) }
            if request.unique { rows = HistoryStore.unique(rows) }
        case .search:
            let pattern = Glob(request.pattern.isEmpty ? "*" : request.pattern)
            rows = all.filter { pattern.matches($0.input) }
            if request.unique { rows = HistoryStore.unique(rows) }
            if let n = request.n, n > 0 { rows = Array(rows.suffix(n)) }
        }
        if !request.output { rows = rows.map { HistoryEntry(session: $0.session, line: $0.line, input: $0.input) } }
        return rows
    }

    /// Keeps the latest occurrence of each input, in order.
    static func unique(_ rows: [HistoryEntry]) -> [HistoryEntry] {
        var seen = Set<String>()
        var out: [HistoryEntry] = []
        for row in rows.reversed() where seen.insert(row.input).inserted { out.append(row) }
        return out.reversed()
    }
}

/// Shell-style glob: `*` any run, `?` one character, `[abc]`/`[a-z]`/`[!a]` a set; the whole input must match
/// (as IPython's history search, which uses SQLite's GLOB).
struct Glob {
    private enum Piece { case literal(Character), any, one, set([ClosedRange<Character>], negated: Bool) }
    private let pieces: [Piece]

    init(_ pattern: String) {
        var pieces: [Piece] = []
        var chars = Array(pattern)[...]
        while let c = chars.popFirst() {
            switch c {
            case "*": pieces.append(.any)
            case "?": pieces.append(.one)
            case "[":
                guard let close = chars.dropFirst().firstIndex(of: "]") else {
                    pieces.append(.literal("["))
                    continue
                }
                var body = Array(chars[chars.startIndex..<close])
                chars = chars[(close + 1)...]
                let negated = body.first == "!" || body.first == "^"
                if negated { body.removeFirst() }
                var ranges: [ClosedRange<Character>] = []
                var i = 0
                while i < body.count {
                    if i + 2 < body.count, body[i + 1] == "-", body[i] <= body[i + 2] {
                        ranges.append(body[i]...body[i + 2])
                        i += 3
                    } else {
                        ranges.append(body[i]...body[i])
                        i += 1
                    }
                }
                pieces.append(.set(ranges, negated: negated))
            default: pieces.append(.literal(c))
            }
        }
        self.pieces = pieces
    }

    /// Iterative matching with one backtrack point per `*` (linear-ish, no exponential blow-up).
    func matches(_ text: String) -> Bool {
        let t = Array(text)
        var p = 0, i = 0
        var star: (p: Int, i: Int)?
        while i < t.count {
            if p < pieces.count {
                switch pieces[p] {
                case .any:
                    star = (p, i)
                    p += 1
                    continue
                case .one:
                    p += 1; i += 1
                    continue
                case .literal(let c) where c == t[i]:
                    p += 1; i += 1
                    continue
                case .set(let ranges, let negated) where ranges.contains { $0.contains(t[i]) } != negated:
                    p += 1; i += 1
                    continue
                default: break
                }
            }
            guard let s = star else { return false }
            star = (s.p, s.i + 1)
            p = s.p + 1
            i = s.i + 1
        }
        while p < pieces.count, case .any = pieces[p] { p += 1 }
        return p == pieces.count
    }
}
