import Testing
@testable import Protocol

@Suite struct JSONCodingTests {
    @Test(arguments: [
        ("0", JSON.int(0)),
        ("-17", .int(-17)),
        ("9223372036854775807", .int(Int.max)),
        ("1.0", .double(1.0)),
        ("2.5e-3", .double(0.0025)),
        ("1E2", .double(100)),
        ("9223372036854775808", .double(9223372036854775808.0)),
        ("true", .bool(true)),
        ("null", .null),
        ("\"a\\u00e9\\n\\\"\"", .string("aé\n\"")),
        ("\"\\ud83d\\udc41\"", .string("👁")),
        ("\"\\ud83d\"", .string("\u{FFFD}")),
        ("[1, [2.0, {}], \"x\"]", .array([.int(1), .array([.double(2.0), .object([:])]), .string("x")])),
        (" {\"k\": {\"n\": -0.5}} ", .object(["k": .object(["n": .double(-0.5)])])),
    ])
    func decodes(text: String, expected: JSON) throws {
        #expect(try JSON.decode(Array(text.utf8)) == expected)
    }

    /// Expected text made with Python: json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    @Test func encodesLikePythonSortedCompact() {
        let value = JSON.object(["b": .array([.int(1), .double(2.5), .null, .bool(true)]), "a": .string("x\n\u{1}é")])
        #expect(value.jsonText == "{\"a\":\"x\\n\\u0001é\",\"b\":[1,2.5,null,true]}")
    }

    @Test func intsAndDoublesRoundTrip() throws {
        let value = JSON.array([.int(3), .double(3.0), .double(0.1), .double(1e300), .double(-2.5e-8), .int(Int.min)])
        let text = value.encoded()
        #expect(try JSON.decode(text) == value)
        #expect(String(decoding: text, as: UTF8.self).hasPrefix("[3,3.0,0.1,"))
    }

    @Test func nonFiniteDoublesBecomeNull() {
        #expect(JSON.array([.double(.nan), .double(.infinity)]).jsonText == "[null,null]")
    }

    @Test func stringsWithEveryEscapeRoundTrip() throws {
        let text = "tab\t quote\" backslash\\ nul\u{0} del\u{7F} 😀 e\u{301}"
        #expect(try JSON.decode(JSON.string(text).encoded()) == .string(text))
    }

    @Test(arguments: [
        ("", JSONDecodingError.unexpectedEnd),
        ("{\"a\":1,}", .unexpectedByte(UInt8(ascii: "}"), offset: 7)),
        ("01", .invalidNumber(offset: 0)),
        ("1.", .invalidNumber(offset: 0)),
        ("-", .invalidNumber(offset: 0)),
        ("[1] x", .trailingData(offset: 4)),
        ("\"a\nb\"", .controlCharacterInString(offset: 2)),
        ("\"\\x\"", .invalidEscape(offset: 1)),
        ("nul", .unexpectedEnd),
    ])
    func rejects(text: String, error: JSONDecodingError) {
        #expect(throws: error) { try JSON.decode(Array(text.utf8)) }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0x61, 0xC3, 0x28, 0x22]  // "a\xC3(" : truncated two-byte sequence
        #expect(throws: JSONDecodingError.invalidUTF8(offset: 1)) { try JSON.decode(bytes) }
        let escaped: [UInt8] = Array("\"\\n".utf8) + [0xFF, 0x22]
        #expect(throws: JSONDecodingError.invalidUTF8(offset: 1)) { try JSON.decode(escaped) }
    }

    @Test func boundsNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONDecodingError.tooDeep(limit: JSON.maximumDepth)) { try JSON.decode(Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? JSON.decode(Array(fine.utf8))) != nil)
    }
}
