/// The seam between the Jupyter protocol and a language.
///
/// The protocol layer owns everything the messaging spec dictates (sockets, signing, busy/idle, execute_input,
/// execution counts, aborting after an error, comm and shutdown handling); a backend owns only what a
/// language knows: how to run a cell, complete, inspect, judge completeness and keep history.
/// Nothing here mentions ZeroMQ, so a backend is testable with an in-memory sink.

/// A JSON value: the content of every Jupyter message and every MIME bundle entry.
public enum JSON: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])
}

/// A display payload: `data` maps MIME types to content (`text/plain` always present), `metadata` is per-MIME.
public struct MimeBundle: Sendable, Equatable {
    public var data: [String: JSON]
    public var metadata: [String: JSON]
    public init(data: [String: JSON], metadata: [String: JSON] = [:]) {
        self.data = data
        self.metadata = metadata
    }
}

public enum StreamName: String, Sendable { case stdout, stderr }

/// Where a running cell sends its side effects; each call becomes one IOPub message parented to the request.
/// Safe to call from any thread.
public protocol OutputSink: AnyObject, Sendable {
    func stream(_ name: StreamName, _ text: String)
    /// `display_data`, or `update_display_data` when `update` is true (then `displayID` is required).
    func display(_ bundle: MimeBundle, displayID: String?, update: Bool)
    func clearOutput(wait: Bool)
}

public struct ExecuteRequest: Sendable, Equatable {
    public var code: String
    public var silent: Bool
    public var storeHistory: Bool
    public var userExpressions: [String: String]
    public var allowStdin: Bool
    public var stopOnError: Bool
    public init(code: String, silent: Bool = false, storeHistory: Bool = true, userExpressions: [String: String] = [:],
                allowStdin: Bool = false, stopOnError: Bool = true) {
        self.code = code
        self.silent = silent
        self.storeHistory = storeHistory
        self.userExpressions = userExpressions
        self.allowStdin = allowStdin
        self.stopOnError = stopOnError
    }
}

/// An error as Jupyter shows it: `traceback` lines may carry ANSI colour.
public struct ErrorReport: Error, Sendable, Equatable {
    public var ename: String
    public var evalue: String
    public var traceback: [String]
    public init(ename: String, evalue: String, traceback: [String]) {
        self.ename = ename
        self.evalue = evalue
        self.traceback = traceback
    }
}

/// What a cell produced. The dispatcher turns `result` into `execute_result` (unless silent) and `error`
/// into an IOPub `error` plus an error reply.
public struct ExecuteOutcome: Sendable {
    public var result: MimeBundle?
    public var error: ErrorReport?
    /// Reply payloads, e.g. `{"source": "page", "data": {...}, "start": 0}` for help.
    public var payload: [JSON]
    /// One entry per requested user expression: `{"status":"ok","data":…,"metadata":…}` or an error dict.
    public var userExpressions: [String: JSON]
    public init(result: MimeBundle? = nil, error: ErrorReport? = nil, payload: [JSON] = [], userExpressions: [String: JSON] = [:]) {
        self.result = result
        self.error = error
        self.payload = payload
        self.userExpressions = userExpressions
    }
}

public struct CompleteReply: Sendable, Equatable {
    public var matches: [String]
    /// Code-point offsets into the request's code.
    public var cursorStart: Int
    public var cursorEnd: Int
    public var metadata: [String: JSON]
    public init(matches: [String], cursorStart: Int, cursorEnd: Int, metadata: [String: JSON] = [:]) {
        self.matches = matches
        self.cursorStart = cursorStart
        self.cursorEnd = cursorEnd
        self.metadata = metadata
    }
}

public struct InspectReply: Sendable, Equatable {
    public var found: Bool
    public var bundle: MimeBundle
    public init(found: Bool, bundle: MimeBundle) {
        self.found = found
        self.bundle = bundle
    }
}

public enum CompletenessStatus: Sendable, Equatable {
    case complete
    case incomplete(indent: String)
    case invalid
    case unknown
}

public struct HistoryRequest: Sendable, Equatable {
    public enum Access: String, Sendable { case tail, range, search }
    public var access: Access
    public var output: Bool
    public var raw: Bool
    public var session: Int
    public var start: Int
    public var stop: Int
    public var n: Int?
    public var pattern: String
    public var unique: Bool
    public init(access: Access, output: Bool = false, raw: Bool = true, session: Int = 0, start: Int = 0, stop: Int = 0,
                n: Int? = nil, pattern: String = "*", unique: Bool = false) {
        self.access = access
        self.output = output
        self.raw = raw
        self.session = session
        self.start = start
        self.stop = stop
        self.n = n
        self.pattern = pattern
        self.unique = unique
    }
}

/// One history row: (session, line_number, input) — or input plus output text when requested.
public struct HistoryEntry: Sendable, Equatable {
    public var session: Int
    public var line: Int
    public var input: String
    public var output: String?
    public init(session: Int, line: Int, input: String, output: String? = nil) {
        self.session = session
        self.line = line
        self.input = input
        self.output = output
    }
}

/// The static part of `kernel_info_reply`, supplied by the language.
public struct KernelInfo: Sendable, Equatable {
    public var implementation: String
    public var implementationVersion: String
    /// `language_info` as the spec defines it (name, version, mimetype, file_extension, pygments_lexer, …).
    public var languageInfo: [String: JSON]
    public var banner: String
    public var helpLinks: [(text: String, url: String)]
    public init(implementation: String, implementationVersion: String, languageInfo: [String: JSON], banner: String,
                helpLinks: [(text: String, url: String)]) {
        self.implementation = implementation
        self.implementationVersion = implementationVersion
        self.languageInfo = languageInfo
        self.banner = banner
        self.helpLinks = helpLinks
    }
    public static func == (a: KernelInfo, b: KernelInfo) -> Bool {
        a.implementation == b.implementation && a.implementationVersion == b.implementationVersion
            && a.languageInfo == b.languageInfo && a.banner == b.banner
            && a.helpLinks.map { $0.text + "\u{0}" + $0.url } == b.helpLinks.map { $0.text + "\u{0}" + $0.url }
    }
}

/// A language the kernel can host. Shell requests are delivered one at a time on one thread;
/// `interrupt()` arrives from another thread (control channel or SIGINT) while `execute` runs.
public protocol KernelBackend: AnyObject {
    var info: KernelInfo { get }
    /// Runs one cell. `executionCount` is the count this request carries (already incremented by the
    /// dispatcher when the request stores history and is not silent); the backend records history itself.
    func execute(_ request: ExecuteRequest, executionCount: Int, output: OutputSink) -> ExecuteOutcome
    func complete(code: String, cursorPos: Int) -> CompleteReply
    func inspect(code: String, cursorPos: Int, detailLevel: Int) -> InspectReply
    func isComplete(code: String) -> CompletenessStatus
    func history(_ request: HistoryRequest) -> [HistoryEntry]
    /// The session number for history (increments once per kernel start, persisted).
    var historySession: Int { get }
    /// Asks the running cell, if any, to stop soon. Must be cheap and thread-safe.
    func interrupt()
    /// The kernel is going away (or restarting): flush anything that must survive.
    func shutdown(restart: Bool)
}
