import Engine
import Foundation
import Protocol

/// A trained fast-style-transfer network as a language value: `stylize(s, img)` runs it, `save(s, "x.onnx")`
/// writes it for onnxruntime, `s.model` is the network as a Model (summary table, `forward`). It shows the
/// style next to a training crop before and after.
public struct StylizerValue: FoveaObject {
    public var stylizer: Stylizer
    public var style: Image
    /// A training picture and the same picture stylised, for the display.
    public var preview: (before: Image, after: Image)?

    public var typeName: String { "Stylizer" }

    public var plainText: String {
        let a = stylizer.architecture
        var text = "Stylizer: widths \(a.widths.map(String.init).joined(separator: "/")), \(a.residualBlocks) residual blocks, "
            + "\(stylizer.model.parameterCount.formatted()) parameters, \(stylizer.stepsTaken) training steps"
        if let first = stylizer.losses.first, let last = stylizer.losses.last {
            text += " (loss " + String(format: "%.3g → %.3g", first.total, last.total) + ")"
        }
        return text
    }

    public var attributeNames: [String] { ["model", "steps", "losses", "style"] }

    public func attribute(_ name: String) throws -> Value? {
        switch name {
        case "model": return .object(ModelValue(stylizer.model))
        case "steps": return .int(stylizer.stepsTaken)
        case "losses": return .object(TensorValue(Tensor(shape: [stylizer.losses.count], data: stylizer.losses.map(\.total))))
        case "style": return .object(ImageValue(style))
        default: return nil
        }
    }

    var figure: Figure {
        var panels = [Figure.Panel.image(style, title: "style")]
        if let preview {
            panels += [.image(preview.before, title: "training image"), .image(preview.after, title: "stylized")]
        }
        return Figure(panels: panels, columns: panels.count, title: plainText)
    }

    public func mimeBundle() throws -> MimeBundle {
        var bundle = try FigureValue(figure).mimeBundle()
        bundle.data["text/plain"] = .string(plainText)
        return bundle
    }

    public var saveFormats: [String] { ["onnx"] }
    public func save(to url: URL, format: String) throws { try ONNXExport.write(stylizer.model, to: url) }
}
