/// Curves on shared axes: deletion/insertion curves, loss and accuracy per epoch. PNG and SVG.
public struct LinePlot: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        /// nil: the next tab10 colour.
        public var color: RGB?
        /// Opacity of the area between the curve and the bottom of the axes (0: no fill); shows an AUC.
        public var fillOpacity: Double
        public init(name: String, x: [Double], y: [Double], color: RGB? = nil, fillOpacity: Double = 0) {
            precondition(x.count == y.count, "series \(name) needs as many x as y values")
            self.name = name
            self.x = x
            self.y = y
            self.color = color
            self.fillOpacity = fillOpacity
        }
        /// y against 0, 1, 2, …
        public init(name: String, y: [Double], color: RGB? = nil, fillOpacity: Double = 0) {
            self.init(name: name, x: y.indices.map(Double.init), y: y, color: color, fillOpacity: fillOpacity)
        }
    }

    public var series: [Series]
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    /// Fixed y range (e.g. 0…1 for probabilities); nil fits the data.
    public var yRange: ClosedRange<Double>?
    public var width: Int
    public var height: Int

    public init(
        series: [Series], title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
        yRange: ClosedRange<Double>? = nil, width: Int = 640, height: Int = 400
    ) {
        self.series = series
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.yRange = yRange
        self.width = width
        self.height = height
    }

    public func drawing() -> Drawing { drawing(width: width, height: height) }

    func drawing(width: Int, height: Int) -> Drawing {
        var d = Drawing(width: width, height: height)
        let allX = series.flatMap(\.x)
        let allY = series.flatMap(\.y)
        let xr = PlotFrame.paddedRange(allX, margin: 0.02)
        let top = (title == nil ? 16.0 : 34.0) + (yLabel == nil ? 0 : 14)
        let frame = PlotFrame(
            x: 56, y: top, width: max(Double(width) - 56 - 20, 10),
            height: max(Double(height) - top - (xLabel == nil ? 30 : 46), 10),
            xRange: xr, yRange: yRange ?? PlotFrame.paddedRange(allY))
        frame.drawAxes(into: &d, xLabel: xLabel, yLabel: yLabel, title: title)
        for (i, s) in series.enumerated() {
            let color = s.color ?? Palette.tab10[i % 10]
            let points = zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite }.map {
                (frame.px($0.0), frame.py($0.1))
            }
            if s.fillOpacity > 0, let first = points.first, let last = points.last {
                let base = frame.y + frame.height
                d.add(.polygon(points: [(first.0, base)] + points + [(last.0, base)], fill: color,
                               opacity: min(s.fillOpacity, 1)))
            }
            d.add(.polyline(points: points, color: color, width: 2))
        }
        let named = series.enumerated().filter { !$0.element.name.isEmpty }
        if !named.isEmpty {
            let w = (named.map { textWidth($0.element.name, size: 12) }.max() ?? 0) + 42
            let h = Double(named.count) * 18 + 8
            let lx = frame.x + frame.width - w - 8
            let ly = frame.y + 8
            d.add(.rect(x: lx, y: ly, width: w, height: h, fill: .white, stroke: RGB(hex: 0xCCCCCC)))
            for (row, (i, s)) in named.enumerated() {
                let yy = ly + 4 + Double(row) * 18 + 9
                let color = s.color ?? Palette.tab10[i % 10]
                d.add(.polyline(points: [(lx + 8, yy), (lx + 28, yy)], color: color, width: 2))
                d.add(.text(s.name, x: lx + 34, y: yy + 4, size: 12, color: .black, anchor: .start))
            }
        }
        return d
    }

    public func render() throws -> Image { try drawing().raster() }
    public func png() throws -> [UInt8] { try drawing().png() }
    public func svg() throws -> String { try drawing().svg() }
}
