import Foundation

/// The safetensors weight format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// `{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}`,
/// then the raw little-endian tensor bytes. Read: F32, F64 (narrowed), F16, BF16, I64/I32/U8 (as floats).
/// Written: F32 only, names sorted, metadata as string → string.
public enum Safetensors {
    public struct File: Sendable {
        public var tensors: [String: Tensor]
        public var metadata: [String: String]
        public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
            self.tensors = tensors
            self.metadata = metadata
        }
    }

    public static func read(_ path: String) throws -> File {
        try parse(try FileBytes.read(path), name: path)
    }

    /// Parses safetensors bytes; every inconsistency (header past the end, offsets outside the data or not
    /// matching the shape, unknown dtype) is a `DataError` naming the tensor.
    public static func parse(_ bytes: [UInt8], name: String = "safetensors data") throws -> File {
        var reader = ByteReader(bytes, name: name)
        let headerLength = try reader.uint64()
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw DataError(.corrupt, "\(name) is not a safetensors file (header length \(headerLength) exceeds the file)")
        }
        let headerBytes = try reader.take(Int(headerLength))
        guard let json = try? JSONSerialization.jsonObject(with: Data(headerBytes)), let header = json as? [String: Any] else {
            throw DataError(.corrupt, "\(name) is not a safetensors file (the header is not a JSON object)")
        }
        let dataStart = reader.offset
        let dataCount = bytes.count - dataStart
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (key, value) in header {
            if key == "__metadata__" {
                for (k, v) in value as? [String: Any] ?? [:] { metadata[k] = v as? String ?? "\(v)" }
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = (entry["shape"] as? [Any])?.compactMap(exactInteger),
                  shape.count == (entry["shape"] as? [Any])?.count, shape.allSatisfy({ $0 >= 0 }),
                  let offsets = (entry["data_offsets"] as? [Any])?.compactMap(exactInteger),
                  offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataCount
            else {
                throw DataError(.corrupt, "\(name): tensor '\(key)' has a malformed header entry")
            }
            let size: Int
            switch dtype {
            case "F32", "I32": size = 4
            case "F64", "I64": size = 8
            case "F16", "BF16": size = 2
            case "U8", "I8", "BOOL": size = 1
            default: throw DataError(.unsupported, "\(name): tensor '\(key)' has dtype \(dtype) (supported: F32, F64, F16, BF16, I64, I32, U8, I8, BOOL)")
            }
            var count = 1
            for extent in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: extent)
                guard !overflow else { throw DataError(.corrupt, "\(name): tensor '\(key)' shape \(shape) is too large") }
                count = product
            }
            let (byteCount, tooMany) = count.multipliedReportingOverflow(by: size)
            guard !tooMany, offsets[1] - offsets[0] == byteCount else {
                throw DataError(.corrupt, "\(name): tensor '\(key)' of shape \(shape) and dtype \(dtype) does not match its data_offsets \(offsets)")
            }
            try ResourceLimits.checkTensor(shape: shape, what: "\(name): tensor '\(key)' of shape \(shape)")
            let start = dataStart + offsets[0]
            let values: [Float] = bytes[start..<(start + count * size)].withUnsafeBytes { raw in
                (0..<count).map { i -> Float in
                    switch dtype {
                    case "F32": return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    case "F64": return Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                    case "I32": return Float(Int32(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
                    case "I64": return Float(Int64(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                    case "F16": return halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                    case "BF16": return Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
                    case "I8": return Float(Int8(bitPattern: raw[i]))
                    default: return Float(raw[i])
                    }
                }
            }
            tensors[key] = Tensor(shape: shape, data: values)
        }
        return File(tensors: tensors, metadata: metadata)
    }

    /// The safetensors bytes for `file` (F32, tensors in name order, 8-byte aligned header).
    public static func encode(_ file: File) throws -> [UInt8] {
        var header: [String: Any] = [:]
        var offset = 0
        let names = file.tensors.keys.sorted()
        for name in names {
            let tensor = file.tensors[name]!
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + 4 * tensor.count]] as [String: Any]
            offset += 4 * tensor.count
        }
        if !file.metadata.isEmpty { header["__metadata__"] = file.metadata }
        var json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while (json.count + 8) % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        out.appendLE(UInt64(json.count))
        out += json
        for name in names {
            file.tensors[name]!.withUnsafeBufferPointer { values in
                for v in values { out.appendLE(v.bitPattern) }
            }
        }
        return out
    }

    /// Writes atomically (temporary file + rename).
    public static func write(_ file: File, to path: String) throws {
        try FileBytes.writeAtomically(try encode(file), to: path)
    }

    /// A JSON number as an Int when it is a whole number an Int holds exactly (JSONSerialization gives NSNumber
    /// for 3, 3.5, 1e30 and true alike; `intValue` would wrap or trap on the big ones).
    private static func exactInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let d = number.doubleValue
        // Whole numbers below 2^53 convert exactly; anything larger is no tensor size or offset in a real file.
        guard d.isFinite, d == d.rounded(), abs(d) < 9.007e15 else { return nil }
        return Int(d)
    }

    /// IEEE 754 half → float, including subnormals, infinities and NaN.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int(h >> 10) & 0x1f
        let mantissa = UInt32(h & 0x3ff)
        if exponent == 0 {
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}
