import Foundation
import Testing
@testable import Engine

/// gzip, raw deflate and zip containers through the zlib wrapper.
@Suite struct DataCompressionTests {
    static let text = Array(String(repeating: "Fovea sees inside convolutional networks. ", count: 200).utf8)

    @Test func gzipRoundTrip() throws {
        let packed = try Zlib.gzip(Self.text)
        #expect(packed.count < Self.text.count / 5)
        #expect(Array(packed.prefix(2)) == [0x1f, 0x8b])
        #expect(try Zlib.gunzip(packed) == Self.text)
    }

    @Test func gunzipMatchesSystemGzip() throws {
        // Bytes of `printf 'hello\n' | gzip -n`, written by GNU gzip.
        let bytes: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48, 0xcd, 0xc9,
                              0xc9, 0xe7, 0x02, 0x00, 0x20, 0x30, 0x3a, 0x36, 0x06, 0x00, 0x00, 0x00]
        #expect(try Zlib.gunzip(bytes) == Array("hello\n".utf8))
    }

    @Test func gunzipConcatenatedMembers() throws {
        let a = try Zlib.gzip(Array("first ".utf8)), b = try Zlib.gzip(Array("second".utf8))
        #expect(try Zlib.gunzip(a + b) == Array("first second".utf8))
    }

    @Test func gunzipRejectsNonGzip() {
        #expect(throws: DataError(.corrupt, "x is not a gzip file (bad magic bytes)")) {
            try Zlib.gunzip(Array("definitely not gzip data".utf8), name: "x")
        }
    }

    @Test func gunzipRejectsTruncatedStream() throws {
        let packed = try Zlib.gzip(Self.text)
        let error = #expect(throws: DataError.self) { try Zlib.gunzip(Array(packed.prefix(packed.count / 2)), name: "half.gz") }
        #expect(error?.kind == .corrupt)
        #expect(error?.message == "half.gz is truncated (the compressed stream ends early)")
    }

    @Test func gunzipRejectsFlippedBytes() throws {
        var packed = try Zlib.gzip(Self.text)
        packed[packed.count - 6] ^= 0xff  // inside the CRC trailer
        let error = #expect(throws: DataError.self) { try Zlib.gunzip(packed, name: "bad.gz") }
        #expect(error?.kind == .corrupt)
        #expect(error?.message.hasPrefix("bad.gz is corrupt") == true)
    }

    @Test func crc32KnownValue() {
        // The standard check value of CRC-32 for "123456789".
        #expect(Zlib.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test(arguments: [ZipArchive.Method.stored, .deflated])
    func zipRoundTrip(method: ZipArchive.Method) throws {
        let archive = ZipArchive(entries: [.init(name: "a.txt", data: Self.text), .init(name: "empty", data: []),
                                           .init(name: "bytes.bin", data: (0..<256).map { UInt8($0) })])
        let bytes = try archive.encoded(method: method)
        let back = try ZipArchive(parsing: bytes)
        #expect(back.entries == archive.entries)
    }

    @Test func zipRejectsGarbage() {
        let error = #expect(throws: DataError.self) { try ZipArchive(parsing: Array(repeating: 7, count: 100), name: "g.npz") }
        #expect(error?.message == "g.npz is not a zip archive (no end of central directory)")
    }

    @Test func zipDetectsCorruptEntry() throws {
        var bytes = try ZipArchive(entries: [.init(name: "a", data: Self.text)]).encoded(method: .stored)
        bytes[40] ^= 0x01  // inside a's stored data
        let error = #expect(throws: DataError.self) { try ZipArchive(parsing: bytes, name: "z") }
        #expect(error?.message == "z: entry a fails its size or CRC check")
    }

    @Test func zipDetectsTruncation() throws {
        let bytes = try ZipArchive(entries: [.init(name: "a", data: Self.text)]).encoded(method: .deflated)
        // Keep the end record but cut the data out of the middle: offsets now point past real content.
        let cut = Array(bytes.prefix(60)) + Array(bytes.suffix(22))
        #expect(throws: DataError.self) { try ZipArchive(parsing: cut, name: "cut") }
    }
}
