import Foundation
import Testing

@testable import Engine

@Suite struct ImagingColorMapTests {
    @Test(arguments: ["viridis", "magma", "inferno", "plasma", "gray", "RdBu_r", "RdBu", "bwr", "hot", "coolwarm"])
    func matchesMatplotlib(name: String) throws {
        let ref = try #require(ImagingFixtures.reference.colormaps[name])
        let map = try ColorMap.named(name)
        for (i, x) in ref.x.enumerated() {
            let c = map.color(x)
            #expect(abs(Double(c.r) - ref.rgb[3 * i]) < 1e-6, "\(name)(\(x)).r")
            #expect(abs(Double(c.g) - ref.rgb[3 * i + 1]) < 1e-6, "\(name)(\(x)).g")
            #expect(abs(Double(c.b) - ref.rgb[3 * i + 2]) < 1e-6, "\(name)(\(x)).b")
        }
    }

    @Test func viridisEndpointsAreMatplotlibs() {
        #expect(ColorMap.viridis.color(0) == RGB(0.267004, 0.004874, 0.329415))
        #expect(ColorMap.viridis.color(1) == RGB(0.993248, 0.906157, 0.143936))
        #expect(ColorMap.viridis.color(-3) == ColorMap.viridis.color(0))
        #expect(ColorMap.viridis.color(.nan) == .white)
    }

    @Test func unknownMapListsKnownNames() {
        #expect(throws: ImageError.self) { try ColorMap.named("rainbowz") }
        do { _ = try ColorMap.named("rainbowz") } catch { #expect("\(error)".contains("viridis")) }
        #expect((try? ColorMap.named("VIRIDIS"))?.name == "viridis")
    }

    @Test func heatMapNormalisesToTheRange() {
        let heat = HeatMap(height: 1, width: 3, values: [2, 3, 4])
        let img = heat.colored(.gray)
        #expect(img.pixels[0] == 0 && img.pixels[8] == 1)
        #expect(abs(img.pixels[3] - 128.0 / 255) < 1e-6)  // 0.5 → entry 128 of 256
        // Diverging maps centre zero.
        #expect(HeatMap(height: 1, width: 2, values: [-1, 3]).autoRange(symmetric: true) == -3...3)
        let rb = HeatMap(height: 1, width: 1, values: [0]).colored(.bwr, range: -1...1)
        #expect(rb.pixels == [ColorMap.bwr.color(0.5).r, ColorMap.bwr.color(0.5).g, ColorMap.bwr.color(0.5).b])
    }

    @Test func overlayBlendsWithAlpha() {
        let image = Image(height: 2, width: 2, channels: 1, fill: 0.2)
        let heat = HeatMap(height: 1, width: 1, values: [5])
        let none = image.overlaid(with: heat, map: .viridis, alpha: 0)
        #expect(none.pixels.allSatisfy { abs($0 - 0.2) < 1e-6 })
        let half = image.overlaid(with: heat, map: .gray, alpha: 0.5, range: 0...10)
        // gray(0.5) = 128/255; 0.5·0.2 + 0.5·128/255
        #expect(half.pixels.allSatisfy { abs($0 - (0.1 + 0.5 * 128 / 255)) < 1e-6 })
        #expect(half.channels == 3 && half.height == 2)
    }
}

@Suite struct ImagingDrawingTests {
    @Test func textRendersAntialiasedInk() throws {
        var d = Drawing(width: 120, height: 40)
        d.add(.text("Hello, CNN", x: 4, y: 28, size: 18, color: .black, anchor: .start))
        let img = try d.raster()
        let dark = img.pixels.filter { $0 < 0.5 }.count
        let partial = img.pixels.filter { $0 > 0.05 && $0 < 0.95 }.count
        #expect(dark > 100, "glyphs leave ink")
        #expect(partial > 50, "edges are anti-aliased")
        // Nothing drawn below the baseline region except descenders (the comma), nothing above the cap height.
        #expect(img.cropped(top: 0, left: 0, height: 6, width: 120).pixels.allSatisfy { $0 == 1 })
        let font = try Font.shared()
        #expect(font.width(of: "Hello", size: 18) > font.width(of: "Hi", size: 18))
    }

    @Test func kerningAndTruncation() throws {
        let font = try Font.shared()
        let pair = font.width(of: "AV", size: 40)
        let apart = font.width(of: "A", size: 40) + font.width(of: "V", size: 40)
        #expect(pair < apart, "DejaVu Sans kerns A–V")
        let short = font.truncated("a very long panel title indeed", toWidth: 80, size: 13)
        #expect(short.hasSuffix("…") && font.width(of: short, size: 13) <= 80 && short.count > 3)
        #expect(font.truncated("ok", toWidth: 80, size: 13) == "ok")
    }

    @Test func anchorsPlaceTextEnds() throws {
        let font = try Font.shared()
        let w = font.width(of: "abc", size: 14)
        var d = Drawing(width: 100, height: 20)
        d.add(.text("abc", x: 50, y: 15, size: 14, color: .black, anchor: .end))
        let img = try d.raster()
        let columns = (0..<100).filter { x in (0..<20).contains { y in img[y, x, 0] < 0.9 } }
        #expect((columns.max() ?? 0) < 50 && (columns.min() ?? 0) >= 50 - w - 1)
    }

    @Test func discsAreAntialiasedAndTranslucent() throws {
        var d = Drawing(width: 20, height: 20)
        d.add(.disc(x: 10, y: 10, radius: 4, fill: RGB(1, 0, 0), opacity: 0.8))
        let img = try d.raster()
        #expect(abs(img[10, 10, 0] - 1) < 1e-6 && abs(img[10, 10, 1] - 0.2) < 1e-6)
        let edge = (0..<20).map { img[10, $0, 1] }.filter { $0 > 0.2 + 1e-3 && $0 < 1 - 1e-3 }
        #expect(!edge.isEmpty, "partially covered edge pixels")
        #expect(img[0, 0, 1] == 1)
    }

    @Test func polygonsFillWithExactEdgeCoverage() throws {
        var d = Drawing(width: 10, height: 10)
        d.add(.polygon(points: [(2, 2), (6.5, 2), (6.5, 6), (2, 6)], fill: .black, opacity: 1))
        let img = try d.raster()
        #expect(img[3, 3, 0] == 0 && img[5, 5, 0] == 0)
        #expect(abs(img[3, 6, 0] - 0.5) < 1e-6, "half-covered column")
        #expect(img[1, 3, 0] == 1 && img[6, 3, 0] == 1 && img[3, 7, 0] == 1)
        #expect(try d.svg().contains("<polygon points=\"2,2 6.5,2 6.5,6 2,6\" fill=\"#000000\"/>"))
    }

    @Test func renderingIsDeterministic() throws {
        let fig = Figure(panels: [
            .image(Image(height: 8, width: 8, channels: 1, fill: 0.3), title: "a"),
            .heatmap(HeatMap(height: 2, width: 2, values: [0, 1, 2, 3]), title: "b"),
        ])
        #expect(try fig.png() == fig.png())
        #expect(try fig.svg() == fig.svg())
    }

    @Test func svgNumbersHaveAtMostTwoDecimals() throws {
        var d = Drawing(width: 10, height: 10)
        d.add(.polyline(points: [(0.5, 1), (-0.25, 2.05), (-0.004, 12.999), (3.1, 100.07)], color: .black, width: 1.5))
        #expect(try d.svg().contains("points=\"0.5,1 -0.25,2.05 0,13 3.1,100.07\""))
    }

    @Test func svgEmbedsRasterImagesAsPNG() throws {
        var d = Drawing(width: 10, height: 10)
        let img = Image(bytes: [0, 128, 255, 255, 7, 0], height: 2, width: 3, channels: 1)
        d.add(.image(img, x: 4, y: 5))
        let svg = try d.svg()
        let prefix = "<image x=\"4\" y=\"5\" width=\"3\" height=\"2\" style=\"image-rendering:pixelated\" "
            + "xlink:href=\"data:image/png;base64,"
        let start = try #require(svg.range(of: prefix))
        let base64 = svg[start.upperBound...].prefix { $0 != "\"" }
        let png = try #require(Data(base64Encoded: String(base64)))
        #expect(try PNGCodec.decode([UInt8](png)) == img)
        #expect(svg.contains("xmlns:xlink=\"http://www.w3.org/1999/xlink\""))
    }

    @Test func svgEscapesText() throws {
        var d = Drawing(width: 10, height: 10)
        d.add(.text("a<b & \"c\"", x: 0, y: 5, size: 10, color: .black, anchor: .middle))
        let svg = try d.svg()
        #expect(
            svg.contains(
                "<text x=\"0\" y=\"5\" font-size=\"10\" fill=\"#000000\" text-anchor=\"middle\">a&lt;b &amp; &quot;c&quot;</text>"
            ))
    }
}

@Suite struct ImagingPlotTests {
    static let classNames = ["T-shirt/top", "Trouser", "Ankle boot"]

    static func plot() -> ScatterPlot {
        ScatterPlot(x: [0, 1, 2, 3], y: [0, 1, 0, 1], labels: [0, 1, 2, 2], classNames: classNames, title: "t-SNE")
    }

    @Test func scatterSVGHasLegendText() throws {
        let svg = try Self.plot().svg()
        for name in Self.classNames { #expect(svg.contains(">\(name)</text>")) }
        #expect(svg.contains(">t-SNE</text>"))
        #expect(svg.components(separatedBy: "<circle").count - 1 == 4 + 3, "4 points and 3 legend markers")
        #expect(svg.contains("fill=\"#1f77b4\"") && svg.contains("fill=\"#2ca02c\""))
    }

    @Test func scatterPNGShowsClassColours() throws {
        let img = try Self.plot().render()
        #expect(img.width == 640 && img.height == 480)
        // tab10 green (class 2) drawn at opacity 0.8 over white somewhere in the picture.
        let green = RGB(hex: 0x2ca02c)
        let expected = (0.8 * green.r + 0.2, 0.8 * green.g + 0.2, 0.8 * green.b + 0.2)
        let found = (0..<(img.width * img.height)).contains { i in
            abs(img.pixels[3 * i] - expected.0) < 1e-4 && abs(img.pixels[3 * i + 1] - expected.1) < 1e-4
                && abs(img.pixels[3 * i + 2] - expected.2) < 1e-4
        }
        #expect(found)
    }

    @Test func linePlotShadesTheAreaUnderACurve() throws {
        let plot = LinePlot(series: [.init(name: "deletion (AUC 0.31)", y: [1, 0.3, 0.1, 0], fillOpacity: 0.2)],
                            yRange: 0...1)
        #expect(try plot.svg().contains("fill-opacity=\"0.2\""))
        let img = try plot.render()
        let blue = RGB(hex: 0x1f77b4)
        // Just above the x axis, left part of the plot: 20 % blue over white.
        let tinted = (0..<(img.width * img.height)).contains { i in
            abs(img.pixels[3 * i] - (0.2 * blue.r + 0.8)) < 1e-4 && abs(img.pixels[3 * i + 2] - (0.2 * blue.b + 0.8)) < 1e-4
        }
        #expect(tinted)
    }

    @Test func linePlotDrawsEverySeries() throws {
        let plot = LinePlot(
            series: [.init(name: "deletion", y: [1, 0.5, 0.2]), .init(name: "insertion", y: [0, 0.6, 0.9])],
            title: "curves", yRange: 0...1)
        let svg = try plot.svg()
        #expect(svg.contains(">deletion</text>") && svg.contains(">insertion</text>"))
        let img = try plot.render()
        let orange = RGB(hex: 0xff7f0e)
        #expect(
            (0..<(img.width * img.height)).contains {
                abs(img.pixels[3 * $0] - orange.r) < 1e-4
                    && abs(img.pixels[3 * $0 + 1] - orange.g) < 1e-4 && abs(img.pixels[3 * $0 + 2] - orange.b) < 1e-4
            })
    }

    @Test func plotsSurviveDegenerateData() throws {
        let cases = [
            ScatterPlot(x: [], y: []),
            ScatterPlot(x: [.nan, 1, .infinity], y: [0, .nan, 2], labels: [0, -1, 99]),
            ScatterPlot(x: [3, 3, 3], y: [1, 1, 1], labels: [0, 1, 2], width: 60, height: 40),
        ]
        for plot in cases {
            let img = try plot.render()
            #expect(img.width == plot.width && img.height == plot.height)
            _ = try plot.svg()
        }
        let lines = LinePlot(series: [.init(name: "one point", y: [0.5]), .init(name: "", x: [], y: []),
                                      .init(name: "nan", y: [.nan, 1, .nan])])
        #expect(try lines.render().width == 640)
        let heat = HeatMap(height: 2, width: 2, values: [.nan, .nan, .nan, .nan])
        let fig = Figure(panels: [.heatmap(heat), .overlay(Image(height: 3, width: 3, channels: 1, fill: 0.5), heat)])
        #expect(try fig.render().height > 0)
    }

    @Test func ticksAreNice() {
        #expect(Ticks.nice(lo: 0, hi: 1).values == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        #expect(Ticks.nice(lo: -12.3, hi: 12.7).values == [-10, -5, 0, 5, 10])
        #expect(Ticks.nice(lo: 1e10, hi: 1e10 + 1e-6).values.count == 1, "no runaway loop below precision")
        #expect(Ticks.nice(lo: .nan, hi: 1).values.isEmpty)
        #expect(Ticks.label(-5, step: 5) == "\u{2212}5")
        #expect(Ticks.label(0.25, step: 0.25) == "0.25")
        #expect(Ticks.label(0.4, step: 0.2) == "0.4")
    }
}

@Suite struct ImagingLayoutTests {
    @Test func gridPlacesCellsWithPadding() throws {
        let a = Image(height: 10, width: 10, channels: 1, fill: 0)
        let b = Image(height: 10, width: 10, channels: 1, fill: 0.5)
        let grid = try ImageGrid(images: [a, b, a], columns: 2, padding: 4, minimumCell: 0).render()
        #expect(grid.width == 2 * 10 + 3 * 4 && grid.height == 2 * 10 + 3 * 4 && grid.channels == 1)
        #expect(grid[4, 4, 0] == 0 && grid[4, 18, 0] == 0.5 && grid[3, 4, 0] == 1 && grid[18, 4, 0] == 0)
        #expect(grid[20, 20, 0] == 1, "empty fourth cell is background")
    }

    @Test func gridEnlargesTinyImagesAndChecksTitles() throws {
        let tiny = Image(height: 28, width: 28, channels: 1, fill: 0)
        let grid = try ImageGrid(images: [tiny], padding: 0, minimumCell: 64).render()
        #expect(grid.width == 56)
        #expect(throws: ImageError.self) { try ImageGrid(images: [tiny, tiny], titles: ["one"]).render() }
        #expect(throws: ImageError.self) { try ImageGrid(images: []).render() }
        let titled = try ImageGrid(images: [tiny, tiny], titles: ["cat", "dog"]).render()
        #expect(titled.channels == 3 && titled.height > 56 + 8)
    }

    @Test func fittingKeepsSmallImagesCrisp() {
        let tiny = Image(height: 28, width: 28, channels: 1, fill: 0.5)
        #expect(tiny.fitted(maxWidth: 224, maxHeight: 224).width == 224)
        let photo = Image(height: 300, width: 451, channels: 3, fill: 0.5)
        let fit = photo.fitted(maxWidth: 224, maxHeight: 224)
        #expect(fit.width == 224 && fit.height == 149)
    }

    @Test func figureHasColourBarAndTitles() throws {
        let heat = HeatMap(height: 4, width: 4, values: (0..<16).map(Float.init))
        let fig = Figure(
            panels: [
                .image(Image(height: 32, width: 32, channels: 3, fill: 0.5), title: "input"),
                .heatmap(heat, map: .inferno, title: "saliency"),
            ], panelSize: 64, title: "Saliency")
        let svg = try fig.svg()
        #expect(svg.contains(">input</text>") && svg.contains(">saliency</text>") && svg.contains(">Saliency</text>"))
        #expect(svg.contains(">15</text>") || svg.contains(">14</text>"), "colour bar tick labels")
        let img = try fig.render()
        #expect(img.width == 2 * (64 + Figure.colorBarWidth) + 3 * 12)
        #expect(throws: ImageError.self) { try Figure(panels: []).render() }
    }
}

@Suite struct ImagingSampleTests {
    @Test func listsAndLoadsSkimageSamples() throws {
        guard (try? SampleImages.directory()) != nil else {
            #expect(throws: ImageError.self) { try SampleImages.load("chelsea") }
            return
        }
        let names = try SampleImages.names()
        for name in ["chelsea", "astronaut", "coffee", "rocket", "brick", "grass", "gravel", "hubble_deep_field"] {
            #expect(names.contains(name))
        }
        let chelsea = try ImageFiles.open("sample:chelsea")
        #expect(chelsea.height == 300 && chelsea.width == 451 && chelsea.channels == 3 && chelsea.name == "chelsea")
        #expect(try SampleImages.load("camera").channels == 1)
        do {
            _ = try SampleImages.load("chelsey")
            Issue.record("unknown sample loaded")
        } catch {
            #expect("\(error)".contains("no sample image named \"chelsey\"") && "\(error)".contains("chelsea"))
        }
    }

    @Test(arguments: [
        "logo.png", "horse.png", "green_palette.png", "camera.png", "astronaut.png",
        "hubble_deep_field.jpg", "checker_bilevel.png",
    ])
    func decodesSkimageFilesLikePIL(file: String) throws {
        let path = "/usr/lib/python3/dist-packages/skimage/data/" + file
        guard FileManager.default.fileExists(atPath: path) else { return }
        let ref = try #require(ImagingFixtures.reference.samples[file])
        let image = try ImageFiles.load(path: path)
        #expect([image.height, image.width, image.channels] == ref.shape)
        let isJPEG = file.hasSuffix(".jpg")
        let c = image.channels
        for ch in 0..<c {
            var sum = 0.0
            for i in 0..<image.pixelCount { sum += Double(image.pixels[i * c + ch]) }
            #expect(
                abs(sum / Double(image.pixelCount) - ref.mean[ch]) < (isJPEG ? 2e-3 : 1e-5), "mean of channel \(ch)")
        }
        for (k, point) in ImagingFixtures.samplePoints.enumerated() {
            let y = point.0 < 0 ? image.height - 1 : min(point.0, image.height - 1)
            let x = point.1 < 0 ? image.width - 1 : min(point.1, image.width - 1)
            for ch in 0..<c {
                #expect(abs(Double(image[y, x, ch]) - ref.pixels[k * c + ch]) < (isJPEG ? 2.0 / 255 : 1e-5))
            }
        }
    }

    @Test func skimageTruncatedJPEGIsRejected() throws {
        let path = "/usr/lib/python3/dist-packages/skimage/data/truncated.jpg"
        guard FileManager.default.fileExists(atPath: path) else { return }
        #expect(throws: ImageError.corrupt(codec: "JPEG", reason: "Premature end of JPEG file")) {
            try ImageFiles.load(path: path)
        }
        #expect(try !SampleImages.names().contains("truncated"), "the deliberately broken test file is not listed")
    }

    @Test func missingFileIsAnIOError() {
        #expect(throws: ImageError.io(path: "/nonexistent/x.png", reason: "no such file")) {
            try ImageFiles.open("/nonexistent/x.png")
        }
    }
}
