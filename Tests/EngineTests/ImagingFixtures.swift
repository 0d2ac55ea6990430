import Foundation

@testable import Engine

/// The imaging fixtures (Fixtures/images, written by make_fixtures.py) and their reference values.
enum ImagingFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/images")

    struct Reference: Decodable {
        var shape: [Int]
        var pixels: [Double]
    }

    struct ColorMapReference: Decodable {
        var x: [Double]
        var rgb: [Double]
    }

    struct SampleSummary: Decodable {
        var shape: [Int]
        var mean: [Double]
        var pixels: [Double]
    }

    /// Where the summary's pixels were taken (clipped to the image), as in make_fixtures.py.
    static let samplePoints = [(0, 0), (5, 7), (100, 50), (150, 200), (-1, -1)]

    struct All: Decodable {
        var gray8, rgb8, rgba8, gray_alpha8, palette, palette_trns, gray16, rgb16, rgba16, gray1: Reference
        var chelsea_crop_jpg, gray_jpg, progressive_jpg, cmyk_jpg: Reference
        var resize: [String: Reference]
        var colormaps: [String: ColorMapReference]
        var samples: [String: SampleSummary]
    }

    static let reference: All = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("reference.json"))
        return try! JSONDecoder().decode(All.self, from: data)
    }()

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func image(_ name: String) throws -> Image {
        try ImageFiles.decode(bytes(name))
    }

    /// Largest absolute difference between an image and a reference (infinity when shapes differ).
    static func maxDifference(_ image: Image, _ ref: Reference) -> Double {
        guard [image.height, image.width, image.channels] == ref.shape, image.pixels.count == ref.pixels.count
        else { return .infinity }
        return zip(image.pixels, ref.pixels).map { abs(Double($0) - $1) }.max() ?? 0
    }
}
