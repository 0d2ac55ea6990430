import Testing

@testable import Engine

/// Mutated and truncated image files: every outcome is an `Image` with consistent size or an `ImageError`.
@Suite struct ImagingFuzzTests {
    static let files = [
        "rgb8.png", "palette_trns.png", "gray16.png", "rgba8.png", "chelsea_crop.jpg", "progressive.jpg",
        "gray.jpg", "cmyk.jpg",
    ]

    static func mutate(_ original: [UInt8], rng: inout SplitMix) -> [UInt8] {
        var data = original
        switch rng.next() % 5 {
        case 0:  // flip a few bytes
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                data[Int(rng.next() % UInt64(data.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            }
        case 1:  // truncate
            data = Array(data.prefix(Int(rng.next() % UInt64(data.count))))
        case 2:  // overwrite a run with random bytes
            let start = Int(rng.next() % UInt64(data.count))
            for i in start..<min(data.count, start + 1 + Int(rng.next() % 16)) {
                data[i] = UInt8(truncatingIfNeeded: rng.next())
            }
        case 3:  // insert garbage
            let at = Int(rng.next() % UInt64(data.count))
            data.insert(
                contentsOf: (0..<(1 + Int(rng.next() % 32))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        default:  // huge dimensions in the header (PNG IHDR width at 16, JPEG SOF somewhere)
            let at = min(16 + Int(rng.next() % 8), data.count - 1)
            data[at] = 0xFF
        }
        return data
    }

    @Test(arguments: files)
    func mutationsNeverCrash(file: String) throws {
        let original = try ImagingFixtures.bytes(file)
        var rng = SplitMix(seed: UInt64(file.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
        var decoded = 0
        var rejected = 0
        for _ in 0..<400 {
            let data = Self.mutate(original, rng: &rng)
            do {
                let image = try ImageFiles.decode(data, maxPixels: 1 << 20)
                #expect(image.pixels.count == image.height * image.width * image.channels)
                #expect(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
                decoded += 1
            } catch is ImageError {
                rejected += 1
            }
        }
        #expect(decoded + rejected == 400)
        #expect(rejected > 0, "some mutations must be detected")
    }

    @Test func pixelBudgetRefusesLargeImagesBeforeDecoding() throws {
        let png = try ImagingFixtures.bytes("resize_src.png")  // 9 × 13 = 117 pixels
        #expect(throws: ImageError.tooLarge(codec: "PNG", width: 13, height: 9, maxPixels: 100)) {
            try ImageFiles.decode(png, maxPixels: 100)
        }
        #expect(try ImageFiles.decode(png, maxPixels: 117).pixelCount == 117)
        let jpg = try ImagingFixtures.bytes("chelsea_crop.jpg")  // 32 × 24
        #expect(throws: ImageError.tooLarge(codec: "JPEG", width: 32, height: 24, maxPixels: 700)) {
            try ImageFiles.decode(jpg, maxPixels: 700)
        }
        // A forged PNG header (with a valid CRC) announcing 60000 × 60000 is refused by the default budget.
        var forged = try ImagingFixtures.bytes("gray8.png")
        forged.replaceSubrange(16..<24, with: [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60])
        let crc = Self.crc32(Array(forged[12..<29]))
        forged.replaceSubrange(29..<33, with: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> $0) })
        #expect(
            throws: ImageError.tooLarge(
                codec: "PNG", width: 60000, height: 60000, maxPixels: ImageLimits.defaultMaxPixels)
        ) {
            try PNGCodec.decode(forged)
        }
    }

    /// PNG's CRC-32 (polynomial 0xEDB88320) over chunk type and data.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
