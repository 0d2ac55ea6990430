import Engine
import Foundation
import Protocol

/// Everything a verb may touch besides its arguments: where output goes, the interrupt flag, the session's
/// random numbers, the working directory, the pager, and a slot for the partial result of long work.
public final class VerbContext {
    public let output: OutputSink
    /// Poll it in every long loop (`try context.interruption.check()`); `interruption.sleep` waits interruptibly.
    public let interruption: Interruption
    public let registry: VerbRegistry
    /// Relative paths are resolved against this directory (the kernel's working directory).
    public let workingDirectory: URL
    /// The names bound in the session (read-only for verbs; used e.g. by `help` to describe values).
    public let names: [String: Value]
    /// Where the call is written in the cell (for messages).
    public let callSpan: SourceSpan?
    let session: SessionRandom
    /// Pager payloads (`help`) collected for the reply.
    var pages: [String] = []
    /// A long verb that is interrupted stores what it has so far here; the evaluator binds it to `_`.
    public var partial: Value?
    private var progresses: [Progress] = []

    init(output: OutputSink, interruption: Interruption, registry: VerbRegistry, workingDirectory: URL,
         names: [String: Value], callSpan: SourceSpan?, random: SessionRandom) {
        self.output = output
        self.interruption = interruption
        self.registry = registry
        self.workingDirectory = workingDirectory
        self.names = names
        self.callSpan = callSpan
        self.session = random
    }

    /// The seed set by `seed(n)` (0 at start); record it in results' metadata.
    public var seed: UInt64 { session.seed }

    /// A generator for this call: seeded from the session's seed and how many random calls came before,
    /// so that re-running a cell after `seed(n)` repeats it exactly. Pass an explicit seed to override.
    public func random(seed explicit: Int? = nil) -> SeededRandom {
        if let explicit { return SeededRandom(seed: UInt64(bitPattern: Int64(explicit))) }
        return session.nextGenerator()
    }

    /// Re-seeds the session's random numbers (what `seed(n)` does).
    public func reseed(_ seed: UInt64) { session.reseed(seed) }

    public func print(_ text: String) { output.stream(.stdout, text) }
    public func warn(_ text: String) { output.stream(.stderr, text) }

    /// Publishes a value at once (`display_data`).
    public func display(_ value: Value) throws {
        output.display(try Display.bundle(for: value), displayID: nil, update: false)
    }

    /// Adds a pager payload (what `help` does).
    public func page(_ text: String) { pages.append(text) }

    /// A throttled progress display updated in place; finished automatically when the verb returns or throws.
    public func progress(_ label: String, total: Int? = nil, maxRate: Double = 5) -> Progress {
        let p = Progress(label: label, total: total, display: LiveDisplay(sink: output, maxRate: maxRate))
        progresses.append(p)
        return p
    }

    /// An absolute file URL for a path written in a cell (`~` expanded, relative to the working directory).
    public func resolve(path: String) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded) }
        return workingDirectory.appendingPathComponent(expanded)
    }

    func finishProgress() {
        for p in progresses { p.flush() }
        progresses.removeAll()
    }
}

/// The session's seed and how many generators were handed out since `seed(n)`.
final class SessionRandom {
    private(set) var seed: UInt64 = 0
    private var counter: UInt64 = 0

    func reseed(_ seed: UInt64) {
        self.seed = seed
        counter = 0
    }

    func nextGenerator() -> SeededRandom {
        counter += 1
        var mixer = SeededRandom(seed: seed ^ (counter &* 0xD6E8_FEB8_6659_FD93))
        return SeededRandom(seed: mixer.next())
    }
}
