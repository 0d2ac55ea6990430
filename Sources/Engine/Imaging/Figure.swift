/// Several panels in a grid — images, heat maps, heat-map overlays, scatter and line plots — each with an
/// optional title (several lines split on "\n") and, for heat maps, a colour bar with tick labels.
/// What the visualization verbs return; rendered to PNG and to SVG.
public struct Figure: Sendable {
    public struct Panel: Sendable {
        public enum Content: Sendable {
            case image(Image)
            /// Values coloured by the map; `range` nil fits the data (symmetric for diverging maps).
            case heatmap(HeatMap, map: ColorMap, range: ClosedRange<Float>?)
            /// The heat map resized onto the image and blended with `alpha`.
            case overlay(Image, HeatMap, map: ColorMap, alpha: Float, range: ClosedRange<Float>?)
            case scatter(ScatterPlot)
            case line(LinePlot)
        }
        public var content: Content
        public var title: String?
        /// Draw a colour bar beside heat maps and overlays.
        public var colorBar: Bool

        public init(_ content: Content, title: String? = nil, colorBar: Bool = false) {
            self.content = content
            self.title = title
            self.colorBar = colorBar
        }

        public static func image(_ image: Image, title: String? = nil) -> Panel { Panel(.image(image), title: title) }
        public static func heatmap(
            _ heat: HeatMap, map: ColorMap = .viridis, range: ClosedRange<Float>? = nil,
            title: String? = nil, colorBar: Bool = true
        ) -> Panel {
            Panel(.heatmap(heat, map: map, range: range), title: title, colorBar: colorBar)
        }
        public static func overlay(
            _ image: Image, _ heat: HeatMap, map: ColorMap = .jet, alpha: Float = 0.5,
            range: ClosedRange<Float>? = nil, title: String? = nil,
            colorBar: Bool = false
        ) -> Panel {
            Panel(.overlay(image, heat, map: map, alpha: alpha, range: range), title: title, colorBar: colorBar)
        }

        public static func scatter(_ plot: ScatterPlot, title: String? = nil) -> Panel {
            Panel(.scatter(plot), title: title)
        }
        public static func line(_ plot: LinePlot, title: String? = nil) -> Panel { Panel(.line(plot), title: title) }

        var heatRange: (ColorMap, ClosedRange<Float>)? {
            switch content {
            case .heatmap(let h, let map, let range), .overlay(_, let h, let map, _, let range):
                return (map, range ?? h.autoRange(symmetric: map.isDiverging))
            default: return nil
            }
        }
    }

    public var panels: [Panel]
    /// nil: all panels in one row up to 4, then rows of 4.
    public var columns: Int?
    /// The square area each panel's picture fits in.
    public var panelSize: Int
    public var title: String?
    /// One colour bar for the whole figure, at its right (e.g. activation maps on a shared scale).
    public var sharedColorBar: (map: ColorMap, range: ClosedRange<Float>)?

    public init(
        panels: [Panel], columns: Int? = nil, panelSize: Int = 224, title: String? = nil,
        sharedColorBar: (map: ColorMap, range: ClosedRange<Float>)? = nil
    ) {
        self.panels = panels
        self.columns = columns
        self.panelSize = panelSize
        self.title = title
        self.sharedColorBar = sharedColorBar
    }

    static let titleSize = 13
    static let lineHeight = 17
    static let colorBarWidth = 64

    public func drawing() throws -> Drawing {
        guard !panels.isEmpty else { throw ImageError.invalidArgument("a figure needs at least one panel") }
        guard panelSize >= 16 else { throw ImageError.invalidArgument("panel size must be at least 16") }
        if let columns, columns < 1 { throw ImageError.invalidArgument("figure columns must be at least 1") }
        let cols = min(columns ?? min(panels.count, 4), panels.count)
        let rows = (panels.count + cols - 1) / cols
        let titleLines =
            panels.map { $0.title?.split(separator: "\n", omittingEmptySubsequences: false).count ?? 0 }.max() ?? 0
        let titleH = titleLines * Self.lineHeight + (titleLines > 0 ? 4 : 0)
        let barW = panels.contains { $0.colorBar && $0.heatRange != nil } ? Self.colorBarWidth : 0
        let gap = 12
        let cellW = panelSize + barW
        // Pictures are fitted first so each row is only as tall as its tallest picture (plots take panelSize).
        let pictures: [Image?] = panels.map { panel in
            switch panel.content {
            case .image(let img): return img.fitted(maxWidth: panelSize, maxHeight: panelSize)
            case .heatmap(let h, let map, let range):
                return h.colored(map, range: range).fitted(maxWidth: panelSize, maxHeight: panelSize)
            case .overlay(let img, let h, let map, let alpha, let range):
                return img.overlaid(with: h, map: map, alpha: alpha, range: range)
                    .fitted(maxWidth: panelSize, maxHeight: panelSize)
            case .scatter, .line: return nil
            }
        }
        let rowHeights = (0..<rows).map { r in
            (r * cols..<min((r + 1) * cols, panels.count)).map { pictures[$0]?.height ?? panelSize }.max() ?? panelSize
        }
        let headH = title == nil ? 0 : 28
        let gridWidth = cols * cellW + (cols + 1) * gap
        let width = gridWidth + (sharedColorBar == nil ? 0 : Self.colorBarWidth)
        let height = headH + rowHeights.reduce(0, +) + rows * titleH + (rows + 1) * gap
        var d = Drawing(width: width, height: height)
        if let title {
            d.add(.text(title, x: Double(width) / 2, y: 22, size: 16, color: .black, anchor: .middle))
        }
        var rowTop = headH + gap
        for r in 0..<rows {
            for i in (r * cols)..<min((r + 1) * cols, panels.count) {
                let panel = panels[i]
                let x0 = gap + (i % cols) * (cellW + gap)
                if let t = panel.title {
                    let lines = t.split(separator: "\n", omittingEmptySubsequences: false)
                    let first = titleLines - lines.count  // bottom-align titles so they sit on the picture
                    for (k, line) in lines.enumerated() {
                        d.add(
                            .text(
                                fitText(String(line), maxWidth: Double(panelSize + gap), size: Self.titleSize),
                                x: Double(x0 + panelSize / 2),
                                y: Double(rowTop + (first + k + 1) * Self.lineHeight - 4),
                                size: Self.titleSize, color: .black, anchor: .middle))
                    }
                }
                let top = rowTop + titleH
                switch panel.content {
                case .scatter(let plot):
                    d.add(plot.drawing(width: panelSize, height: panelSize), dx: Double(x0), dy: Double(top))
                case .line(let plot):
                    d.add(plot.drawing(width: panelSize, height: panelSize), dx: Double(x0), dy: Double(top))
                default: break
                }
                guard let shown = pictures[i] else { continue }
                let px = x0 + (panelSize - shown.width) / 2
                d.add(.image(shown, x: px, y: top))
                if panel.colorBar, let (map, range) = panel.heatRange {
                    addColorBar(to: &d, map: map, range: range, x: x0 + panelSize + 8, y: top, height: shown.height)
                }
            }
            rowTop += titleH + rowHeights[r] + gap
        }
        if let bar = sharedColorBar {
            let top = headH + gap + titleH
            addColorBar(
                to: &d, map: bar.map, range: bar.range, x: gridWidth - gap + 8, y: top,
                height: max(rowTop - gap - top, 2))
        }
        return d
    }

    /// A vertical bar (high values on top) with nice ticks labelled to its right.
    private func addColorBar(to d: inout Drawing, map: ColorMap, range: ClosedRange<Float>, x: Int, y: Int, height: Int)
    {
        guard height >= 2 else { return }
        let barWidth = 12
        var pixels = [Float]()
        pixels.reserveCapacity(height * barWidth * 3)
        for row in 0..<height {
            let c = map.color((Double(height - 1 - row) + 0.5) / Double(height))
            for _ in 0..<barWidth { pixels += [c.r, c.g, c.b] }
        }
        d.add(.image(Image(height: height, width: barWidth, channels: 3, pixels: pixels), x: x, y: y))
        let ink = RGB(hex: 0x333333)
        d.add(
            .rect(x: Double(x), y: Double(y), width: Double(barWidth), height: Double(height), fill: nil, stroke: ink))
        let lo = Double(range.lowerBound)
        let hi = Double(range.upperBound)
        let ticks = Ticks.nice(lo: lo, hi: hi, target: 5)
        for v in ticks.values where hi > lo {
            let ty = (Double(y) + Double(height - 1) * (hi - v) / (hi - lo)).rounded() + 0.5
            d.add(
                .polyline(points: [(Double(x + barWidth), ty), (Double(x + barWidth + 3), ty)], color: ink, width: 1))
            d.add(
                .text(
                    Ticks.label(v, step: ticks.step), x: Double(x + barWidth + 5), y: ty + 4, size: 10,
                    color: ink, anchor: .start))
        }
    }

    public func render() throws -> Image { try drawing().raster() }
    public func png() throws -> [UInt8] { try drawing().png() }
    public func svg() throws -> String { try drawing().svg() }
}
