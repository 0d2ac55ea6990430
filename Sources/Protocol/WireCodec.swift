/// The Jupyter wire format, as pure data:
///
///     [identities…, "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers…]
///
/// The signature is the hex HMAC-SHA256 of the four dictionary frames exactly as they travel; encoding
/// serialises each dictionary once and signs those very bytes, decoding checks the signature over the
/// received bytes (in constant time) before parsing any JSON.
import Crypto

public let messageDelimiter: Frame = Array("<IDS|MSG>".utf8)

/// Why a received multipart message was dropped. The descriptions never include the key.
public enum WireError: Error, Equatable, CustomStringConvertible {
    case missingDelimiter
    /// Fewer than the five frames (signature + four dictionaries) after the delimiter.
    case missingFrames(found: Int)
    case badSignature
    case invalidJSON(part: String, reason: String)
    /// A dictionary frame that is valid JSON but not an object.
    case notAnObject(part: String)
    case badHeader(String)
    case oversize(bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .missingDelimiter: return "no <IDS|MSG> delimiter"
        case .missingFrames(let found): return "expected 5 frames after the delimiter, found \(found)"
        case .badSignature: return "signature does not match"
        case .invalidJSON(let part, let reason): return "\(part) is not valid JSON: \(reason)"
        case .notAnObject(let part): return "\(part) is not a JSON object"
        case .badHeader(let reason): return "bad header: \(reason)"
        case .oversize(let bytes, let limit): return "message of \(bytes) bytes exceeds the \(limit)-byte limit"
        }
    }
}

/// HMAC-SHA256 signing with the connection file's key; an empty key disables signing (empty signature,
/// nothing checked), as the spec says. Its description never shows the key.
public struct MessageSigner: @unchecked Sendable, CustomStringConvertible {
    public var description: String { isEnabled ? "MessageSigner(hmac-sha256)" : "MessageSigner(unsigned)" }

    private let key: SymmetricKey?

    public init(key: [UInt8]) {
        self.key = key.isEmpty ? nil : SymmetricKey(data: key)
    }

    public var isEnabled: Bool { key != nil }

    /// Lowercase hex digest of the parts in order, as ASCII bytes; empty when signing is disabled.
    public func signature(_ parts: [Frame]) -> Frame {
        guard let key else { return [] }
        var mac = HMAC<SHA256>(key: key)
        for part in parts { mac.update(data: part) }
        let digest = mac.finalize()
        var hex: Frame = []
        hex.reserveCapacity(64)
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        for byte in digest {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return hex
    }

    /// True when `received` is the signature of `parts`. Always true when signing is disabled.
    /// Compares every byte regardless of where the first difference is.
    public func verify(_ received: Frame, _ parts: [Frame]) -> Bool {
        guard isEnabled else { return true }
        return constantTimeEqual(signature(parts), received)
    }
}

/// Equal length and equal bytes, in time that depends only on the lengths.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in 0..<a.count { difference |= a[index] ^ b[index] }
    return difference == 0
}

/// Frames ⇄ `Message` with one signing key and one size limit.
public struct WireCodec: Sendable {
    public let signer: MessageSigner
    /// Messages whose frames add up to more than this are rejected before parsing.
    public let maxMessageBytes: Int

    public static let defaultMaxMessageBytes = 256 << 20

    public init(key: [UInt8], maxMessageBytes: Int = WireCodec.defaultMaxMessageBytes) {
        self.signer = MessageSigner(key: key)
        self.maxMessageBytes = maxMessageBytes
    }

    public func encode(_ message: Message) -> [Frame] {
        let parts: [Frame] = [
            JSON.object(message.header.json).encoded(),
            JSON.object(message.parentHeader).encoded(),
            JSON.object(message.metadata).encoded(),
            JSON.object(message.content).encoded(),
        ]
        var frames = message.identities
        frames.reserveCapacity(frames.count + 6 + message.buffers.count)
        frames.append(messageDelimiter)
        frames.append(signer.signature(parts))
        frames.append(contentsOf: parts)
        frames.append(contentsOf: message.buffers)
        return frames
    }

    /// Checks, in order: size, delimiter, frame count, signature, then each dictionary's JSON and the header.
    public func decode(_ frames: [Frame]) throws -> Message {
        let total = frames.reduce(0) { $0 + $1.count }
        return try decode(frames, totalBytes: total)
    }

    /// As `decode(_:)` when the transport already counted the bytes (and may have kept fewer frames
    /// than it read because the message was too big).
    public func decode(_ frames: [Frame], totalBytes: Int) throws -> Message {
        guard totalBytes <= maxMessageBytes else { throw WireError.oversize(bytes: totalBytes, limit: maxMessageBytes) }
        guard let delimiter = frames.firstIndex(of: messageDelimiter) else { throw WireError.missingDelimiter }
        let afterDelimiter = frames.count - delimiter - 1
        guard afterDelimiter >= 5 else { throw WireError.missingFrames(found: afterDelimiter) }
        let signature = frames[delimiter + 1]
        let parts = Array(frames[(delimiter + 2)..<(delimiter + 6)])
        guard signer.verify(signature, parts) else { throw WireError.badSignature }

        func object(_ frame: Frame, _ part: String) throws -> [String: JSON] {
            let value: JSON
            do {
                value = try JSON.decode(frame)
            } catch let error as JSONDecodingError {
                throw WireError.invalidJSON(part: part, reason: error.description)
            }
            guard case .object(let members) = value else { throw WireError.notAnObject(part: part) }
            return members
        }
        let header = try MessageHeader(json: object(parts[0], "header"))
        return Message(
            identities: Array(frames[..<delimiter]),
            header: header,
            parentHeader: try object(parts[1], "parent_header"),
            metadata: try object(parts[2], "metadata"),
            content: try object(parts[3], "content"),
            buffers: Array(frames[(delimiter + 6)...])
        )
    }
}
