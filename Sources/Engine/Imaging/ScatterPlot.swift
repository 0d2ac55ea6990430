/// A 2-D scatter plot of labelled points (PCA / t-SNE embeddings), coloured by class with tab10/tab20,
/// with axes and a legend of class names; rendered to PNG (anti-aliased discs) and SVG (real text).
public struct ScatterPlot: Sendable {
    public var x: [Double]
    public var y: [Double]
    /// Class index per point (nil: every point one colour, no legend).
    public var labels: [Int]?
    /// Names shown in the legend for class indices 0…; missing names show the index.
    public var classNames: [String]
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    public var width: Int
    public var height: Int

    public init(
        x: [Double], y: [Double], labels: [Int]? = nil, classNames: [String] = [], title: String? = nil,
        xLabel: String? = nil, yLabel: String? = nil, width: Int = 640, height: Int = 480
    ) {
        precondition(x.count == y.count, "scatter needs as many x as y values")
        precondition(labels == nil || labels!.count == x.count, "scatter needs one label per point")
        self.x = x
        self.y = y
        self.labels = labels
        self.classNames = classNames
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.width = width
        self.height = height
    }

    /// From an N×2 row-major buffer (an embedding).
    public init(points: [Float], labels: [Int]? = nil, classNames: [String] = [], title: String? = nil) {
        precondition(points.count % 2 == 0, "points must be N×2")
        let n = points.count / 2
        self.init(
            x: (0..<n).map { Double(points[2 * $0]) }, y: (0..<n).map { Double(points[2 * $0 + 1]) },
            labels: labels, classNames: classNames, title: title)
    }

    /// Class indices that appear in the legend, in order.
    var legendClasses: [Int] {
        guard let labels else { return [] }
        return Array(Set(labels)).sorted()
    }

    func name(ofClass c: Int) -> String { c >= 0 && c < classNames.count ? classNames[c] : "\(c)" }

    public func drawing() -> Drawing { drawing(width: width, height: height) }

    /// The plot laid out in a `width × height` box.
    func drawing(width: Int, height: Int) -> Drawing {
        var d = Drawing(width: width, height: height)
        let classes = legendClasses
        let classCount = max((classes.max() ?? -1) + 1, classNames.count)
        let legendSize = 12
        let legendWidth =
            classes.isEmpty
            ? 0.0
            : (classes.map { textWidth(name(ofClass: $0), size: legendSize) }.max() ?? 0) + 34
        let top = title == nil ? 16.0 : 34.0
        let frame = PlotFrame(
            x: 52, y: top + (yLabel == nil ? 0 : 14),
            width: max(Double(width) - 52 - 16 - legendWidth, 10),
            height: max(Double(height) - top - (yLabel == nil ? 0 : 14) - (xLabel == nil ? 30 : 46), 10),
            xRange: PlotFrame.paddedRange(x), yRange: PlotFrame.paddedRange(y))
        frame.drawAxes(into: &d, xLabel: xLabel, yLabel: yLabel, title: title)
        let n = x.count
        let radius = n <= 500 ? 3.5 : n <= 5000 ? 2.5 : 1.8
        for i in 0..<n where x[i].isFinite && y[i].isFinite {
            let color = labels.map { Palette.color($0[i], of: classCount) } ?? Palette.tab10[0]
            d.add(.disc(x: frame.px(x[i]), y: frame.py(y[i]), radius: radius, fill: color, opacity: 0.8))
        }
        if !classes.isEmpty {
            let lx = frame.x + frame.width + 16
            var ly = frame.y + 4
            for c in classes {
                d.add(.disc(x: lx + 6, y: ly + 6, radius: 5, fill: Palette.color(c, of: classCount), opacity: 1))
                d.add(.text(name(ofClass: c), x: lx + 18, y: ly + 10, size: legendSize, color: .black, anchor: .start))
                ly += 18
            }
        }
        return d
    }

    public func render() throws -> Image { try drawing().raster() }
    public func png() throws -> [UInt8] { try drawing().png() }
    public func svg() throws -> String { try drawing().svg() }
}
