/// An RGB float raster with anti-aliased drawing primitives; the back end of `Drawing.raster()`.
/// Coverage-based anti-aliasing: a pixel's coverage in [0, 1] blends the colour over what is there.
struct Canvas {
    let width: Int
    let height: Int
    var pixels: [Float]

    init(width: Int, height: Int, background: RGB) {
        self.width = width
        self.height = height
        pixels = [Float](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            pixels[3 * i] = background.r
            pixels[3 * i + 1] = background.g
            pixels[3 * i + 2] = background.b
        }
    }

    var image: Image { Image(height: height, width: width, channels: 3, pixels: pixels) }

    @inline(__always) mutating func blend(_ x: Int, _ y: Int, _ c: RGB, _ coverage: Float) {
        guard x >= 0, y >= 0, x < width, y < height, coverage > 0 else { return }
        let a = min(coverage, 1)
        let i = (y * width + x) * 3
        pixels[i] += (c.r - pixels[i]) * a
        pixels[i + 1] += (c.g - pixels[i + 1]) * a
        pixels[i + 2] += (c.b - pixels[i + 2]) * a
    }

    mutating func rect(x: Double, y: Double, width w: Double, height h: Double, fill: RGB?, stroke: RGB?) {
        let x0 = Int(x.rounded())
        let y0 = Int(y.rounded())
        let x1 = Int((x + w).rounded())
        let y1 = Int((y + h).rounded())
        if let fill {
            for yy in max(y0, 0)..<max(min(y1, height), max(y0, 0)) {
                for xx in max(x0, 0)..<max(min(x1, width), max(x0, 0)) { blend(xx, yy, fill, 1) }
            }
        }
        if let stroke, x1 > x0, y1 > y0 {
            for xx in x0..<x1 {
                blend(xx, y0, stroke, 1)
                blend(xx, y1 - 1, stroke, 1)
            }
            for yy in y0..<y1 {
                blend(x0, yy, stroke, 1)
                blend(x1 - 1, yy, stroke, 1)
            }
        }
    }

    mutating func disc(x cx: Double, y cy: Double, radius r: Double, color: RGB, opacity: Double) {
        let x0 = Int((cx - r - 1).rounded(.down))
        let x1 = Int((cx + r + 1).rounded(.up))
        let y0 = Int((cy - r - 1).rounded(.down))
        let y1 = Int((cy + r + 1).rounded(.up))
        guard x1 >= x0, y1 >= y0 else { return }
        for yy in y0...y1 {
            for xx in x0...x1 {
                let dx = Double(xx) + 0.5 - cx
                let dy = Double(yy) + 0.5 - cy
                let coverage = min(max(r + 0.5 - (dx * dx + dy * dy).squareRoot(), 0), 1)
                if coverage > 0 { blend(xx, yy, color, Float(coverage * opacity)) }
            }
        }
    }

    /// Fills a polygon by the even–odd rule, anti-aliased vertically by 4 sub-scanlines per row and
    /// horizontally by exact span coverage at the ends.
    mutating func polygon(_ points: [(Double, Double)], color: RGB, opacity: Double) {
        let pts = points.filter { $0.0.isFinite && $0.1.isFinite }
        guard pts.count >= 3 else { return }
        let minY = max(Int(pts.map(\.1).min()!.rounded(.down)), 0)
        let maxY = min(Int(pts.map(\.1).max()!.rounded(.up)), height - 1)
        guard maxY >= minY else { return }
        var coverage = [Double](repeating: 0, count: width)
        let subRows = 4
        for row in minY...maxY {
            for i in 0..<width { coverage[i] = 0 }
            for sub in 0..<subRows {
                let sy = Double(row) + (Double(sub) + 0.5) / Double(subRows)
                var crossings: [Double] = []
                for k in 0..<pts.count {
                    let a = pts[k], b = pts[(k + 1) % pts.count]
                    if (a.1 <= sy && b.1 > sy) || (b.1 <= sy && a.1 > sy) {
                        crossings.append(a.0 + (sy - a.1) / (b.1 - a.1) * (b.0 - a.0))
                    }
                }
                crossings.sort()
                var k = 0
                while k + 1 < crossings.count {
                    let xa = max(crossings[k], 0), xb = min(crossings[k + 1], Double(width))
                    k += 2
                    guard xb > xa else { continue }
                    let first = Int(xa.rounded(.down)), last = min(Int(xb.rounded(.up)) - 1, width - 1)
                    guard last >= first else { continue }
                    for x in first...last {
                        let covered = min(xb, Double(x + 1)) - max(xa, Double(x))
                        if covered > 0 { coverage[x] += covered / Double(subRows) }
                    }
                }
            }
            for x in 0..<width where coverage[x] > 0 { blend(x, row, color, Float(min(coverage[x], 1) * opacity)) }
        }
    }

    /// Coverage of the whole polyline is computed first (max over segments), then blended once,
    /// so joints are not drawn twice.
    mutating func polyline(_ points: [(Double, Double)], color: RGB, width lineWidth: Double) {
        guard let first = points.first else { return }
        let half = lineWidth / 2
        var minX = first.0
        var maxX = first.0
        var minY = first.1
        var maxY = first.1
        for p in points where p.0.isFinite && p.1.isFinite {
            minX = min(minX, p.0)
            maxX = max(maxX, p.0)
            minY = min(minY, p.1)
            maxY = max(maxY, p.1)
        }
        let x0 = max(Int((minX - half - 1).rounded(.down)), 0)
        let x1 = min(Int((maxX + half + 1).rounded(.up)), width - 1)
        let y0 = max(Int((minY - half - 1).rounded(.down)), 0)
        let y1 = min(Int((maxY + half + 1).rounded(.up)), height - 1)
        guard x1 >= x0, y1 >= y0 else { return }
        let w = x1 - x0 + 1
        var mask = [Float](repeating: 0, count: w * (y1 - y0 + 1))
        let segments = points.count == 1 ? [(first, first)] : Array(zip(points, points.dropFirst()))
        for (a, b) in segments where a.0.isFinite && a.1.isFinite && b.0.isFinite && b.1.isFinite {
            let sx0 = max(Int((min(a.0, b.0) - half - 1).rounded(.down)), x0)
            let sx1 = min(Int((max(a.0, b.0) + half + 1).rounded(.up)), x1)
            let sy0 = max(Int((min(a.1, b.1) - half - 1).rounded(.down)), y0)
            let sy1 = min(Int((max(a.1, b.1) + half + 1).rounded(.up)), y1)
            guard sx1 >= sx0, sy1 >= sy0 else { continue }
            let dx = b.0 - a.0
            let dy = b.1 - a.1
            let length2 = dx * dx + dy * dy
            for yy in sy0...sy1 {
                for xx in sx0...sx1 {
                    let px = Double(xx) + 0.5
                    let py = Double(yy) + 0.5
                    var t = length2 > 0 ? ((px - a.0) * dx + (py - a.1) * dy) / length2 : 0
                    t = min(max(t, 0), 1)
                    let ex = px - (a.0 + t * dx)
                    let ey = py - (a.1 + t * dy)
                    let coverage = Float(min(max(half + 0.5 - (ex * ex + ey * ey).squareRoot(), 0), 1))
                    let m = (yy - y0) * w + (xx - x0)
                    if coverage > mask[m] { mask[m] = coverage }
                }
            }
        }
        for yy in y0...y1 {
            for xx in x0...x1 { blend(xx, yy, color, mask[(yy - y0) * w + (xx - x0)]) }
        }
    }

    mutating func text(_ s: String, x: Double, y: Double, size: Int, color: RGB, anchor: Drawing.Anchor, font: Font) {
        let line = font.layout(s, size: size)
        let total = Double(line.width)
        let start: Int
        switch anchor {
        case .start: start = Int(x.rounded())
        case .middle: start = Int((x - total / 2).rounded())
        case .end: start = Int((x - total).rounded())
        }
        let baseline = Int(y.rounded())
        for (g, offset) in line.glyphs {
            let pen = start + offset
            for row in 0..<g.rows {
                for col in 0..<g.width {
                    let c = g.coverage[row * g.width + col]
                    if c > 0 { blend(pen + g.left + col, baseline - g.top + row, color, Float(c) / 255) }
                }
            }
        }
    }

    /// Copies an image (gray drawn as RGB) with its top-left corner at (x, y), clipped to the canvas.
    mutating func image(_ img: Image, x: Int, y: Int) {
        for yy in 0..<img.height where y + yy >= 0 && y + yy < height {
            for xx in 0..<img.width where x + xx >= 0 && x + xx < width {
                let d = ((y + yy) * width + x + xx) * 3
                let s = (yy * img.width + xx) * img.channels
                if img.channels == 3 {
                    pixels[d] = img.pixels[s]
                    pixels[d + 1] = img.pixels[s + 1]
                    pixels[d + 2] = img.pixels[s + 2]
                } else {
                    let v = img.pixels[s]
                    pixels[d] = v
                    pixels[d + 1] = v
                    pixels[d + 2] = v
                }
            }
        }
    }
}
