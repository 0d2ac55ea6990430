/// The `OutputSink` a running cell writes to: each call becomes one IOPub message parented to the request.
public final class RequestOutput: OutputSink, @unchecked Sendable {
    private let parent: Message
    private let factory: MessageFactory
    private let publisher: IOPubPublisher
    /// A silent request broadcasts nothing on IOPub (spec: `silent` suppresses output).
    private let silent: Bool

    public init(parent: Message, factory: MessageFactory, publisher: IOPubPublisher, silent: Bool) {
        self.parent = parent
        self.factory = factory
        self.publisher = publisher
        self.silent = silent
    }

    private func publish(_ msgType: String, _ content: [String: JSON]) {
        guard !silent else { return }
        publisher.publish(factory.message(msgType, content: content, parent: parent, identities: iopubTopic(msgType, factory)))
    }

    public func stream(_ name: StreamName, _ text: String) {
        publish("stream", ["name": .string(name.rawValue), "text": .string(text)])
    }

    public func display(_ bundle: MimeBundle, displayID: String?, update: Bool) {
        var content: [String: JSON] = ["data": .object(bundle.data), "metadata": .object(bundle.metadata)]
        var transient: [String: JSON] = [:]
        if let displayID { transient["display_id"] = .string(displayID) }
        content["transient"] = .object(transient)
        if update && displayID == nil {
            logError("update_display_data without a display_id: sent as display_data")
        }
        publish(update && displayID != nil ? "update_display_data" : "display_data", content)
    }

    public func clearOutput(wait: Bool) {
        publish("clear_output", ["wait": .bool(wait)])
    }
}

/// IOPub topic frame, in ipykernel's convention `kernel.<session>.<msg_type>`; clients subscribe to all.
func iopubTopic(_ msgType: String, _ factory: MessageFactory) -> [Frame] {
    [Array("kernel.\(factory.session).\(msgType)".utf8)]
}
