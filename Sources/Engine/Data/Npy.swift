import Foundation

/// One NumPy array as `.npy` stores it: a shape (C order) and typed values.
///
/// Reading accepts little-endian `float32`, `float64` (narrowed to float32: the engine is float32
/// throughout), `uint8`, `int8`, `bool`, `int32` and `int64` (integers widen to `Int64`), with
/// `fortran_order: False`. Writing produces format 1.0 (or 2.0 when the header needs it), which
/// `numpy.load` reads.
public struct NpyArray: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case float32([Float])
        case uint8([UInt8])
        case int64([Int64])

        public var count: Int {
            switch self {
            case .float32(let v): return v.count
            case .uint8(let v): return v.count
            case .int64(let v): return v.count
            }
        }
    }

    public var shape: [Int]
    public var values: Values

    public init(shape: [Int], values: Values) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
                     "npy shape \(shape) does not match \(values.count) values")
        self.shape = shape
        self.values = values
    }

    public init(shape: [Int], floats: [Float]) { self.init(shape: shape, values: .float32(floats)) }

    /// The values as floats whatever their stored type (labels and pixels alike).
    public var floats: [Float] {
        switch values {
        case .float32(let v): return v
        case .uint8(let v): return v.map { Float($0) }
        case .int64(let v): return v.map { Float($0) }
        }
    }

    /// The values as integers (floats are truncated toward zero), e.g. class labels.
    public var integers: [Int] {
        switch values {
        case .float32(let v): return v.map { $0.isFinite ? Int(max(min($0, 9.2e18), -9.2e18)) : 0 }
        case .uint8(let v): return v.map { Int($0) }
        case .int64(let v): return v.map { Int($0) }
        }
    }

    /// Whether the stored type is an integer type (a label array rather than pixels).
    public var isInteger: Bool {
        if case .float32 = values { return false }
        return true
    }
}

// MARK: - Reading

extension NpyArray {
    static let magic: [UInt8] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]  // "\x93NUMPY"

    /// Reads a `.npy` file.
    public init(contentsOf path: String) throws {
        try self.init(parsing: try FileBytes.read(path), name: path)
    }

    /// Parses `.npy` bytes. Throws `DataError(.corrupt)` on a bad magic, an unreadable header or a size
    /// mismatch, `.unsupported` for dtypes, byte orders or Fortran order this reader does not handle.
    public init(parsing data: [UInt8], name: String = "npy data") throws {
        var reader = ByteReader(data, name: name)
        guard data.count >= 10, Array(try reader.take(6)) == NpyArray.magic else {
            throw DataError(.corrupt, "\(name) is not a .npy file (bad magic bytes)")
        }
        let major = try reader.take(1).first ?? 0
        _ = try reader.take(1)
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(try reader.uint16())
        case 2, 3: headerLength = Int(try reader.uint32())
        default: throw DataError(.unsupported, "\(name): .npy format version \(major) is not supported")
        }
        let headerBytes = try reader.take(headerLength)
        guard let headerText = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw DataError(.corrupt, "\(name): .npy header is not text")
        }
        let header = try NpyHeader(parsing: headerText, name: name)
        guard !header.fortranOrder else {
            throw DataError(.unsupported, "\(name): Fortran-order arrays are not supported (save with C order)")
        }
        let count = try header.elementCount(name: name)
        let body = data[reader.offset...]
        let dtype = header.descr
        let size = try NpyArray.itemSize(dtype, name: name)
        let (needed, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, body.count == needed else {
            throw DataError(.corrupt, "\(name): header promises \(count) values of \(dtype) for shape \(header.shape), data holds \(body.count) bytes")
        }
        // Narrow types widen when decoded (int8 → Int64 is 8×), and callers convert to floats.
        try ResourceLimits.checkMemory(count: count, of: 8, what: "\(name): an array of shape \(header.shape)")
        self.shape = header.shape
        self.values = try NpyArray.decode(body, dtype: dtype, count: count, name: name)
    }

    private static func itemSize(_ dtype: String, name: String) throws -> Int {
        switch dtype {
        case "<f4": return 4
        case "<f8": return 8
        case "|u1", "<u1", "|i1", "<i1", "|b1": return 1
        case "<i4": return 4
        case "<i8": return 8
        default:
            throw DataError(.unsupported, "\(name): dtype '\(dtype)' is not supported (float32, float64, uint8, int8, bool, int32, int64; little-endian)")
        }
    }

    private static func decode(_ body: ArraySlice<UInt8>, dtype: String, count: Int, name: String) throws -> Values {
        body.withUnsafeBytes { raw -> Values in
            switch dtype {
            case "<f4":
                return .float32((0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) })
            case "<f8":
                return .float32((0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))) })
            case "|u1", "<u1", "|b1":
                return .uint8(Array(raw))
            case "|i1", "<i1":
                return .int64(raw.map { Int64(Int8(bitPattern: $0)) })
            case "<i4":
                return .int64((0..<count).map { Int64(Int32(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))) })
            default:  // "<i8", checked by itemSize
                return .int64((0..<count).map { Int64(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) })
            }
        }
    }
}

// MARK: - Writing

extension NpyArray {
    /// The `.npy` bytes of this array (float32 → `<f4`, uint8 → `|u1`, int64 → `<i8`), C order.
    public func encoded() -> [UInt8] {
        let descr: String
        var body: [UInt8] = []
        switch values {
        case .float32(let v):
            descr = "<f4"
            body.reserveCapacity(v.count * 4)
            for x in v { body.appendLE(x.bitPattern) }
        case .uint8(let v):
            descr = "|u1"
            body = v
        case .int64(let v):
            descr = "<i8"
            body.reserveCapacity(v.count * 8)
            for x in v { body.appendLE(UInt64(bitPattern: x)) }
        }
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad with spaces so that magic + version + length + header + "\n" is a multiple of 64 bytes.
        let useVersion2 = header.utf8.count + 1 + 10 > Int(UInt16.max)
        let prefix = useVersion2 ? 12 : 10
        let total = prefix + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out = NpyArray.magic
        out += [useVersion2 ? 2 : 1, 0]
        if useVersion2 { out.appendLE(UInt32(header.utf8.count)) } else { out.appendLE(UInt16(header.utf8.count)) }
        out += Array(header.utf8)
        out += body
        return out
    }

    /// Writes a `.npy` file atomically.
    public func write(to path: String) throws {
        try FileBytes.writeAtomically(encoded(), to: path)
    }
}

/// The Python dict literal at the start of a `.npy` file, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`. A small hand parser: no eval,
/// every malformed input is a `DataError(.corrupt)`.
struct NpyHeader {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    init(parsing text: String, name: String) throws {
        var scanner = HeaderScanner(Array(text.unicodeScalars), name: name)
        var descr: String?
        var fortran: Bool?
        var shape: [Int]?
        try scanner.expect("{")
        while true {
            scanner.skipSpaces()
            if scanner.consume("}") { break }
            let key = try scanner.string()
            try scanner.expect(":")
            switch key {
            case "descr": descr = try scanner.string()
            case "fortran_order": fortran = try scanner.bool()
            case "shape": shape = try scanner.tuple()
            default: throw DataError(.corrupt, "\(name): unexpected key '\(key)' in .npy header")
            }
            scanner.skipSpaces()
            if scanner.consume(",") { continue }
            try scanner.expect("}")
            break
        }
        guard let descr, let fortran, let shape else {
            throw DataError(.corrupt, "\(name): .npy header lacks descr, fortran_order or shape")
        }
        self.descr = descr
        self.fortranOrder = fortran
        self.shape = shape
    }

    func elementCount(name: String) throws -> Int {
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw DataError(.corrupt, "\(name): shape \(shape) is too large") }
            count = product
        }
        return count
    }
}

private struct HeaderScanner {
    let scalars: [Unicode.Scalar]
    var index = 0
    let name: String

    init(_ scalars: [Unicode.Scalar], name: String) {
        self.scalars = scalars
        self.name = name
    }

    mutating func skipSpaces() {
        while index < scalars.count, scalars[index] == " " || scalars[index] == "\n" || scalars[index] == "\t" { index += 1 }
    }

    mutating func consume(_ c: Unicode.Scalar) -> Bool {
        skipSpaces()
        if index < scalars.count, scalars[index] == c { index += 1; return true }
        return false
    }

    mutating func expect(_ c: Unicode.Scalar) throws {
        guard consume(c) else { throw failure("expected '\(c)'") }
    }

    mutating func string() throws -> String {
        skipSpaces()
        guard index < scalars.count, scalars[index] == "'" || scalars[index] == "\"" else { throw failure("expected a quoted string") }
        let quote = scalars[index]
        index += 1
        var out = String.UnicodeScalarView()
        while index < scalars.count, scalars[index] != quote {
            out.append(scalars[index])
            index += 1
        }
        guard index < scalars.count else { throw failure("unterminated string") }
        index += 1
        return String(out)
    }

    mutating func bool() throws -> Bool {
        skipSpaces()
        for (word, value) in [("True", true), ("False", false)] {
            let w = Array(word.unicodeScalars)
            if index + w.count <= scalars.count, Array(scalars[index..<(index + w.count)]) == w {
                index += w.count
                return value
            }
        }
        throw failure("expected True or False")
    }

    mutating func tuple() throws -> [Int] {
        try expect("(")
        var values: [Int] = []
        while true {
            if consume(")") { return values }
            skipSpaces()
            var digits = ""
            while index < scalars.count, ("0"..."9").contains(scalars[index]) {
                digits.unicodeScalars.append(scalars[index])
                index += 1
            }
            if index < scalars.count, scalars[index] == "L" { index += 1 }  // Python 2 longs
            guard let value = Int(digits), digits.count <= 18 else { throw failure("expected a dimension") }
            values.append(value)
            if consume(",") { continue }
            try expect(")")
            return values
        }
    }

    private func failure(_ what: String) -> DataError {
        DataError(.corrupt, "\(name): malformed .npy header (\(what) at character \(index + 1))")
    }
}
