/// A minimal zip container, enough for `.npz`: reading stored (method 0) and deflated (method 8)
/// entries, including the zip64 extra fields NumPy writes, and writing either kind.
/// No encryption, no multi-disk archives. Checks CRC-32 and sizes of every entry it reads.
public struct ZipArchive: Sendable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var data: [UInt8]
        public init(name: String, data: [UInt8]) {
            self.name = name
            self.data = data
        }
    }

    public enum Method: UInt16, Sendable {
        case stored = 0
        case deflated = 8
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    // MARK: Reading

    /// Parses a zip file through its central directory. `DataError(.corrupt)` for anything malformed
    /// (no end record, offsets outside the file, CRC mismatch), `.unsupported` for other methods or
    /// encryption.
    public init(parsing bytes: [UInt8], name: String = "zip archive") throws {
        let end = try ZipArchive.findEndRecord(bytes, name: name)
        var reader = ByteReader(bytes, offset: end + 4, name: name)
        _ = try reader.uint16()  // this disk
        _ = try reader.uint16()  // disk with the central directory
        _ = try reader.uint16()  // entries on this disk
        var entryCount = Int(try reader.uint16())
        _ = try reader.uint32()  // directory size
        var directoryOffset = Int(try reader.uint32())

        // A zip64 end record, when present, sits just before its locator before the classic end record.
        if end >= 20, ZipArchive.signature(bytes, at: end - 20) == 0x07064b50 {
            var locator = ByteReader(bytes, offset: end - 20 + 8, name: name)
            let zip64End = Int(clamping: try locator.uint64())
            guard ZipArchive.signature(bytes, at: zip64End) == 0x06064b50 else {
                throw DataError(.corrupt, "\(name): broken zip64 end record")
            }
            var record = ByteReader(bytes, offset: zip64End + 4 + 8 + 2 + 2 + 4 + 4 + 8, name: name)
            entryCount = Int(clamping: try record.uint64())
            _ = try record.uint64()
            directoryOffset = Int(clamping: try record.uint64())
        }

        var entries: [Entry] = []
        var cursor = ByteReader(bytes, offset: directoryOffset, name: name)
        for _ in 0..<entryCount {
            guard try cursor.uint32() == 0x02014b50 else {
                throw DataError(.corrupt, "\(name): bad central directory entry")
            }
            _ = try cursor.take(4)  // versions
            let flags = try cursor.uint16()
            let methodCode = try cursor.uint16()
            _ = try cursor.take(4)  // time, date
            let crc = try cursor.uint32()
            var compressedSize = Int(try cursor.uint32())
            var size = Int(try cursor.uint32())
            let nameLength = Int(try cursor.uint16())
            let extraLength = Int(try cursor.uint16())
            let commentLength = Int(try cursor.uint16())
            _ = try cursor.take(8)  // disk, internal and external attributes
            var localOffset = Int(try cursor.uint32())
            let entryName = String(decoding: try cursor.take(nameLength), as: UTF8.self)
            let extra = Array(try cursor.take(extraLength))
            _ = try cursor.take(commentLength)
            try ZipArchive.applyZip64(extra, size: &size, compressedSize: &compressedSize,
                                      localOffset: &localOffset, name: name)

            guard flags & 1 == 0 else { throw DataError(.unsupported, "\(name): entry \(entryName) is encrypted") }
            guard let method = Method(rawValue: methodCode) else {
                throw DataError(.unsupported, "\(name): entry \(entryName) uses compression method \(methodCode) (only stored and deflated are supported)")
            }
            var local = ByteReader(bytes, offset: localOffset, name: name)
            guard try local.uint32() == 0x04034b50 else {
                throw DataError(.corrupt, "\(name): bad local header for \(entryName)")
            }
            _ = try local.take(22)
            let localNameLength = Int(try local.uint16())
            let localExtraLength = Int(try local.uint16())
            _ = try local.take(localNameLength + localExtraLength)
            let stored = Array(try local.take(compressedSize))
            let data: [UInt8]
            switch method {
            case .stored: data = stored
            case .deflated:
                try ResourceLimits.checkMemory(bytes: size, what: "\(name): entry \(entryName)")
                data = try Zlib.inflateRaw(stored, expectedSize: size, name: "\(name): \(entryName)")
            }
            guard data.count == size, Zlib.crc32(data) == crc else {
                throw DataError(.corrupt, "\(name): entry \(entryName) fails its size or CRC check")
            }
            entries.append(Entry(name: entryName, data: data))
        }
        self.entries = entries
    }

    public init(contentsOf path: String) throws {
        try self.init(parsing: try FileBytes.read(path), name: path)
    }

    private static func signature(_ bytes: [UInt8], at offset: Int) -> UInt32? {
        var reader = ByteReader(bytes, offset: offset, name: "")
        return try? reader.uint32()
    }

    /// The offset of the end-of-central-directory record: searched backwards (a comment may follow it).
    private static func findEndRecord(_ bytes: [UInt8], name: String) throws -> Int {
        guard bytes.count >= 22 else { throw DataError(.corrupt, "\(name) is not a zip archive (too short)") }
        let lowest = max(0, bytes.count - 22 - 65_535)
        var offset = bytes.count - 22
        while offset >= lowest {
            if bytes[offset] == 0x50, bytes[offset + 1] == 0x4b, bytes[offset + 2] == 0x05, bytes[offset + 3] == 0x06 {
                return offset
            }
            offset -= 1
        }
        throw DataError(.corrupt, "\(name) is not a zip archive (no end of central directory)")
    }

    /// Replaces 0xFFFFFFFF placeholders by the 64-bit values of the zip64 extra field (id 0x0001).
    private static func applyZip64(_ extra: [UInt8], size: inout Int, compressedSize: inout Int,
                                   localOffset: inout Int, name: String) throws {
        var reader = ByteReader(extra, name: name)
        while reader.offset + 4 <= extra.count {
            let id = try reader.uint16()
            let length = Int(try reader.uint16())
            var field = ByteReader(Array(try reader.take(length)), name: name)
            guard id == 0x0001 else { continue }
            if size == 0xFFFF_FFFF { size = Int(clamping: try field.uint64()) }
            if compressedSize == 0xFFFF_FFFF { compressedSize = Int(clamping: try field.uint64()) }
            if localOffset == 0xFFFF_FFFF { localOffset = Int(clamping: try field.uint64()) }
        }
    }

    // MARK: Writing

    /// The archive's bytes: local headers with sizes up front (no data descriptors), a central directory
    /// and an end record. Archives beyond 4 GB are not supported (precondition).
    public func encoded(method: Method = .stored) throws -> [UInt8] {
        var out: [UInt8] = []
        var directory: [UInt8] = []
        for entry in entries {
            let nameBytes = Array(entry.name.utf8)
            let payload = method == .deflated ? try Zlib.deflateRaw(entry.data) : entry.data
            let crc = Zlib.crc32(entry.data)
            precondition(out.count < Int(UInt32.max) && payload.count < Int(UInt32.max), "zip archives over 4 GB are not supported")
            let offset = UInt32(out.count)
            var common: [UInt8] = []
            common.appendLE(UInt16(20))          // version needed
            common.appendLE(UInt16(0x0800))      // flags: UTF-8 names
            common.appendLE(method.rawValue)
            common.appendLE(UInt16(0))           // time
            common.appendLE(UInt16(0x0021))      // date: 1980-01-01
            common.appendLE(crc)
            common.appendLE(UInt32(payload.count))
            common.appendLE(UInt32(entry.data.count))
            common.appendLE(UInt16(nameBytes.count))
            common.appendLE(UInt16(0))           // extra length

            out.appendLE(UInt32(0x04034b50))
            out += common
            out += nameBytes
            out += payload

            directory.appendLE(UInt32(0x02014b50))
            directory.appendLE(UInt16(20))       // version made by
            directory += common
            directory.appendLE(UInt16(0))        // comment length
            directory.appendLE(UInt16(0))        // disk
            directory.appendLE(UInt16(0))        // internal attributes
            directory.appendLE(UInt32(0))        // external attributes
            directory.appendLE(offset)
            directory += nameBytes
        }
        let directoryOffset = UInt32(out.count)
        out += directory
        out.appendLE(UInt32(0x06054b50))
        out.appendLE(UInt16(0))
        out.appendLE(UInt16(0))
        out.appendLE(UInt16(entries.count))
        out.appendLE(UInt16(entries.count))
        out.appendLE(UInt32(directory.count))
        out.appendLE(directoryOffset)
        out.appendLE(UInt16(0))
        return out
    }
}
