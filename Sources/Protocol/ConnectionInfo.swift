/// The connection file a Jupyter client writes before starting the kernel (`-f {connection_file}`).
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

public enum ConnectionFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalidJSON(String)
    case missingField(String)
    case wrongType(field: String, expected: String)
    case unsupportedTransport(String)
    case unsupportedSignatureScheme(String)
    case incompleteCurveKeys

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read connection file \(path): \(reason)"
        case .invalidJSON(let reason): return "connection file is not valid JSON: \(reason)"
        case .missingField(let field): return "connection file has no \(field)"
        case .wrongType(let field, let expected): return "connection file field \(field) must be \(expected)"
        case .unsupportedTransport(let transport): return "unsupported transport \(transport) (use tcp or ipc)"
        case .unsupportedSignatureScheme(let scheme): return "unsupported signature_scheme \(scheme) (use hmac-sha256)"
        case .incompleteCurveKeys: return "connection file has only one of curve_publickey/curve_secretkey"
        }
    }
}

public struct ConnectionInfo: Sendable, Equatable {
    public enum Transport: String, Sendable { case tcp, ipc }
    public enum Channel: String, Sendable, CaseIterable { case shell, iopub, stdin, control, hb }

    public var transport: Transport
    public var ip: String
    public var shellPort: Int
    public var iopubPort: Int
    public var stdinPort: Int
    public var controlPort: Int
    public var hbPort: Int
    /// HMAC key bytes (the UTF-8 of the `key` string); empty disables signing.
    public var key: [UInt8]
    public var signatureScheme: String
    /// Z85 CurveZMQ server key pair (40 characters each); when present every socket is a CURVE server.
    public var curvePublicKey: String?
    public var curveSecretKey: String?

    public init(transport: Transport = .tcp, ip: String = "127.0.0.1", shellPort: Int = 0, iopubPort: Int = 0,
                stdinPort: Int = 0, controlPort: Int = 0, hbPort: Int = 0, key: [UInt8] = [],
                signatureScheme: String = "hmac-sha256", curvePublicKey: String? = nil, curveSecretKey: String? = nil) {
        self.transport = transport
        self.ip = ip
        self.shellPort = shellPort
        self.iopubPort = iopubPort
        self.stdinPort = stdinPort
        self.controlPort = controlPort
        self.hbPort = hbPort
        self.key = key
        self.signatureScheme = signatureScheme
        self.curvePublicKey = curvePublicKey
        self.curveSecretKey = curveSecretKey
    }

    public static func load(path: String) throws -> ConnectionInfo {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConnectionFileError.unreadable(path: path, reason: "\(error)")
        }
        return try parse(Array(data))
    }

    public static func parse(_ bytes: [UInt8]) throws -> ConnectionInfo {
        let root: [String: JSON]
        do {
            guard case .object(let members) = try JSON.decode(bytes) else {
                throw ConnectionFileError.invalidJSON("top level is not an object")
            }
            root = members
        } catch let error as JSONDecodingError {
            throw ConnectionFileError.invalidJSON(error.description)
        }

        func string(_ field: String, default fallback: String?) throws -> String {
            switch root[field] {
            case .string(let value)?: return value
            case nil, .null?:
                if let fallback { return fallback }
                throw ConnectionFileError.missingField(field)
            case .some: throw ConnectionFileError.wrongType(field: field, expected: "a string")
            }
        }
        func port(_ field: String) throws -> Int {
            switch root[field] {
            case .int(let value)? where (0...65535).contains(value): return value
            case nil: throw ConnectionFileError.missingField(field)
            case .some: throw ConnectionFileError.wrongType(field: field, expected: "a port number")
            }
        }

        let transportName = try string("transport", default: "tcp")
        guard let transport = Transport(rawValue: transportName) else {
            throw ConnectionFileError.unsupportedTransport(transportName)
        }
        let scheme = try string("signature_scheme", default: "hmac-sha256")
        let key = try string("key", default: "")
        guard scheme == "hmac-sha256" || key.isEmpty else {
            throw ConnectionFileError.unsupportedSignatureScheme(scheme)
        }
        let publicKey = root["curve_publickey"]?.stringValue
        let secretKey = root["curve_secretkey"]?.stringValue
        guard (publicKey == nil) == (secretKey == nil) else { throw ConnectionFileError.incompleteCurveKeys }

        return ConnectionInfo(
            transport: transport,
            ip: try string("ip", default: "127.0.0.1"),
            shellPort: try port("shell_port"),
            iopubPort: try port("iopub_port"),
            stdinPort: try port("stdin_port"),
            controlPort: try port("control_port"),
            hbPort: try port("hb_port"),
            key: Array(key.utf8),
            signatureScheme: scheme,
            curvePublicKey: publicKey,
            curveSecretKey: secretKey
        )
    }

    public func port(of channel: Channel) -> Int {
        switch channel {
        case .shell: return shellPort
        case .iopub: return iopubPort
        case .stdin: return stdinPort
        case .control: return controlPort
        case .hb: return hbPort
        }
    }

    /// The ZeroMQ endpoint a channel binds: `tcp://ip:port` (`[ip]` for IPv6, `*` for port 0) or
    /// `ipc://ip-port` as jupyter_client spells it.
    public func endpoint(_ channel: Channel) -> String {
        let port = port(of: channel)
        switch transport {
        case .tcp:
            let host = ip.contains(":") && !ip.hasPrefix("[") ? "[\(ip)]" : ip
            return "tcp://\(host):\(port == 0 ? "*" : String(port))"
        case .ipc:
            return "ipc://\(ip)-\(port)"
        }
    }

    public var isIPv6: Bool { transport == .tcp && ip.contains(":") }
}

extension ConnectionInfo: CustomStringConvertible {
    /// Endpoints and whether signing/encryption are on; never the key or the secret key.
    public var description: String {
        let channels = Channel.allCases.map { "\($0.rawValue)=\(endpoint($0))" }.joined(separator: " ")
        return "ConnectionInfo(\(channels), signing: \(key.isEmpty ? "off" : signatureScheme), curve: \(curveSecretKey == nil ? "off" : "on"))"
    }
}
