/// JSON text ⇄ `JSON` values, written for the wire: bytes in, bytes out, no Foundation.
///
/// Why not JSONSerialization: it blurs ints and doubles (`1` vs `1.0`) through NSNumber and is slow on the
/// per-message path. Here integers without fraction or exponent that fit an `Int` stay `.int`, everything
/// else is `.double`; encoding writes `.double` with a fraction or exponent, so both round-trip.
/// Input must be UTF-8 (the spec says so): invalid bytes are an error, not silently replaced.

public enum JSONDecodingError: Error, Equatable, CustomStringConvertible {
    case unexpectedEnd
    case unexpectedByte(UInt8, offset: Int)
    case invalidUTF8(offset: Int)
    case invalidNumber(offset: Int)
    case invalidEscape(offset: Int)
    case controlCharacterInString(offset: Int)
    case tooDeep(limit: Int)
    case trailingData(offset: Int)

    public var description: String {
        switch self {
        case .unexpectedEnd: return "unexpected end of JSON"
        case .unexpectedByte(let byte, let offset): return "unexpected byte 0x\(String(byte, radix: 16)) at \(offset)"
        case .invalidUTF8(let offset): return "invalid UTF-8 at \(offset)"
        case .invalidNumber(let offset): return "invalid number at \(offset)"
        case .invalidEscape(let offset): return "invalid escape at \(offset)"
        case .controlCharacterInString(let offset): return "control character in string at \(offset)"
        case .tooDeep(let limit): return "nesting deeper than \(limit)"
        case .trailingData(let offset): return "trailing data at \(offset)"
        }
    }
}

extension JSON {
    /// Nesting bound: deeper input is rejected instead of overflowing the stack.
    public static let maximumDepth = 512

    /// Parses one JSON document (surrounding whitespace allowed).
    public static func decode(_ bytes: [UInt8]) throws -> JSON {
        try bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer)
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            if parser.offset != buffer.count { throw JSONDecodingError.trailingData(offset: parser.offset) }
            return value
        }
    }

    /// Compact JSON text, object keys sorted (so equal values give equal bytes). Non-finite doubles become
    /// `null`, as JSON has no spelling for them.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(to: &out)
        return out
    }

    /// The same text as a `String`, for logs and tests.
    public var jsonText: String { String(decoding: encoded(), as: UTF8.self) }

    func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let value): out.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
        case .int(let value): out.append(contentsOf: String(value).utf8)
        case .double(let value):
            if value.isFinite {
                // Swift's description is the shortest round-tripping form and always has "." or "e".
                out.append(contentsOf: value.description.utf8)
            } else {
                out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
            }
        case .string(let value): JSON.writeString(value, to: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x00..<0x20, 0x7F:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A recursive-descent JSON parser over a byte buffer; depth-bounded.
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var offset = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    func peek() throws -> UInt8 {
        guard offset < bytes.count else { throw JSONDecodingError.unexpectedEnd }
        return bytes[offset]
    }

    mutating func expect(_ literal: StaticString, value: JSON) throws -> JSON {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= bytes.count else { throw JSONDecodingError.unexpectedEnd }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for index in 0..<count where bytes[offset + index] != expected[index] {
            throw JSONDecodingError.unexpectedByte(bytes[offset + index], offset: offset + index)
        }
        offset += count
        return value
    }

    mutating func parseValue(depth: Int) throws -> JSON {
        guard depth < JSON.maximumDepth else { throw JSONDecodingError.tooDeep(limit: JSON.maximumDepth) }
        switch try peek() {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", value: .bool(true))
        case UInt8(ascii: "f"): return try expect("false", value: .bool(false))
        case UInt8(ascii: "n"): return try expect("null", value: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case let byte: throw JSONDecodingError.unexpectedByte(byte, offset: offset)
        }
    }

    mutating func parseObject(depth: Int) throws -> JSON {
        offset += 1
        var members: [String: JSON] = [:]
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else { throw JSONDecodingError.unexpectedByte(bytes[offset], offset: offset) }
            let key = try parseString()
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw JSONDecodingError.unexpectedByte(bytes[offset], offset: offset) }
            offset += 1
            skipWhitespace()
            members[key] = try parseValue(depth: depth + 1)
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"):
                offset += 1
                return .object(members)
            case let byte: throw JSONDecodingError.unexpectedByte(byte, offset: offset)
            }
        }
    }

    mutating func parseArray(depth: Int) throws -> JSON {
        offset += 1
        var values: [JSON] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            offset += 1
            return .array(values)
        }
        while true {
            skipWhitespace()
            values.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"):
                offset += 1
                return .array(values)
            case let byte: throw JSONDecodingError.unexpectedByte(byte, offset: offset)
            }
        }
    }

    mutating func parseNumber() throws -> JSON {
        let start = offset
        var isInteger = true
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        let digitsStart = offset
        while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) { offset += 1 }
        if offset == digitsStart { throw JSONDecodingError.invalidNumber(offset: start) }
        if bytes[digitsStart] == UInt8(ascii: "0") && offset - digitsStart > 1 {
            throw JSONDecodingError.invalidNumber(offset: start)
        }
        if offset < bytes.count && bytes[offset] == UInt8(ascii: ".") {
            isInteger = false
            offset += 1
            let fractionStart = offset
            while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) { offset += 1 }
            if offset == fractionStart { throw JSONDecodingError.invalidNumber(offset: start) }
        }
        if offset < bytes.count && (bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E")) {
            isInteger = false
            offset += 1
            if offset < bytes.count && (bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-")) {
                offset += 1
            }
            let exponentStart = offset
            while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) { offset += 1 }
            if offset == exponentStart { throw JSONDecodingError.invalidNumber(offset: start) }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        if isInteger, let value = Int(text) { return .int(value) }
        guard let value = Double(text) else { throw JSONDecodingError.invalidNumber(offset: start) }
        return .double(value)
    }

    /// Parses a string literal starting at its opening quote.
    mutating func parseString() throws -> String {
        offset += 1
        let start = offset
        // Fast path: no escapes.
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<offset])
                guard let string = String(validating: slice, as: UTF8.self) else {
                    throw JSONDecodingError.invalidUTF8(offset: start)
                }
                offset += 1
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw JSONDecodingError.controlCharacterInString(offset: offset) }
            offset += 1
        }
        // Slow path: decode escapes into a byte buffer, then validate it as UTF-8 once.
        var buffer = Array(UnsafeBufferPointer(rebasing: bytes[start..<offset]))
        while true {
            guard offset < bytes.count else { throw JSONDecodingError.unexpectedEnd }
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                guard let string = String(validating: buffer, as: UTF8.self) else {
                    throw JSONDecodingError.invalidUTF8(offset: start)
                }
                return string
            case UInt8(ascii: "\\"):
                offset += 1
                guard offset < bytes.count else { throw JSONDecodingError.unexpectedEnd }
                let escape = bytes[offset]
                offset += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "u"):
                    let scalar = try parseUnicodeEscape()
                    buffer.append(contentsOf: String(Character(scalar)).utf8)
                default: throw JSONDecodingError.invalidEscape(offset: offset - 2)
                }
            case 0x00..<0x20:
                throw JSONDecodingError.controlCharacterInString(offset: offset)
            default:
                buffer.append(byte)
                offset += 1
            }
        }
    }

    mutating func parseHex4() throws -> UInt32 {
        guard offset + 4 <= bytes.count else { throw JSONDecodingError.unexpectedEnd }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw JSONDecodingError.invalidEscape(offset: offset)
            }
            value = value << 4 | digit
            offset += 1
        }
        return value
    }

    /// `\uXXXX`, joining a surrogate pair; a lone surrogate becomes U+FFFD (a Swift string cannot hold one).
    mutating func parseUnicodeEscape() throws -> Unicode.Scalar {
        let first = try parseHex4()
        if (0xD800..<0xDC00).contains(first) {
            if offset + 6 <= bytes.count && bytes[offset] == UInt8(ascii: "\\") && bytes[offset + 1] == UInt8(ascii: "u") {
                let save = offset
                offset += 2
                let second = try parseHex4()
                if (0xDC00..<0xE000).contains(second) {
                    let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    return Unicode.Scalar(combined) ?? "\u{FFFD}"
                }
                offset = save
            }
            return "\u{FFFD}"
        }
        return Unicode.Scalar(first) ?? "\u{FFFD}"
    }
}

// MARK: - Typed access for request contents

extension JSON {
    public var stringValue: String? { if case .string(let value) = self { return value }; return nil }
    public var boolValue: Bool? { if case .bool(let value) = self { return value }; return nil }
    public var intValue: Int? {
        switch self {
        case .int(let value): return value
        case .double(let value) where value.rounded() == value && abs(value) < 9.0e15: return Int(value)
        default: return nil
        }
    }
    public var objectValue: [String: JSON]? { if case .object(let value) = self { return value }; return nil }
    public var arrayValue: [JSON]? { if case .array(let value) = self { return value }; return nil }

    public subscript(key: String) -> JSON? { objectValue?[key] }
}
