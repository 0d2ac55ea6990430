import Foundation
import Protocol

/// One output area updated in place: the first `show` is a `display_data` carrying a fresh `display_id`,
/// later ones are `update_display_data` to the same id, at most `maxRate` per second (updates in between
/// are kept and the latest is sent by `finish()`), so IOPub rate limits never drop output.
public final class LiveDisplay: @unchecked Sendable {
    public let displayID: String
    private let sink: OutputSink
    /// The least time between two updates sent (1 / `maxRate`).
    let minInterval: TimeInterval
    private let lock = NSLock()
    private var lastSent: Date?
    private var pending: ((_ held: Bool) -> MimeBundle)?
    public private(set) var sentCount = 0

    public init(sink: OutputSink, displayID: String = UUID().uuidString.lowercased(), maxRate: Double = 5) {
        self.sink = sink
        self.displayID = displayID
        self.minInterval = 1 / max(maxRate, 0.1)
    }

    /// Shows `bundle` now if enough time has passed since the last one, else keeps it for later.
    public func show(_ bundle: MimeBundle, force: Bool = false, now: Date = Date()) {
        show(force: force, now: now) { _ in bundle }
    }

    /// Like `show(_:)`, but `make` runs only if the update is sent: one the throttle holds back and a later one
    /// replaces costs nothing. A frame with a picture is a PNG encoded twice in base64 and JSON; building one
    /// per step took ≈ 15 % of a DeepDream octave at 192×256. `make(held)` is told whether it is the last
    /// held-back update, sent by `finish()`.
    public func show(force: Bool = false, now: Date = Date(), building make: @escaping (_ held: Bool) -> MimeBundle) {
        let update: Bool? = lock.withLock {
            if let last = lastSent, !force, now.timeIntervalSince(last) < minInterval {
                pending = make
                return nil
            }
            let update = lastSent != nil
            lastSent = now
            pending = nil
            sentCount += 1
            return update
        }
        if let update {
            sink.display(make(false), displayID: displayID, update: update)
        }
    }

    /// Sends the last held-back update, if any.
    public func finish() {
        let held: ((_ held: Bool) -> MimeBundle)? = lock.withLock {
            defer { pending = nil }
            return pending
        }
        if let held { show(force: true) { _ in held(true) } }
    }
}

/// A progress line (and optionally the current image) for a long verb: `step` as often as you like,
/// the display is throttled. Call `finish()` at the end (or let the evaluator do it when the verb returns).
public final class Progress: @unchecked Sendable {
    public let label: String
    public let total: Int?
    private let display: LiveDisplay
    private let startTime = Date()
    public private(set) var completed = 0

    init(label: String, total: Int?, display: LiveDisplay) {
        self.label = label
        self.total = total
        self.display = display
    }

    public var displayID: String { display.displayID }

    /// Reports that `completed` steps are done; `status` is extra text (e.g. `loss 0.31`), `picture` an optional
    /// value whose rich forms (e.g. the current image) are shown under the line. `picture` is evaluated only
    /// when the throttle lets this update through, and shown from one display interval after the start on (the
    /// first update, sent at once, is the line alone) or in the last update held back: a run shorter than a few
    /// intervals encodes its picture once or twice, not at every update.
    public func step(_ completed: Int, status: String = "", picture: @autoclosure @escaping () -> Value? = nil) {
        self.completed = completed
        let text = line(status: status)
        display.show { [self] held in
            let drawn = held || Date().timeIntervalSince(startTime) >= display.minInterval
            return bundle(text: text, picture: drawn ? picture() : nil)
        }
    }

    /// Sends the last held-back update, if throttling kept one.
    public func flush() { display.finish() }

    /// Shows the final state regardless of throttling.
    public func finish(status: String = "", picture: Value? = nil) {
        display.show(bundle(text: line(status: status), picture: picture), force: true)
    }

    /// "label: 37/100 [#######.............] 37% 1.2s loss 0.31"
    public func line(status: String) -> String {
        let elapsed = String(format: "%.1fs", Date().timeIntervalSince(startTime))
        var text = "\(label): "
        if let total, total > 0 {
            let fraction = min(1, max(0, Double(completed) / Double(total)))
            let width = 20
            let filled = Int((fraction * Double(width)).rounded(.down))
            text += "\(completed)/\(total) [" + String(repeating: "#", count: filled)
                + String(repeating: ".", count: width - filled) + "] \(Int((fraction * 100).rounded(.down)))%"
        } else {
            text += "\(completed)"
        }
        text += " \(elapsed)"
        if !status.isEmpty { text += " " + status }
        return text
    }

    private func bundle(text: String, picture: Value?) -> MimeBundle {
        var data: [String: JSON] = [:]
        if let picture, let rich = try? Display.bundle(for: picture) {
            data = rich.data
        }
        data["text/plain"] = .string(text)
        if data["text/html"] != nil || data["image/png"] != nil {
            data["text/html"] = .string("<pre>" + Display.escapeHTML(text) + "</pre>" + Display.htmlImage(from: data))
        }
        return MimeBundle(data: data)
    }
}
