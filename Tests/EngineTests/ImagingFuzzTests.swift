import Foundation
import Testing

@testable import Engine

/// Mutated and truncated image files: every outcome is an `Image` with consistent size or an `ImageError`.
@Suite struct ImagingFuzzTests {
    static let files = [
        "rgb8.png", "palette_trns.png", "gray16.png", "rgba8.png", "chelsea_crop.jpg", "progressive.jpg",
        "gray.jpg", "cmyk.jpg",
    ]

    /// PNG header edits: IHDR fields (size, bit depth, colour type, interlace) rewritten with a valid CRC, so
    /// libpng gets past the checksum and must cope with the values; chunk lengths that lie.
    static let pngEdits: [FileFuzzing.Edit] = [
        { data, rng in  // width or height: huge, zero or 2^31
            let field = 16 + 4 * Int(rng.next() % 2)
            FileFuzzing.putBigEndian(FileFuzzing.nastySize(&rng), width: 4, at: field, in: &data)
            fixIHDRChecksum(&data)
        },
        { data, rng in  // bit depth, colour type, compression, filter, interlace
            guard data.count > 28 else { return }
            data[24 + Int(rng.next() % 5)] = UInt8(truncatingIfNeeded: rng.next() % 3 == 0 ? rng.next() : rng.next() % 17)
            fixIHDRChecksum(&data)
        },
        { data, rng in  // bytes inside one chunk changed and its CRC fixed, so libpng decodes them (IDAT, PLTE, tRNS…)
            var chunks: [(start: Int, length: Int)] = []
            var offset = 8
            while offset + 12 <= data.count {
                let length = data[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
                guard length <= data.count - offset - 12 else { break }
                chunks.append((offset, length))
                offset += 12 + length
            }
            guard let chunk = chunks.filter({ $0.length > 0 }).randomElement(using: &rng) else { return }
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                data[chunk.start + 8 + Int(rng.next() % UInt64(chunk.length))] = UInt8(truncatingIfNeeded: rng.next())
            }
            let crc = crc32(Array(data[(chunk.start + 4)..<(chunk.start + 8 + chunk.length)]))
            FileFuzzing.putBigEndian(UInt64(crc), width: 4, at: chunk.start + 8 + chunk.length, in: &data)
        },
        { data, rng in  // a chunk length that lies
            let chunks = FileFuzzing.offsets(of: Array("IDAT".utf8), in: data) + FileFuzzing.offsets(of: Array("PLTE".utf8), in: data)
            guard let type = chunks.randomElement(using: &rng) else { return }
            FileFuzzing.putBigEndian(FileFuzzing.nastySize(&rng), width: 4, at: type - 4, in: &data)
        },
    ]

    /// JPEG header edits: frame size and component count in SOF, segment lengths that lie.
    static let jpegEdits: [FileFuzzing.Edit] = [
        { data, rng in  // SOF0/SOF2 height or width (16 bits), component count
            let sofs = FileFuzzing.offsets(of: [0xFF, 0xC0], in: data) + FileFuzzing.offsets(of: [0xFF, 0xC2], in: data)
            guard let sof = sofs.randomElement(using: &rng) else { return }
            switch rng.next() % 3 {
            case 0: FileFuzzing.putBigEndian([0xFFFF, 0, 65000, 30000][Int(rng.next() % 4)], width: 2, at: sof + 5, in: &data)
            case 1: FileFuzzing.putBigEndian([0xFFFF, 0, 65000, 30000][Int(rng.next() % 4)], width: 2, at: sof + 7, in: &data)
            default: if sof + 9 < data.count { data[sof + 9] = UInt8(truncatingIfNeeded: rng.next()) }
            }
        },
        { data, rng in  // a segment length (DQT, DHT, SOS, APPn) that lies
            let markers = FileFuzzing.offsets(of: [0xFF, 0xDB], in: data) + FileFuzzing.offsets(of: [0xFF, 0xC4], in: data)
                + FileFuzzing.offsets(of: [0xFF, 0xDA], in: data) + FileFuzzing.offsets(of: [0xFF, 0xE0], in: data)
            guard let marker = markers.randomElement(using: &rng) else { return }
            FileFuzzing.putBigEndian(UInt64(truncatingIfNeeded: rng.next()) & 0xFFFF, width: 2, at: marker + 2, in: &data)
        },
    ]

    /// Recomputes the IHDR chunk's CRC (type and 13 data bytes at 12..<29) after an edit.
    static func fixIHDRChecksum(_ data: inout [UInt8]) {
        guard data.count >= 33 else { return }
        let crc = crc32(Array(data[12..<29]))
        FileFuzzing.putBigEndian(UInt64(crc), width: 4, at: 29, in: &data)
    }

    @Test(arguments: files)
    func mutationsNeverCrash(file: String) throws {
        let original = try ImagingFixtures.bytes(file)
        let isPNG = file.hasSuffix(".png")
        let tally = FileFuzzing.run(
            file, seeds: [original], cases: 400, seed: UInt64(file.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }),
            edits: isPNG ? Self.pngEdits : Self.jpegEdits,
            expected: { error in (error as? ImageError).map { Mirror(reflecting: $0).children.first?.label ?? "\($0)" } }
        ) { data in
            let image = try ImageFiles.decode(data, maxPixels: 1 << 18)
            #expect(image.pixels.count == image.height * image.width * image.channels)
            #expect(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
        #expect(tally.accepted + tally.rejected == tally.cases)
        #expect(tally.rejected > 0, "some mutations must be detected")
        #expect(tally.slowestSeconds < 5)
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

    /// A progressive JPEG whose frame header claims 65000 × 65000: refused from the header, before libjpeg's
    /// jpeg_start_decompress would allocate whole-image coefficient buffers (about 24 GB).
    @Test func forgedJPEGSizeIsRefusedBeforeLibjpegAllocates() throws {
        var jpeg = try ImagingFixtures.bytes("progressive.jpg")
        let sof = try #require(FileFuzzing.offsets(of: [0xFF, 0xC2], in: jpeg).first)
        FileFuzzing.putBigEndian(65000, width: 2, at: sof + 5, in: &jpeg)
        FileFuzzing.putBigEndian(65000, width: 2, at: sof + 7, in: &jpeg)
        let start = DispatchTime.now().uptimeNanoseconds
        #expect(throws: ImageError.tooLarge(codec: "JPEG", width: 65000, height: 65000, maxPixels: ImageLimits.defaultMaxPixels)) {
            try JPEGCodec.decode(jpeg)
        }
        // Before the header check this took 54 s (allocating and clearing the buffers) on the test machine.
        #expect(DispatchTime.now().uptimeNanoseconds - start < 1_000_000_000)
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
