import CZlib

/// The one Swift file that calls zlib: gzip members (Fashion-MNIST's `.gz`), raw deflate streams
/// (entries of `.npz` zip archives) and CRC-32. Every zlib return code becomes a `DataError`.
public enum Zlib {
    /// Decompresses a whole gzip file (one or more concatenated members, as `gzip` allows).
    /// Throws `DataError(.corrupt)` on a bad header, truncated stream or CRC mismatch.
    public static func gunzip(_ data: [UInt8], name: String = "gzip data") throws -> [UInt8] {
        guard data.count >= 18, data[0] == 0x1f, data[1] == 0x8b else {
            throw DataError(.corrupt, "\(name) is not a gzip file (bad magic bytes)")
        }
        // windowBits 15 + 32: zlib detects the gzip header, checks the CRC and length trailer.
        return try inflate(data, windowBits: 15 + 32, name: name, multiMember: true, expectedSize: nil)
    }

    /// Compresses `data` as a single gzip member (for tests and for writing `.gz` files).
    public static func gzip(_ data: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        try deflate(data, windowBits: 15 + 16, level: level)
    }

    /// Inflates a raw deflate stream (no header), as stored in zip entries with method 8.
    public static func inflateRaw(_ data: [UInt8], expectedSize: Int? = nil, name: String = "deflate data") throws -> [UInt8] {
        try inflate(data, windowBits: -15, name: name, multiMember: false, expectedSize: expectedSize)
    }

    /// Compresses `data` as a raw deflate stream (zip method 8).
    public static func deflateRaw(_ data: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        try deflate(data, windowBits: -15, level: level)
    }

    /// CRC-32 as used by gzip and zip.
    public static func crc32(_ data: [UInt8]) -> UInt32 {
        data.withUnsafeBufferPointer { buffer -> UInt32 in
            var crc: UInt = 0
            var offset = 0
            // zlib's length is a uInt; feed in chunks so huge buffers cannot overflow it.
            while offset < buffer.count {
                let chunk = min(buffer.count - offset, 1 << 30)
                crc = CZlib.crc32(crc, buffer.baseAddress! + offset, uInt(chunk))
                offset += chunk
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }

    // MARK: - zlib streams

    private static func inflate(_ data: [UInt8], windowBits: Int32, name: String, multiMember: Bool,
                                expectedSize: Int?) throws -> [UInt8] {
        // Sizes from headers are claims: reserve at most what deflate can produce from this input (1032:1), and
        // stop at the memory budget (a few kilobytes can inflate to gigabytes) or past a zip entry's stated size.
        let budget = ResourceLimits.memoryBytes
        let ceiling = min(budget, expectedSize ?? Int.max)
        var output: [UInt8] = []
        output.reserveCapacity(min(expectedSize ?? data.count * 4, data.count.multipliedReportingOverflow(by: 1032).partialValue, budget, 1 << 30) + 1024)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var stream = z_stream()
        try check(inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)),
                  stream: &stream, name: name)
        defer { inflateEnd(&stream) }

        try data.withUnsafeBufferPointer { input in
            var consumed = 0
            while true {
                let available = input.count - consumed
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0 + consumed })
                stream.avail_in = uInt(min(available, Int(UInt32.max)))
                var status: Int32 = Z_OK
                repeat {
                    status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(out.count)
                        let result = CZlib.inflate(&stream, Z_NO_FLUSH)
                        let produced = out.count - Int(stream.avail_out)
                        output.append(contentsOf: out[0..<produced])
                        return result
                    }
                    if output.count > ceiling {
                        if let expectedSize, output.count > expectedSize, expectedSize < budget {
                            throw DataError(.corrupt, "\(name) inflates to more than its stated size of \(expectedSize) bytes")
                        }
                        throw ResourceLimitError(.memory, what: "decompressing \(name)", requested: output.count,
                                                 limit: budget, requestedUnknown: true)
                    }
                    if status == Z_BUF_ERROR && stream.avail_in == 0 {
                        throw DataError(.corrupt, "\(name) is truncated (the compressed stream ends early)")
                    }
                    if status != Z_OK && status != Z_STREAM_END {
                        try check(status, stream: &stream, name: name)
                    }
                } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
                consumed = input.count - Int(stream.avail_in)
                if status == Z_STREAM_END {
                    // gzip allows several members back to back; anything else after the end is ignored
                    // only if it is zero padding (as some tools write).
                    let rest = input[consumed...]
                    if multiMember, rest.count >= 2, rest[consumed] == 0x1f, rest[consumed + 1] == 0x8b {
                        try check(inflateReset(&stream), stream: &stream, name: name)
                        continue
                    }
                    return
                }
                if consumed >= input.count {
                    throw DataError(.corrupt, "\(name) is truncated (the compressed stream ends early)")
                }
            }
        }
        return output
    }

    private static func deflate(_ data: [UInt8], windowBits: Int32, level: Int32) throws -> [UInt8] {
        var stream = z_stream()
        try check(deflateInit2_(&stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY,
                                ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)),
                  stream: &stream, name: "deflate")
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(data.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let status = data.withUnsafeBufferPointer { input -> Int32 in
            output.withUnsafeMutableBufferPointer { out -> Int32 in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else {
            throw DataError(.io, "deflate failed (zlib status \(status))")
        }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    /// Turns a zlib status into a typed error, with zlib's own message when it has one.
    private static func check(_ status: Int32, stream: inout z_stream, name: String) throws {
        switch status {
        case Z_OK, Z_STREAM_END: return
        case Z_DATA_ERROR, Z_NEED_DICT:
            let detail = stream.msg.map { String(cString: $0) } ?? "invalid compressed data"
            throw DataError(.corrupt, "\(name) is corrupt (\(detail))")
        case Z_MEM_ERROR:
            throw DataError(.io, "out of memory while decompressing \(name)")
        case Z_BUF_ERROR:
            throw DataError(.corrupt, "\(name) is truncated (the compressed stream ends early)")
        default:
            throw DataError(.io, "zlib failed on \(name) (status \(status))")
        }
    }
}
