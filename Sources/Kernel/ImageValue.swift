import Engine
import Foundation
import Protocol

/// An `Engine.Image` as a language value: prints as `Image 224×224×3 "chelsea"`, displays as PNG
/// (small images enlarged crisply, large ones shrunk to fit), has `.shape`, `.label`, `.name`, ….
public struct ImageValue: FoveaObject {
    public var image: Image

    public init(_ image: Image) { self.image = image }

    public var typeName: String { "Image" }
    public var plainText: String { image.description }
    public var attributeNames: [String] { ["shape", "height", "width", "channels", "label", "name"] }

    public func attribute(_ name: String) throws -> Value? {
        switch name {
        case "shape": return .list([.int(image.height), .int(image.width), .int(image.channels)])
        case "height": return .int(image.height)
        case "width": return .int(image.width)
        case "channels": return .int(image.channels)
        case "label": return image.label.map { .int($0) } ?? Value.none
        case "name": return image.name.map { .string($0) } ?? Value.none
        default: return nil
        }
    }

    public var saveFormats: [String] { ["png"] }
    public func save(to url: URL, format: String) throws { try ImageFiles.savePNG(image, to: url.path) }

    public func mimeBundle() throws -> MimeBundle {
        let shown = ImageValue.forDisplay(image)
        return Display.pngBundle(try PNGCodec.encode(shown), width: shown.width, height: shown.height, text: plainText)
    }

    /// Tiny images (28×28 digits, 3×3 filters) are enlarged by a whole factor with nearest neighbour so they
    /// stay crisp; images beyond 1024 pixels are shrunk.
    static func forDisplay(_ image: Image) -> Image {
        let side = max(image.width, image.height)
        let limit = side > 1024 ? 1024 : (side < 112 ? 224 : side)
        return image.fitted(maxWidth: limit, maxHeight: limit)
    }
}

/// An `Engine.Figure` (panels of images, heat maps, plots) as a value: PNG and SVG, plus `.image`.
public struct FigureValue: FoveaObject {
    public var figure: Figure
    /// The verb, its resolved arguments and the seed, carried in the display metadata.
    public var metadata: [String: JSON]

    public init(_ figure: Figure, metadata: [String: JSON] = [:]) {
        self.figure = figure
        self.metadata = metadata
    }

    public var typeName: String { "Figure" }
    public var plainText: String {
        "Figure (\(figure.panels.count) panel\(figure.panels.count == 1 ? "" : "s"))" + (figure.title.map { " \"\($0)\"" } ?? "")
    }
    public var attributeNames: [String] { ["image"] }

    public func attribute(_ name: String) throws -> Value? {
        name == "image" ? .object(ImageValue(try figure.render())) : nil
    }

    public var saveFormats: [String] { ["png", "svg"] }
    public func save(to url: URL, format: String) throws {
        if format == "svg" {
            try ImageFiles.write(Array(try figure.svg().utf8), to: url.path)
        } else {
            try ImageFiles.write(try figure.png(), to: url.path)
        }
    }

    public func mimeBundle() throws -> MimeBundle {
        let image = try figure.render()
        var bundle = Display.pngBundle(try PNGCodec.encode(image), width: image.width, height: image.height, text: plainText)
        bundle.data["image/svg+xml"] = .string(try figure.svg())
        if !metadata.isEmpty { bundle.metadata["fovea"] = .object(metadata) }
        return bundle
    }
}
