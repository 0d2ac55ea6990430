import Foundation
import Testing
@testable import Engine

/// Reads the oracle files written by `tools/oracle/make_fixtures.py` and compares the engine with them.
enum ONNXOracle {
    /// Committed small fixtures.
    static let smallDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/onnx")
    /// Locally generated torchvision fixtures (`make_fixtures.py --large`); absent in a fresh clone.
    static let largeDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("tools/oracle/out")

    struct Case {
        var input: Tensor
        var targets: [Int]
        var logits: Tensor
        var gradient: Tensor
        /// The reference gradient in float64 (torchvision fixtures: PyTorch running the exported graph in
        /// float64, written by `make_fixtures.py` or `conditioning.py`).
        var gradient64: Tensor?
    }

    /// Measured errors for one model and batch.
    struct Errors: CustomStringConvertible {
        var logits: Float
        /// Against PyTorch's float32 gradient.
        var gradient: Float
        /// Against PyTorch's float64 gradient, when available.
        var gradient64: Float?
        /// The error the acceptance bound applies to: float32 answers differ legitimately where a ReLU or
        /// max-pool decision sits within rounding of its kink, so for each image matching either reference
        /// counts (the worst image decides).
        var acceptedGradient: Float
        /// The accepted error of each image (with a float64 reference), so a batch failure names its image.
        var acceptedPerImage: [Float] = []
        var description: String {
            "logits \(String(format: "%.2e", logits)), input gradient \(String(format: "%.2e", gradient)) vs float32"
                + (gradient64.map { String(format: ", %.2e vs float64, accepted %.2e", $0, acceptedGradient) } ?? "")
                + (acceptedPerImage.count > 1
                    ? " (per image " + acceptedPerImage.map { String(format: "%.2e", $0) }.joined(separator: ", ") + ")" : "")
        }
    }

    static func load(_ name: String, batch: Int, in directory: URL) throws -> Case {
        func npy(_ what: String) throws -> (shape: [Int], values: [Float]) {
            try readNpy(directory.appendingPathComponent("\(name).b\(batch).\(what).npy"))
        }
        let input = try npy("input"), logits = try npy("logits"), grad = try npy("grad"), target = try npy("target")
        let url64 = directory.appendingPathComponent("\(name).b\(batch).grad64.npy")
        let grad64 = FileManager.default.fileExists(atPath: url64.path) ? try readNpy(url64) : nil
        return Case(input: Tensor(shape: input.shape, data: input.values), targets: target.values.map { Int($0) },
                    logits: Tensor(shape: logits.shape, data: logits.values),
                    gradient: Tensor(shape: grad.shape, data: grad.values),
                    gradient64: grad64.map { Tensor(shape: $0.shape, data: $0.values) })
    }

    /// max |a − b| / max |b|: the error relative to the reference's scale (elementwise relative error is
    /// meaningless for values near zero, which every logit vector and gradient has).
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        guard a.shape == b.shape else { return .infinity }
        let x = a.scalars, y = b.scalars
        var diff: Float = 0, scale: Float = 0
        for i in x.indices {
            diff = max(diff, abs(x[i] - y[i]))
            scale = max(scale, abs(y[i]))
        }
        return diff / max(scale, 1e-30)
    }

    /// Runs the model on the oracle input: logits, and the gradient of Σ_i logits[i, target_i] with
    /// respect to the input, as the Python script computes them.
    static func check(_ model: ONNXModel, _ c: Case) throws -> Errors {
        // A zero reference gradient (a dead class) would make the comparison vacuous.
        #expect(c.gradient.scalars.contains { $0 != 0 }, "the oracle gradient is identically zero")
        let pass = try model.graph.forward([model.inputName: c.input])
        let logits = try #require(pass.outputs.first)
        var seed = Tensor.zeros(logits.shape)
        for (row, target) in c.targets.enumerated() { seed[row, target] = 1 }
        let gradients = try pass.backward(gradient: seed)
        let gradient = try #require(gradients[model.inputName])
        var accepted = relativeError(gradient, c.gradient)
        var perImage: [Float] = []
        if let g64 = c.gradient64, gradient.rank > 0, gradient.shape == g64.shape {
            let n = gradient.shape[0], per = gradient.count / max(n, 1)
            let scale32 = c.gradient.scalars.map(abs).max() ?? 1, scale64 = g64.scalars.map(abs).max() ?? 1
            let mine = gradient.scalars, ref32 = c.gradient.scalars, ref64 = g64.scalars
            perImage = (0..<n).map { k -> Float in
                let range = (k * per)..<((k + 1) * per)
                let e32 = range.map { abs(mine[$0] - ref32[$0]) }.max() ?? 0
                let e64 = range.map { abs(mine[$0] - ref64[$0]) }.max() ?? 0
                return min(e32 / max(scale32, 1e-30), e64 / max(scale64, 1e-30))
            }
            accepted = perImage.max() ?? accepted
        }
        return Errors(logits: relativeError(logits, c.logits), gradient: relativeError(gradient, c.gradient),
                      gradient64: c.gradient64.map { relativeError(gradient, $0) }, acceptedGradient: accepted,
                      acceptedPerImage: perImage)
    }

    /// A minimal `.npy` reader for the oracle files: little-endian float32/float64/int64, C order.
    static func readNpy(_ url: URL) throws -> (shape: [Int], values: [Float]) {
        let data = try Data(contentsOf: url)
        let bytes = [UInt8](data)
        guard bytes.count > 10, bytes[0] == 0x93, String(decoding: bytes[1...5], as: UTF8.self) == "NUMPY" else {
            throw NpyError(url: url, reason: "not an .npy file")
        }
        let major = bytes[6]
        let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let headerStart = major == 1 ? 10 : 12
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard !header.contains("'fortran_order': True") else { throw NpyError(url: url, reason: "Fortran order") }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")")
        else { throw NpyError(url: url, reason: "no shape") }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        let body = Data(bytes[(headerStart + headerLength)...])
        let values: [Float]
        if header.contains("'<f4'") {
            values = body.withUnsafeBytes { raw in (0..<(body.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
        } else if header.contains("'<f8'") {
            values = body.withUnsafeBytes { raw in (0..<(body.count / 8)).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) } }
        } else if header.contains("'<i8'") {
            values = body.withUnsafeBytes { raw in (0..<(body.count / 8)).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) } }
        } else {
            throw NpyError(url: url, reason: "unsupported dtype in \(header)")
        }
        guard values.count == shape.reduce(1, *) else { throw NpyError(url: url, reason: "size mismatch") }
        return (shape, values)
    }

    struct NpyError: Error, CustomStringConvertible {
        var url: URL
        var reason: String
        var description: String { "\(url.lastPathComponent): \(reason)" }
    }
}
