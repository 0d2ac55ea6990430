import Testing

@testable import Engine

@Suite struct ImagingGeometryTests {
    @Test(arguments: ["bilinear", "area", "nearest"], ["4x5", "9x7", "20x30"])
    func resizeMatchesPIL(filter: String, size: String) throws {
        let source = try ImagingFixtures.image("resize_src.png")
        let ref = try #require(ImagingFixtures.reference.resize["\(filter)_\(size)"])
        let out = source.resized(
            height: ref.shape[0], width: ref.shape[1], filter: try #require(ResizeFilter(rawValue: filter)))
        #expect(ImagingFixtures.maxDifference(out, ref) < 1e-5)
    }

    @Test func chwRoundTrip() {
        let image = Image(height: 2, width: 3, channels: 3, pixels: (0..<18).map { Float($0) })
        let chw = image.chwData()
        #expect(chw[0..<6] == [0, 3, 6, 9, 12, 15])
        #expect(chw[6] == 1)
        #expect(Image(chw: chw, channels: 3, height: 2, width: 3) == image)
    }

    @Test func shorterSideAndCenterCropFollowTorchvision() {
        let image = Image(height: 300, width: 451, channels: 1, fill: 0.5)
        let resized = image.resized(shorterSide: 256)
        #expect(resized.height == 256 && resized.width == 384)  // int(256 * 451 / 300) = 384
        let grid = Image(height: 5, width: 6, channels: 1, pixels: (0..<30).map { Float($0) })
        let crop = grid.centerCropped(height: 3, width: 3)
        // top = round(2 / 2) = 1, left = round(3 / 2) = 2 (banker's rounding, as Python's round)
        #expect(crop.pixels == [8, 9, 10, 14, 15, 16, 20, 21, 22])
        let bigger = grid.centerCropped(height: 7, width: 6)
        #expect(
            bigger.height == 7 && bigger.pixels[0..<6] == [0, 0, 0, 0, 0, 0] && bigger.pixels[6] == 0
                && bigger.pixels[7] == 1)
    }

    @Test func padSurroundsWithFill() {
        let image = Image(height: 1, width: 1, channels: 3, pixels: [0.2, 0.4, 0.6])
        let p = image.padded(top: 1, bottom: 0, left: 0, right: 1, fill: 1)
        #expect(p.height == 2 && p.width == 2)
        #expect(p.pixels == [1, 1, 1, 1, 1, 1, 0.2, 0.4, 0.6, 1, 1, 1])
    }

    @Test func conversionsBetweenGrayAndRGB() {
        let rgb = Image(height: 1, width: 1, channels: 3, pixels: [1, 0, 0])
        #expect(abs(rgb.toGray().pixels[0] - 0.299) < 1e-6)
        #expect(Image(height: 1, width: 1, channels: 1, pixels: [0.5]).toRGB().pixels == [0.5, 0.5, 0.5])
    }
}

@Suite struct ImagingCompositionTests {
    @Test func normalisationForDisplay() {
        let img = Image(height: 1, width: 3, channels: 1, pixels: [-2, 0, 6])
        #expect(img.normalizedForDisplay().pixels == [0, 0.25, 1])
        #expect(img.normalizedForDisplay(symmetric: true).pixels == [(-2 + 6) / 12, 0.5, 1])
        #expect(Image(height: 1, width: 2, channels: 1, pixels: [3, 3]).normalizedForDisplay().pixels == [0.5, 0.5])
        #expect(img.rescaled(from: 0...4).pixels == [0, 0, 1])
    }

    @Test func mosaicPlacesTilesInCells() {
        let dark = Image(height: 2, width: 2, channels: 1, fill: 0)
        let red = Image(
            height: 2, width: 2, channels: 3,
            pixels: [Float](repeating: 0, count: 12).enumerated().map { $0.offset % 3 == 0 ? 1 : 0 })
        let m = Image.mosaic(
            tiles: [(0, 1, dark), (1, 0, red), (5, 5, dark)], rows: 2, columns: 2, cellHeight: 2, cellWidth: 2)
        #expect(m.height == 4 && m.width == 4 && m.channels == 3)
        #expect(m[0, 0, 0] == 1 && m[0, 2, 0] == 0 && m[2, 0, 0] == 1 && m[2, 0, 1] == 0 && m[3, 3, 1] == 1)
    }
}
