import Foundation

/// Reading and writing whole files as bytes, with errors that name the path.
enum FileBytes {
    /// The file's bytes; `DataError(.notFound)` if it does not exist, `.io` if it cannot be read.
    static func read(_ path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(.notFound, "file not found: \(path)")
        }
        guard !isDirectory.boolValue else {
            throw DataError(.invalidArgument, "\(path) is a folder, not a file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(.io, "cannot read \(path)")
        }
        return [UInt8](data)
    }

    /// Writes atomically (`AtomicFile`: temporary file, fsync, rename), creating missing folders, so a reader (or
    /// a second kernel) never sees half a file and a failed write leaves the old one.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        do { try AtomicFile.write(bytes, to: path, createFolder: true) } catch let error as AtomicFile.WriteError {
            throw DataError(.io, error.description)
        }
    }
}

/// Little-endian reads from a byte array that throw instead of trapping when the data is short.
struct ByteReader {
    let bytes: [UInt8]
    var offset: Int
    let name: String

    init(_ bytes: [UInt8], offset: Int = 0, name: String) {
        self.bytes = bytes
        self.offset = offset
        self.name = name
    }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw DataError(.corrupt, "\(name) is truncated")
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func uint16() throws -> UInt16 {
        let s = try take(2)
        return UInt16(s[s.startIndex]) | UInt16(s[s.startIndex + 1]) << 8
    }

    mutating func uint32() throws -> UInt32 {
        let s = try take(4)
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(s[s.startIndex + i]) << (8 * UInt32(i)) }
        return value
    }

    mutating func uint64() throws -> UInt64 {
        let s = try take(8)
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(s[s.startIndex + i]) << (8 * UInt64(i)) }
        return value
    }
}

/// Little-endian appends.
extension Array where Element == UInt8 {
    mutating func appendLE(_ value: UInt16) {
        append(UInt8(value & 0xff)); append(UInt8(value >> 8))
    }

    mutating func appendLE(_ value: UInt32) {
        for i in 0..<4 { append(UInt8((value >> (8 * UInt32(i))) & 0xff)) }
    }

    mutating func appendLE(_ value: UInt64) {
        for i in 0..<8 { append(UInt8((value >> (8 * UInt64(i))) & 0xff)) }
    }
}
