/// Images side by side in rows and columns with padding and optional titles (one per image) — the
/// `grid(list, [cols], [titles])` of the notebook language and the Dataset preview.
public struct ImageGrid: Sendable {
    public var images: [Image]
    /// nil: ⌈√n⌉ columns.
    public var columns: Int?
    public var titles: [String]?
    /// Pixels between cells and around the grid.
    public var padding: Int
    /// Images whose larger side is below this are enlarged by a whole factor (nearest) for legibility.
    public var minimumCell: Int
    public var background: RGB

    public init(
        images: [Image], columns: Int? = nil, titles: [String]? = nil, padding: Int = 4,
        minimumCell: Int = 96, background: RGB = .white
    ) {
        self.images = images
        self.columns = columns
        self.titles = titles
        self.padding = padding
        self.minimumCell = minimumCell
        self.background = background
    }

    public static let titleSize = 12

    public func drawing() throws -> Drawing {
        guard !images.isEmpty else { throw ImageError.invalidArgument("grid needs at least one image") }
        if let titles, titles.count != images.count {
            throw ImageError.invalidArgument("grid has \(images.count) images but \(titles.count) titles")
        }
        if let columns, columns < 1 {
            throw ImageError.invalidArgument("grid columns must be at least 1, got \(columns)")
        }
        let n = images.count
        let cols = min(columns ?? Int(Double(n).squareRoot().rounded(.up)), n)
        let rows = (n + cols - 1) / cols
        let shown = images.map { $0.enlargedForDisplay(minimumSide: minimumCell) }
        let cellW = shown.map(\.width).max() ?? 1
        let cellH = shown.map(\.height).max() ?? 1
        let hasTitles = titles?.contains { !$0.isEmpty } ?? false
        let titleH = hasTitles ? Self.titleSize + 6 : 0
        let width = cols * cellW + (cols + 1) * padding
        let height = rows * (cellH + titleH) + (rows + 1) * padding
        var d = Drawing(width: max(width, 1), height: max(height, 1), background: background)
        for (i, img) in shown.enumerated() {
            let r = i / cols
            let c = i % cols
            let x0 = padding + c * (cellW + padding)
            let y0 = padding + r * (cellH + titleH + padding)
            if hasTitles, let title = titles?[i], !title.isEmpty {
                d.add(
                    .text(
                        fitText(title, maxWidth: Double(cellW + padding), size: Self.titleSize),
                        x: Double(x0) + Double(cellW) / 2, y: Double(y0 + Self.titleSize),
                        size: Self.titleSize, color: .black, anchor: .middle))
            }
            d.add(.image(img, x: x0 + (cellW - img.width) / 2, y: y0 + titleH + (cellH - img.height) / 2))
        }
        return d
    }

    /// The grid as one RGB image (gray when every image is gray and there are no titles).
    public func render() throws -> Image {
        let rgb = try drawing().raster()
        let allGray = images.allSatisfy { $0.channels == 1 } && !(titles?.contains { !$0.isEmpty } ?? false)
        return allGray && background.r == background.g && background.g == background.b ? rgb.toGray() : rgb
    }
}
