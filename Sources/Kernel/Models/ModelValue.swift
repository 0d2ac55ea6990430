import Engine
import Foundation
import Protocol

/// A `Model` as a language value: its summary table is its display, its layer names drive `layer=`
/// checking and completion, and it saves as ONNX.
public struct ModelValue: FoveaObject {
    public var model: Model

    public init(_ model: Model) { self.model = model }

    public var typeName: String { "Model" }
    public var layerNames: [String]? { model.layerNames }
    public var plainText: String {
        "Model \"\(model.name)\": \(model.graph.nodes.count) layers, \(model.parameterCount.formatted()) parameters, input \(inputDescription)"
    }
    public var attributeNames: [String] { ["name", "layers", "classes", "params", "input_shape", "mean", "std"] }

    var inputDescription: String {
        let p = model.preprocessing
        return "\(p.channels)×\(p.inputHeight.map(String.init) ?? "H")×\(p.inputWidth.map(String.init) ?? "W")"
    }

    public func attribute(_ name: String) throws -> Value? {
        switch name {
        case "name": return .string(model.name)
        case "layers": return .list(model.layerNames.map { .string($0) })
        case "classes": return .list(model.preprocessing.classNames.map { .string($0) })
        case "params": return .int(model.parameterCount)
        case "input_shape": return .list(model.defaultInputShape.dropFirst().map { .int($0) })
        case "mean": return .list(model.preprocessing.mean.map { .double(Double($0)) })
        case "std": return .list(model.preprocessing.std.map { .double(Double($0)) })
        default: return nil
        }
    }

    /// One row per layer: name, op, output shape (for one default-size input), parameter count.
    public func summaryRows() -> [[String]] {
        let shapes = (try? model.graph.inferShapes([model.input: model.defaultInputShape])) ?? [:]
        return model.graph.nodes.map { node in
            let shape = shapes[node.outputs.first ?? node.name].map { "[" + $0.map(String.init).joined(separator: ", ") + "]" } ?? "?"
            let params = node.inputs.compactMap { model.graph.trainable.contains($0) ? model.graph.initializers[$0]?.count : nil }
                .reduce(0, +)
            return [node.name, node.op.opType, shape, params == 0 ? "" : params.formatted()]
        }
    }

    public func mimeBundle() throws -> MimeBundle {
        let headers = ["layer", "op", "output shape", "params"]
        let rows = summaryRows()
        let caption = plainText
        return MimeBundle(data: [
            "text/plain": .string(caption + "\n" + Display.textTable(headers: headers, rows: rows)),
            "text/html": .string(Display.htmlTable(headers: headers, rows: rows, caption: caption)),
        ])
    }

    public var saveFormats: [String] { ["onnx", "safetensors"] }
    public func save(to url: URL, format: String) throws {
        switch format {
        case "safetensors": try model.saveWeights(to: url.path, notes: [:])
        default: try ONNXExport.write(model, to: url)
        }
    }
}

/// Writes a model as ONNX (atomically: Foundation writes a temporary file and renames it).
enum ONNXExport {
    static func write(_ model: Model, to url: URL) throws {
        let p = model.preprocessing
        let size = p.inputHeight.flatMap { h in p.inputWidth.map { [h, $0] } }
        let description = ModelDescription(mean: p.mean, std: p.std, inputSize: size,
                                           classes: p.classNames.isEmpty ? nil : p.classNames)
        try ONNXModel(graph: model.graph, description: description).write(to: url)
    }
}
