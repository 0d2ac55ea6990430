/// Typed reading of request contents. A field of the wrong type is a `BadRequest` (answered with an error
/// reply), never a crash and never silently replaced by a default; absent optional fields take the spec's
/// defaults.

public struct BadRequest: Error, Equatable, CustomStringConvertible {
    public let field: String
    public let expected: String
    public var description: String { "field '\(field)' must be \(expected)" }
}

struct ContentReader {
    let content: [String: JSON]

    func string(_ field: String, default fallback: String? = nil) throws -> String {
        switch content[field] {
        case .string(let value)?: return value
        case nil: if let fallback { return fallback }
        default: break
        }
        throw BadRequest(field: field, expected: "a string")
    }

    func bool(_ field: String, default fallback: Bool) throws -> Bool {
        switch content[field] {
        case .bool(let value)?: return value
        case nil, .null?: return fallback
        default: throw BadRequest(field: field, expected: "true or false")
        }
    }

    func int(_ field: String, default fallback: Int? = nil) throws -> Int {
        if let value = content[field]?.intValue { return value }
        if let fallback, content[field] == nil || content[field] == .null { return fallback }
        throw BadRequest(field: field, expected: "an integer")
    }

    func optionalInt(_ field: String) throws -> Int? {
        guard let value = content[field], value != .null else { return nil }
        guard let int = value.intValue else { throw BadRequest(field: field, expected: "an integer") }
        return int
    }

    func stringMap(_ field: String) throws -> [String: String] {
        guard let value = content[field], value != .null else { return [:] }
        guard case .object(let members) = value else { throw BadRequest(field: field, expected: "an object") }
        var result: [String: String] = [:]
        for (key, member) in members {
            guard case .string(let text) = member else { throw BadRequest(field: "\(field).\(key)", expected: "a string") }
            result[key] = text
        }
        return result
    }
}

extension ExecuteRequest {
    init(content: [String: JSON]) throws {
        let reader = ContentReader(content: content)
        let silent = try reader.bool("silent", default: false)
        // silent forces store_history off (spec).
        let storeHistory = try reader.bool("store_history", default: !silent) && !silent
        self.init(
            code: try reader.string("code"),
            silent: silent,
            storeHistory: storeHistory,
            userExpressions: try reader.stringMap("user_expressions"),
            allowStdin: try reader.bool("allow_stdin", default: true),
            stopOnError: try reader.bool("stop_on_error", default: true)
        )
    }
}

extension HistoryRequest {
    init(content: [String: JSON]) throws {
        let reader = ContentReader(content: content)
        let accessName = try reader.string("hist_access_type")
        guard let access = Access(rawValue: accessName) else {
            throw BadRequest(field: "hist_access_type", expected: "one of tail, range, search")
        }
        self.init(
            access: access,
            output: try reader.bool("output", default: false),
            raw: try reader.bool("raw", default: true),
            session: try reader.int("session", default: 0),
            start: try reader.int("start", default: 0),
            stop: try reader.int("stop", default: 0),
            n: try reader.optionalInt("n"),
            pattern: try reader.string("pattern", default: "*"),
            unique: try reader.bool("unique", default: false)
        )
    }
}
