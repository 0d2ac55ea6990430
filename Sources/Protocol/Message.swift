/// A Jupyter message as data: routing identities, the four dictionaries and extra binary buffers.
///
/// Nothing here touches a socket; `WireCodec` turns a `Message` into frames and back.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The protocol version this kernel implements: 5.5 adds the XPUB `iopub_welcome` message (JEP 65).
public let jupyterProtocolVersion = "5.5"

/// `header` of a message. Unknown fields (e.g. `subshell_id`) are kept in `extra` so a request's header
/// echoes back unchanged as its replies' `parent_header`.
public struct MessageHeader: Sendable, Equatable {
    public var msgID: String
    public var session: String
    public var username: String
    /// ISO 8601, as the sender wrote it.
    public var date: String
    public var msgType: String
    public var version: String
    public var extra: [String: JSON]

    public init(msgID: String, session: String, username: String, date: String, msgType: String,
                version: String = jupyterProtocolVersion, extra: [String: JSON] = [:]) {
        self.msgID = msgID
        self.session = session
        self.username = username
        self.date = date
        self.msgType = msgType
        self.version = version
        self.extra = extra
    }

    /// Reads a received header. `msg_id` and `msg_type` are required strings; the other standard fields
    /// default to "" when absent (older clients) but must be strings when present.
    public init(json: [String: JSON]) throws {
        func field(_ name: String, required: Bool) throws -> String {
            switch json[name] {
            case .string(let value)?: return value
            case nil where !required: return ""
            case nil: throw WireError.badHeader("missing \(name)")
            case .some: throw WireError.badHeader("\(name) is not a string")
            }
        }
        msgID = try field("msg_id", required: true)
        msgType = try field("msg_type", required: true)
        session = try field("session", required: false)
        username = try field("username", required: false)
        version = try field("version", required: false)
        // `date` is a string on the wire, but tolerate other JSON (some clients send null).
        date = json["date"]?.stringValue ?? ""
        var extra = json
        for key in MessageHeader.standardKeys { extra.removeValue(forKey: key) }
        self.extra = extra
    }

    static let standardKeys = ["msg_id", "session", "username", "date", "msg_type", "version"]

    public var json: [String: JSON] {
        var object = extra
        object["msg_id"] = .string(msgID)
        object["session"] = .string(session)
        object["username"] = .string(username)
        object["date"] = .string(date)
        object["msg_type"] = .string(msgType)
        object["version"] = .string(version)
        return object
    }
}

public struct Message: Sendable, Equatable {
    /// ZeroMQ routing prefix: the requester's identities on ROUTER sockets, the topic on IOPub.
    public var identities: [Frame]
    public var header: MessageHeader
    /// `{}` for messages that answer nothing; otherwise the parent's header exactly as received.
    public var parentHeader: [String: JSON]
    public var metadata: [String: JSON]
    public var content: [String: JSON]
    public var buffers: [Frame]

    public init(identities: [Frame] = [], header: MessageHeader, parentHeader: [String: JSON] = [:],
                metadata: [String: JSON] = [:], content: [String: JSON] = [:], buffers: [Frame] = []) {
        self.identities = identities
        self.header = header
        self.parentHeader = parentHeader
        self.metadata = metadata
        self.content = content
        self.buffers = buffers
    }

    public var msgType: String { header.msgType }
}

/// Makes headers for the messages this kernel sends: one session id per kernel process, fresh msg_ids.
public struct MessageFactory: Sendable {
    public let session: String
    public let username: String

    public init(session: String = MessageFactory.newID(), username: String = MessageFactory.defaultUsername()) {
        self.session = session
        self.username = username
    }

    public static func newID() -> String { UUID().uuidString.lowercased() }

    public static func defaultUsername() -> String {
        ProcessInfo.processInfo.environment["USER"] ?? "kernel"
    }

    public func header(_ msgType: String) -> MessageHeader {
        MessageHeader(msgID: MessageFactory.newID(), session: session, username: username,
                      date: isoTimestamp(), msgType: msgType)
    }

    /// A reply or side effect of `parent`: addressed to the same identities (shell/control) when
    /// `replying`, parented to its header.
    public func message(_ msgType: String, content: [String: JSON], parent: Message?, metadata: [String: JSON] = [:],
                        identities: [Frame]? = nil) -> Message {
        Message(identities: identities ?? [], header: header(msgType),
                parentHeader: parent.map { $0.header.json } ?? [:], metadata: metadata, content: content)
    }

    public func reply(to request: Message, _ msgType: String, content: [String: JSON],
                      metadata: [String: JSON] = [:]) -> Message {
        message(msgType, content: content, parent: request, metadata: metadata, identities: request.identities)
    }
}

/// Now as ISO 8601 in UTC with microseconds, e.g. `2026-11-25T11:29:12.123456Z` (what jupyter_client writes).
public func isoTimestamp() -> String {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return isoTimestamp(seconds: Int(now.tv_sec), microseconds: Int(now.tv_nsec) / 1000)
}

func isoTimestamp(seconds: Int, microseconds: Int) -> String {
    var time = time_t(seconds)
    var parts = tm()
    gmtime_r(&time, &parts)
    func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
    return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
        + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))."
        + "\(pad(microseconds, 6))Z"
}
