extension Image {
    /// Values mapped linearly from `range` onto [0, 1] and clamped: shows signed data (gradients, filters,
    /// a fooling image's magnified difference) as a picture.
    public func rescaled(from range: ClosedRange<Float>) -> Image {
        let lo = range.lowerBound
        let span = range.upperBound - range.lowerBound
        var copy = self
        copy.pixels = pixels.map { v in
            guard v.isFinite else { return 0 }
            return span > 0 ? min(max((v - lo) / span, 0), 1) : 0.5
        }
        return copy
    }

    /// Min–max normalised to [0, 1] over all channels (a constant image becomes 0.5), as CS231n shows filters.
    /// With `symmetric`, 0 maps to 0.5 and the largest |value| to 0 or 1, keeping the sign readable.
    public func normalizedForDisplay(symmetric: Bool = false) -> Image {
        let finite = pixels.filter { $0.isFinite }
        guard let lo = finite.min(), let hi = finite.max() else { return rescaled(from: 0...1) }
        if symmetric {
            let m = max(abs(lo), abs(hi))
            return rescaled(from: m > 0 ? -m...m : -1...1)
        }
        return rescaled(from: lo < hi ? lo...hi : lo...lo)
    }

    /// Tiles pasted at (row, column) cells of a `rows × columns` board of `cellHeight × cellWidth` cells
    /// (a t-SNE grid); empty cells keep `background`. Each tile is centred in its cell and clipped to it;
    /// tiles outside the board are ignored. The result is RGB if any tile is, else gray.
    public static func mosaic(
        tiles: [(row: Int, column: Int, image: Image)], rows: Int, columns: Int,
        cellHeight: Int, cellWidth: Int, background: Float = 1
    ) -> Image {
        precondition(rows >= 1 && columns >= 1 && cellHeight >= 1 && cellWidth >= 1, "mosaic needs a non-empty board")
        let channels = tiles.contains { $0.image.channels == 3 } ? 3 : 1
        var board = Image(height: rows * cellHeight, width: columns * cellWidth, channels: channels, fill: background)
        for tile in tiles where tile.row >= 0 && tile.row < rows && tile.column >= 0 && tile.column < columns {
            let img = channels == 3 ? tile.image.toRGB() : tile.image
            let top = tile.row * cellHeight + (cellHeight - img.height) / 2
            let left = tile.column * cellWidth + (cellWidth - img.width) / 2
            for y in 0..<img.height {
                let by = top + y
                guard by >= tile.row * cellHeight, by < (tile.row + 1) * cellHeight else { continue }
                for x in 0..<img.width {
                    let bx = left + x
                    guard bx >= tile.column * cellWidth, bx < (tile.column + 1) * cellWidth else { continue }
                    for c in 0..<channels { board[by, bx, c] = img[y, x, c] }
                }
            }
        }
        return board
    }
}
