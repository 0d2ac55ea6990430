import Foundation

/// Conversions between ONNX `TensorProto` and the engine's float32 `Tensor`.
///
/// The engine keeps integer data (indices, shapes, axes) as exact floats, so every numeric ONNX type is
/// decoded to float32: integers are exact up to 2^24, which covers shapes and indices of CNNs (Slice's
/// "to the end" sentinel INT64_MAX becomes a huge float, which Slice clamps anyway).
enum ONNXTensorCoding {
    /// The numeric contents of `proto`, in row-major order.
    /// - Throws: `ModelError.unsupported` for strings, external data and exotic types;
    ///   `ModelError.invalid` when the payload does not match the dimensions.
    static func decode(_ proto: Onnx_TensorProto) throws -> Tensor {
        let label = proto.name.isEmpty ? "a tensor" : "tensor '\(proto.name)'"
        guard proto.dataLocation != .external, proto.externalData.isEmpty else {
            throw ModelError(.unsupported, "\(label) keeps its data in an external file; "
                + "re-export the model with the weights inside the .onnx file")
        }
        guard proto.dims.allSatisfy({ $0 >= 0 && $0 <= Int64(Int32.max) }) else {
            throw ModelError(.invalid, "\(label) has invalid dimensions \(proto.dims)")
        }
        let shape = proto.dims.map { Int($0) }
        let (count, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        guard !overflow, count <= 1 << 31 else {
            throw ModelError(.invalid, "\(label) with dimensions \(shape) is too large")
        }
        guard let type = Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)) else {
            throw ModelError(.unsupported, "\(label) has unknown data type \(proto.dataType)")
        }
        let values = try decodeValues(proto, type: type, label: label)
        guard values.count == count else {
            throw ModelError(.invalid, "\(label) has \(values.count) values for dimensions \(shape) (\(count) expected)")
        }
        return Tensor(shape: shape, data: values)
    }

    private static func decodeValues(_ proto: Onnx_TensorProto, type: Onnx_TensorProto.DataType,
                                     label: String) throws -> [Float] {
        let raw = proto.hasRawData ? proto.rawData : nil
        switch type {
        case .float:
            if let raw { return try floats(raw, label: label) }
            return proto.floatData
        case .double:
            if let raw { return try littleEndian(raw, as: UInt64.self, label: label).map { Float(Double(bitPattern: $0)) } }
            return proto.doubleData.map { Float($0) }
        case .int64:
            if let raw { return try littleEndian(raw, as: UInt64.self, label: label).map { Float(Int64(bitPattern: $0)) } }
            return proto.int64Data.map { Float($0) }
        case .uint64:
            if let raw { return try littleEndian(raw, as: UInt64.self, label: label).map { Float($0) } }
            return proto.uint64Data.map { Float($0) }
        case .int32:
            if let raw { return try littleEndian(raw, as: UInt32.self, label: label).map { Float(Int32(bitPattern: $0)) } }
            return proto.int32Data.map { Float($0) }
        case .int16, .uint16, .int8, .uint8, .bool, .float16, .bfloat16:
            // Small types live in int32_data (one value each, float16 as its bit pattern) or packed in raw_data.
            let bits: [UInt32]
            if let raw {
                switch type {
                case .int16, .uint16, .float16, .bfloat16:
                    bits = try littleEndian(raw, as: UInt16.self, label: label).map { UInt32($0) }
                default:
                    bits = raw.map { UInt32($0) }
                }
            } else {
                bits = proto.int32Data.map { UInt32(bitPattern: $0) }
            }
            return bits.map { b in
                switch type {
                case .int16: return Float(Int16(truncatingIfNeeded: b))
                case .int8: return Float(Int8(truncatingIfNeeded: b))
                case .uint16: return Float(UInt16(truncatingIfNeeded: b))
                case .bool: return b == 0 ? 0 : 1
                case .float16: return halfToFloat(UInt16(truncatingIfNeeded: b))
                case .bfloat16: return Float(bitPattern: UInt32(UInt16(truncatingIfNeeded: b)) << 16)
                default: return Float(UInt8(truncatingIfNeeded: b))
                }
            }
        default:
            throw ModelError(.unsupported, "\(label) has data type \(type) (supported: float, double, float16, "
                + "bfloat16, int8/16/32/64, uint8/16/64, bool)")
        }
    }

    /// Little-endian float32 bytes, copied in bulk (weights of VGG are half a gigabyte).
    private static func floats(_ data: Data, label: String) throws -> [Float] {
        guard data.count % 4 == 0 else {
            throw ModelError(.invalid, "\(label) has \(data.count) bytes of raw data, not a multiple of 4")
        }
        #if _endian(little)
        var values = [Float](repeating: 0, count: data.count / 4)
        _ = values.withUnsafeMutableBytes { data.copyBytes(to: $0) }
        return values
        #else
        return try littleEndian(data, as: UInt32.self, label: label).map { Float(bitPattern: $0) }
        #endif
    }

    /// Reinterprets little-endian bytes as fixed-width integers without assuming alignment.
    private static func littleEndian<T: FixedWidthInteger>(_ data: Data, as: T.Type, label: String) throws -> [T] {
        let width = MemoryLayout<T>.size
        guard data.count % width == 0 else {
            throw ModelError(.invalid, "\(label) has \(data.count) bytes of raw data, not a multiple of \(width)")
        }
        return data.withUnsafeBytes { bytes in
            (0..<(data.count / width)).map { T(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * width, as: T.self)) }
        }
    }

    /// IEEE 754 binary16 → binary32, including subnormals, infinities and NaN.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1f)
        let mantissa = UInt32(h & 0x3ff)
        if exponent == 0x1f { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
        if exponent == 0 {
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    /// A float tensor as raw little-endian float32 bytes.
    static func encode(_ tensor: Tensor, name: String) -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = tensor.shape.map { Int64($0) }
        proto.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        #if _endian(little)
        proto.rawData = tensor.withUnsafeBufferPointer { Data(buffer: $0) }
        #else
        var bytes = Data(capacity: tensor.count * 4)
        tensor.withUnsafeBufferPointer { values in
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        }
        proto.rawData = bytes
        #endif
        return proto
    }

    /// An int64 tensor (shapes, axes, pads) as raw little-endian bytes.
    static func encodeInt64(_ values: [Int], shape: [Int]? = nil, name: String) -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = (shape ?? [values.count]).map { Int64($0) }
        proto.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        var bytes = Data(capacity: values.count * 8)
        for v in values { withUnsafeBytes(of: Int64(v).littleEndian) { bytes.append(contentsOf: $0) } }
        proto.rawData = bytes
        return proto
    }
}
