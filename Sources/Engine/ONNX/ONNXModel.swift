import Foundation
import SwiftProtobuf

/// A model read from an ONNX file: the engine graph plus what its input and output mean.
///
/// ```
/// let model = try ONNXModel.load(contentsOf: URL(fileURLWithPath: "squeezenet1_1.onnx"))
/// let logits = try model.graph.run(["input": x])   // graph input name: model.inputName
/// ```
/// Layer (node) names follow the exporter's module paths (`features.3.expand1x1`); see `ONNXLayerNames`.
public struct ONNXModel: Sendable {
    /// The imported network. Its single input is `inputName` (shape `[nil, C, H, W]` for a dynamic batch);
    /// its outputs are the ONNX graph outputs, renamed to the layer that produces them.
    public var graph: Graph
    /// Preprocessing and class names from the file's metadata properties (empty fields when absent).
    public var description: ModelDescription

    public init(graph: Graph, description: ModelDescription) {
        self.graph = graph
        self.description = description
    }

    /// The graph input fed with images.
    public var inputName: String { graph.inputs.first?.name ?? "input" }

    /// Reads and imports an `.onnx` file.
    /// - Throws: `ModelError` (one line, naming the file, and the node and op when one is to blame) for a
    ///   missing, truncated or non-ONNX file, an unsupported operator/attribute/opset, or an inconsistent graph.
    public static func load(contentsOf url: URL) throws -> ONNXModel {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? "cannot be read" : "no such file"
            throw ModelError(.unreadable, reason, file: url.path)
        }
        return try decode(data, name: url.lastPathComponent)
    }

    /// Imports a model from the bytes of an `.onnx` file; `name` is used in error messages.
    public static func decode(_ data: Data, name: String = "model.onnx") throws -> ONNXModel {
        do {
            var importer = try ONNXImporter(model: try parse(data))
            return try importer.run()
        } catch let error as ModelError {
            throw error.inFile(name)
        } catch var error as ResourceLimitError {
            error.what = "\(name): \(error.what)"
            throw error
        } catch let error as GraphError {
            throw ModelError(.invalid, error.description, file: name)
        } catch {
            throw ModelError(.invalid, "\(error)", file: name)
        }
    }

    /// Protobuf decoding plus the checks that tell an ONNX model from arbitrary bytes: protobuf is so
    /// permissive that many non-ONNX files decode to a message made only of unknown fields.
    static func parse(_ data: Data) throws -> Onnx_ModelProto {
        guard !data.isEmpty else { throw ModelError(.notONNX, "empty file, not an ONNX model") }
        let proto: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.discardUnknownFields = true
            proto = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch BinaryDecodingError.truncated {
            throw ModelError(.notONNX, "truncated file: not a complete ONNX model")
        } catch {
            throw ModelError(.notONNX, "not an ONNX model (protobuf decoding failed: \(error))")
        }
        guard proto.hasIrVersion, proto.irVersion > 0, proto.hasGraph else {
            throw ModelError(.notONNX, "not an ONNX model (no IR version or graph; truncated or another format)")
        }
        guard !proto.opsetImport.isEmpty || proto.irVersion < 3 else {
            throw ModelError(.notONNX, "not a complete ONNX model (no opset import; the file may be truncated)")
        }
        return proto
    }
}
