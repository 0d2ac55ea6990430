/// The IDX format of MNIST and Fashion-MNIST: a 4-byte big-endian magic (two zero bytes, a type code,
/// the number of dimensions), one big-endian UInt32 per dimension, then the values in C order.
/// Only unsigned bytes (type 0x08) are used by these data sets and supported here.
public struct IDXArray: Sendable, Equatable {
    public var shape: [Int]
    public var bytes: [UInt8]

    /// Parses an (already decompressed) IDX file; `DataError(.corrupt)` on a bad magic, a size that does
    /// not match the header, or a truncated file; `.unsupported` for element types other than uint8.
    public init(parsing data: [UInt8], name: String = "IDX data") throws {
        guard data.count >= 4, data[0] == 0, data[1] == 0 else {
            throw DataError(.corrupt, "\(name) is not an IDX file (bad magic bytes)")
        }
        guard data[2] == 0x08 else {
            throw DataError(.unsupported, "\(name): IDX element type 0x\(String(data[2], radix: 16)) is not supported (only unsigned bytes, 0x08)")
        }
        let rank = Int(data[3])
        guard rank >= 1, data.count >= 4 + 4 * rank else {
            throw DataError(.corrupt, "\(name) is truncated (IDX header with \(rank) dimensions)")
        }
        var shape: [Int] = []
        var count = 1
        for d in 0..<rank {
            let o = 4 + 4 * d
            let size = Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3])
            shape.append(size)
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw DataError(.corrupt, "\(name): IDX dimensions \(shape) are too large") }
            count = product
        }
        let start = 4 + 4 * rank
        guard data.count - start == count else {
            throw DataError(.corrupt, "\(name): IDX header promises \(count) values for shape \(shape), file holds \(data.count - start)")
        }
        self.shape = shape
        self.bytes = Array(data[start...])
    }

    /// Reads an IDX file, gunzipping it first when its name ends in `.gz`.
    public init(contentsOf path: String) throws {
        var data = try FileBytes.read(path)
        if path.hasSuffix(".gz") { data = try Zlib.gunzip(data, name: path) }
        try self.init(parsing: data, name: path)
    }

    /// Encodes as an (uncompressed) IDX file of unsigned bytes.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
        for size in shape {
            out += [UInt8((size >> 24) & 0xff), UInt8((size >> 16) & 0xff), UInt8((size >> 8) & 0xff), UInt8(size & 0xff)]
        }
        return out + bytes
    }

    public init(shape: [Int], bytes: [UInt8]) {
        precondition(shape.reduce(1, *) == bytes.count, "IDX shape \(shape) does not match \(bytes.count) bytes")
        self.shape = shape
        self.bytes = bytes
    }
}
