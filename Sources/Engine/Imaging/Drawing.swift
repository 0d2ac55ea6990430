import Foundation

/// A picture as a list of shapes in pixel coordinates (origin top-left, y down), rendered either to
/// pixels (`raster()`, anti-aliased, for PNG) or to SVG (`svg()`, text as real `<text>`).
/// Grids, figures and plots are all laid out once as a `Drawing`, so both outputs agree.
/// Rendering is deterministic: the same drawing gives the same bytes.
public struct Drawing: Sendable {
    public enum Anchor: String, Sendable { case start, middle, end }

    public enum Shape: Sendable {
        /// Filled and/or stroked axis-aligned rectangle; edges snap to whole pixels.
        case rect(x: Double, y: Double, width: Double, height: Double, fill: RGB?, stroke: RGB?)
        /// An open polyline of the given stroke width.
        case polyline(points: [(Double, Double)], color: RGB, width: Double)
        /// A filled polygon (even–odd rule), e.g. the area under a curve.
        case polygon(points: [(Double, Double)], fill: RGB, opacity: Double)
        /// A filled disc (scatter points), optionally translucent.
        case disc(x: Double, y: Double, radius: Double, fill: RGB, opacity: Double)
        /// One line of text; `y` is the baseline.
        case text(String, x: Double, y: Double, size: Int, color: RGB, anchor: Anchor)
        /// A raster image placed at whole-pixel position, drawn at its own size.
        case image(Image, x: Int, y: Int)
    }

    public var width: Int
    public var height: Int
    public var background: RGB
    public var shapes: [Shape] = []

    public init(width: Int, height: Int, background: RGB = .white) {
        precondition(width >= 1 && height >= 1, "drawing must be at least 1×1")
        self.width = width
        self.height = height
        self.background = background
    }

    public mutating func add(_ shape: Shape) { shapes.append(shape) }

    /// Adds every shape of `other`, shifted by (dx, dy).
    public mutating func add(_ other: Drawing, dx: Double, dy: Double) {
        for shape in other.shapes {
            switch shape {
            case .rect(let x, let y, let w, let h, let fill, let stroke):
                add(.rect(x: x + dx, y: y + dy, width: w, height: h, fill: fill, stroke: stroke))
            case .polyline(let points, let color, let width):
                add(.polyline(points: points.map { ($0.0 + dx, $0.1 + dy) }, color: color, width: width))
            case .polygon(let points, let fill, let opacity):
                add(.polygon(points: points.map { ($0.0 + dx, $0.1 + dy) }, fill: fill, opacity: opacity))
            case .disc(let x, let y, let r, let fill, let opacity):
                add(.disc(x: x + dx, y: y + dy, radius: r, fill: fill, opacity: opacity))
            case .text(let s, let x, let y, let size, let color, let anchor):
                add(.text(s, x: x + dx, y: y + dy, size: size, color: color, anchor: anchor))
            case .image(let img, let x, let y):
                add(.image(img, x: x + Int(dx.rounded()), y: y + Int(dy.rounded())))
            }
        }
    }

    // MARK: - Raster

    /// Renders to an RGB image. Text needs the DejaVu font (`ImageError.fontUnavailable` otherwise).
    public func raster() throws -> Image {
        var canvas = Canvas(width: width, height: height, background: background)
        let needsFont = shapes.contains { if case .text = $0 { return true } else { return false } }
        let font = needsFont ? try Font.shared() : nil
        for shape in shapes {
            switch shape {
            case .rect(let x, let y, let w, let h, let fill, let stroke):
                canvas.rect(x: x, y: y, width: w, height: h, fill: fill, stroke: stroke)
            case .polyline(let points, let color, let width):
                canvas.polyline(points, color: color, width: width)
            case .polygon(let points, let fill, let opacity):
                canvas.polygon(points, color: fill, opacity: opacity)
            case .disc(let x, let y, let r, let fill, let opacity):
                canvas.disc(x: x, y: y, radius: r, color: fill, opacity: opacity)
            case .text(let s, let x, let y, let size, let color, let anchor):
                if let font { canvas.text(s, x: x, y: y, size: size, color: color, anchor: anchor, font: font) }
            case .image(let img, let x, let y):
                canvas.image(img, x: x, y: y)
            }
        }
        return canvas.image
    }

    /// Renders to PNG bytes.
    public func png() throws -> [UInt8] { try PNGCodec.encode(raster()) }

    // MARK: - SVG

    /// An SVG document of the same size. Text stays text (font-family DejaVu Sans, sans-serif);
    /// raster images are embedded as PNG data URIs.
    public func svg() throws -> String {
        var out =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\" font-family=\"DejaVu Sans, Bitstream Vera Sans, sans-serif\">\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"\(background.hexString)\"/>\n"
        for shape in shapes {
            switch shape {
            case .rect(let x, let y, let w, let h, let fill, let stroke):
                out +=
                    "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(w))\" height=\"\(fmt(h))\" "
                    + "fill=\"\(fill?.hexString ?? "none")\""
                    + (stroke.map { " stroke=\"\($0.hexString)\" stroke-width=\"1\"" } ?? "") + "/>\n"
            case .polyline(let points, let color, let width):
                let pts = points.map { "\(fmt($0.0)),\(fmt($0.1))" }.joined(separator: " ")
                out +=
                    "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(color.hexString)\" "
                    + "stroke-width=\"\(fmt(width))\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n"
            case .polygon(let points, let fill, let opacity):
                let pts = points.map { "\(fmt($0.0)),\(fmt($0.1))" }.joined(separator: " ")
                out += "<polygon points=\"\(pts)\" fill=\"\(fill.hexString)\""
                    + (opacity < 1 ? " fill-opacity=\"\(fmt(opacity))\"" : "") + "/>\n"
            case .disc(let x, let y, let r, let fill, let opacity):
                out +=
                    "<circle cx=\"\(fmt(x))\" cy=\"\(fmt(y))\" r=\"\(fmt(r))\" fill=\"\(fill.hexString)\""
                    + (opacity < 1 ? " fill-opacity=\"\(fmt(opacity))\"" : "") + "/>\n"
            case .text(let s, let x, let y, let size, let color, let anchor):
                out +=
                    "<text x=\"\(fmt(x))\" y=\"\(fmt(y))\" font-size=\"\(size)\" fill=\"\(color.hexString)\""
                    + (anchor == .start ? "" : " text-anchor=\"\(anchor.rawValue)\"") + ">\(xmlEscape(s))</text>\n"
            case .image(let img, let x, let y):
                let data = Data(try PNGCodec.encode(img)).base64EncodedString()
                out +=
                    "<image x=\"\(x)\" y=\"\(y)\" width=\"\(img.width)\" height=\"\(img.height)\" "
                    + "style=\"image-rendering:pixelated\" xlink:href=\"data:image/png;base64,\(data)\"/>\n"
            }
        }
        return out + "</svg>\n"
    }

    /// A coordinate with at most two decimals and no trailing zeros (`12`, `12.5`, `-0.25`), without Foundation
    /// formatting (SVGs of 10,000-point scatter plots format tens of thousands of numbers).
    private func fmt(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let hundredths = Int((v * 100).rounded())
        let negative = hundredths < 0
        let magnitude = abs(hundredths)
        var text = (negative ? "-" : "") + String(magnitude / 100)
        let fraction = magnitude % 100
        if fraction != 0 {
            text += fraction % 10 == 0 ? "." + String(fraction / 10) : (fraction < 10 ? ".0" : ".") + String(fraction)
        }
        return text == "-0" ? "0" : text
    }
}

/// Escapes text for XML content and attributes.
func xmlEscape(_ s: String) -> String {
    var out = ""
    for ch in s {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(ch)
        }
    }
    return out
}
