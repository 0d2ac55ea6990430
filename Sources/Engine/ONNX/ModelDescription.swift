import Foundation

/// What a model expects of its input and what its outputs mean, stored with the model.
///
/// An image given to a model is resized to `inputSize`, scaled to [0, 1], and normalised per channel with
/// `mean` and `std`; `classes[k]` names logit k. For ONNX files these come from the model's
/// `metadata_props` when present (keys below; values are JSON), else the user sets them with
/// `model(path, mean=…, std=…, classes=…)`.
///
/// Keys read (the `fovea.` prefix is optional, so files from other tools with plain keys also work):
/// `fovea.mean`, `fovea.std` (JSON arrays of numbers, one per channel), `fovea.input_size` (`[H, W]`),
/// `fovea.classes` (JSON array of strings; `labels` and `class_names` are accepted too).
public struct ModelDescription: Sendable, Equatable {
    /// Per-channel mean subtracted after scaling pixels to [0, 1].
    public var mean: [Float]?
    /// Per-channel standard deviation divided by after subtracting the mean.
    public var std: [Float]?
    /// The spatial input size `[H, W]` the model was trained at.
    public var inputSize: [Int]?
    /// Names of the output classes, one per logit.
    public var classes: [String]?
    /// Every metadata property of the file, including the ones above, as read.
    public var metadata: [String: String]
    /// The program that wrote the file (`pytorch 2.15.0`), when known.
    public var producer: String?
    /// The ONNX opset the file uses, when imported from ONNX.
    public var opset: Int?

    public init(mean: [Float]? = nil, std: [Float]? = nil, inputSize: [Int]? = nil, classes: [String]? = nil,
                metadata: [String: String] = [:], producer: String? = nil, opset: Int? = nil) {
        self.mean = mean
        self.std = std
        self.inputSize = inputSize
        self.classes = classes
        self.metadata = metadata
        self.producer = producer
        self.opset = opset
    }

    /// Reads the known keys from ONNX metadata properties. A malformed value is an error rather than
    /// silently ignored: wrong normalisation would give plausible-looking wrong answers.
    /// - Throws: `ModelError.invalid` naming the key.
    public init(parsing metadata: [String: String]) throws {
        self.init(metadata: metadata)
        mean = try Self.numbers(metadata, keys: ["fovea.mean", "mean"])
        std = try Self.numbers(metadata, keys: ["fovea.std", "std"])
        if let size = try Self.numbers(metadata, keys: ["fovea.input_size", "input_size"]) {
            guard size.count == 2, size.allSatisfy({ $0 >= 1 && $0 == $0.rounded() && $0 < 1e6 }) else {
                throw ModelError(.invalid, "metadata 'input_size' should be [height, width], got \(size)")
            }
            inputSize = size.map { Int($0) }
        }
        classes = try Self.strings(metadata, keys: ["fovea.classes", "classes", "labels", "class_names"])
        if let std, std.contains(where: { $0 == 0 }) {
            throw ModelError(.invalid, "metadata 'std' contains a zero")
        }
        if let mean, let std, mean.count != std.count {
            throw ModelError(.invalid, "metadata 'mean' has \(mean.count) values but 'std' has \(std.count)")
        }
    }

    /// Metadata properties to write into an exported file: the given `metadata` plus the known fields.
    public var metadataProperties: [String: String] {
        var props = metadata
        func json(_ value: some Encodable) -> String? {
            (try? JSONEncoder().encode(value)).flatMap { String(data: $0, encoding: .utf8) }
        }
        if let mean { props["fovea.mean"] = json(mean) }
        if let std { props["fovea.std"] = json(std) }
        if let inputSize { props["fovea.input_size"] = json(inputSize) }
        if let classes { props["fovea.classes"] = json(classes) }
        return props
    }

    private static func value(_ metadata: [String: String], _ keys: [String]) -> (String, String)? {
        for key in keys { if let v = metadata[key] { return (key, v) } }
        return nil
    }

    private static func numbers(_ metadata: [String: String], keys: [String]) throws -> [Float]? {
        guard let (key, text) = value(metadata, keys) else { return nil }
        if let array = try? JSONDecoder().decode([Double].self, from: Data(text.utf8)), !array.isEmpty {
            return array.map { Float($0) }
        }
        // Also accept "0.485, 0.456, 0.406".
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
            throw ModelError(.invalid, "metadata '\(key)' should be a JSON array of numbers, got \(text.prefix(60))")
        }
        return parts.compactMap { $0.map { Float($0) } }
    }

    private static func strings(_ metadata: [String: String], keys: [String]) throws -> [String]? {
        guard let (key, text) = value(metadata, keys) else { return nil }
        if let array = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) { return array }
        // A {"0": "tench", …} map, as some exporters write.
        if let map = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)),
           case let indexed = map.compactMap({ k, v in Int(k).map { ($0, v) } }), indexed.count == map.count,
           Set(indexed.map(\.0)) == Set(0..<map.count) {
            return indexed.sorted { $0.0 < $1.0 }.map(\.1)
        }
        throw ModelError(.invalid, "metadata '\(key)' should be a JSON array of strings, got \(text.prefix(60))")
    }
}
