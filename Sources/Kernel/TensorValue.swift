import Engine
import Foundation
import Protocol

/// An `Engine.Tensor` as a language value: prints its shape and a few statistics (the values too when small),
/// displays small 2-D tensors as a heat map, supports `+ - * / **` with numbers and (broadcasting) tensors,
/// `t[i]`/`t[a:b]` along the first axis, `.shape`, `.min`, `.max`, `.mean`, `.values`, and saves as `.npy`.
public struct TensorValue: FoveaObject {
    public var tensor: Tensor

    public init(_ tensor: Tensor) { self.tensor = tensor }

    public var typeName: String { "Tensor" }

    public var plainText: String {
        let shape = tensor.shape.isEmpty ? "scalar" : tensor.shape.map(String.init).joined(separator: "×")
        var text = "Tensor \(shape) float32"
        if tensor.count <= 64 {
            text += "\n" + TensorValue.nested(tensor.scalars[...], shape: tensor.shape[...])
        } else {
            // One pass over the storage, no copy: every verb's display metadata names its tensor arguments by
            // this line (a 224×224 image's three passes and copy were ~0.3 ms of each saliency cell). The same
            // comparisons as `min()`, `max()` and the sequential sum, so the same numbers.
            let (lo, hi, sum) = tensor.withUnsafeBufferPointer { values -> (Float, Float, Double) in
                var (lo, hi, sum) = (values[0], values[0], Double(values[0]))
                for v in values.dropFirst() {
                    if v < lo { lo = v }
                    if hi < v { hi = v }
                    sum += Double(v)
                }
                return (lo, hi, sum)
            }
            let mean = sum / Double(tensor.count)
            text += " min \(Repr.number(Double(lo))) max \(Repr.number(Double(hi))) mean \(Repr.number(mean))"
        }
        return text
    }

    /// NumPy-style nesting: `[[1.0, 2.0], [3.0, 4.0]]`.
    static func nested(_ values: ArraySlice<Float>, shape: ArraySlice<Int>) -> String {
        guard let first = shape.first else { return values.first.map { Repr.number(Double($0)) } ?? "" }
        let inner = shape.dropFirst().reduce(1, *)
        let parts = (0..<first).map { i in
            nested(values[(values.startIndex + i * inner)..<(values.startIndex + (i + 1) * inner)], shape: shape.dropFirst())
        }
        return "[" + parts.joined(separator: ", ") + "]"
    }

    public var attributeNames: [String] { ["shape", "rank", "size", "min", "max", "mean", "values"] }

    public func attribute(_ name: String) throws -> Value? {
        let values = tensor.scalars
        switch name {
        case "shape": return .list(tensor.shape.map { .int($0) })
        case "rank": return .int(tensor.rank)
        case "size": return .int(tensor.count)
        case "min": return values.min().map { .double(Double($0)) } ?? Value.none
        case "max": return values.max().map { .double(Double($0)) } ?? Value.none
        case "mean": return values.isEmpty ? Value.none : .double(values.reduce(0, { $0 + Double($1) }) / Double(values.count))
        case "values": return TensorValue.toList(values[...], shape: tensor.shape[...])
        default: return nil
        }
    }

    static func toList(_ values: ArraySlice<Float>, shape: ArraySlice<Int>) -> Value {
        guard let first = shape.first else { return .double(Double(values.first ?? 0)) }
        let inner = shape.dropFirst().reduce(1, *)
        return .list((0..<first).map { i in
            toList(values[(values.startIndex + i * inner)..<(values.startIndex + (i + 1) * inner)], shape: shape.dropFirst())
        })
    }

    public func mimeBundle() throws -> MimeBundle {
        var bundle = MimeBundle(data: ["text/plain": .string(plainText)])
        if tensor.rank == 2, (2...256).contains(tensor.shape[0]), (2...256).contains(tensor.shape[1]) {
            let heat = HeatMap(height: tensor.shape[0], width: tensor.shape[1], values: tensor.scalars)
            let figure = Figure(panels: [.heatmap(heat)], panelSize: 224)
            let image = try figure.render()
            bundle.data["image/png"] = Display.png(try PNGCodec.encode(image))
            bundle.metadata["image/png"] = .object(["width": .int(image.width), "height": .int(image.height)])
        }
        return bundle
    }

    public var count: Int? { tensor.shape.first }

    public func subscriptValue(_ index: Value) throws -> Value? {
        guard let n = tensor.shape.first else { throw FoveaError(.type, "a scalar tensor can't be indexed") }
        if let slice = index.object(as: SliceValue.self) {
            let positions = try slice.positions(count: n)
            let parts = try positions.map { try tensor.slice(axis: 0, $0..<($0 + 1)) }
            if parts.isEmpty {
                return .object(TensorValue(Tensor(shape: [0] + tensor.shape.dropFirst(), data: [])))
            }
            return .object(TensorValue(try Tensor.concatenate(parts, axis: 0)))
        }
        let i = try Indexing.position(index, count: n, of: "tensor")
        let row = try tensor.slice(axis: 0, i..<(i + 1))
        if tensor.rank == 1 { return .double(Double(row.scalars[0])) }
        return .object(TensorValue(row.reshaped(Array(tensor.shape.dropFirst()))))
    }

    public func binary(_ op: String, _ other: Value, reversed: Bool) throws -> Value? {
        let rhs: Tensor
        if let t = other.object(as: TensorValue.self) {
            rhs = t.tensor
        } else if let n = other.number {
            rhs = Tensor(scalar: Float(n))
        } else {
            return nil
        }
        let (a, b) = reversed ? (rhs, tensor) : (tensor, rhs)
        let shape = try Broadcast.shape(a.shape, b.shape)
        try ResourceLimits.checkTensor(shape: shape, what: "a tensor \(op) result of shape \(shape)")
        let result: Tensor
        switch op {
        case "+": result = try a.combined(with: b, .add)
        case "-": result = try a.combined(with: b, .subtract)
        case "*": result = try a.combined(with: b, .multiply)
        case "/": result = try a.combined(with: b, .divide)
        case "**":
            let exponent = try b.combined(with: Tensor.zeros(a.shape), .add)
            let base = try a.combined(with: Tensor.zeros(b.shape), .add)
            result = base.zipMap(exponent) { Foundation.pow($0, $1) }
        default:
            return nil
        }
        return .object(TensorValue(result))
    }

    public func negated() throws -> Value? { .object(TensorValue(-tensor)) }

    public var saveFormats: [String] { ["npy"] }

    public func save(to url: URL, format: String) throws {
        try ImageFiles.write(NPY.encode(tensor), to: url.path)
    }
}

/// NumPy's `.npy` format, version 1.0: magic, a header dict padded to 64 bytes, little-endian float32 data.
enum NPY {
    static func encode(_ tensor: Tensor) -> [UInt8] {
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = UInt16(header.utf8.count)
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(header.utf8)
        for v in tensor.scalars {
            let bits = v.bitPattern.littleEndian
            bytes += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
        }
        return bytes
    }
}
