import Foundation
import Testing

@testable import Engine

@Suite struct ImagingPNGTests {
    @Test(arguments: ["gray8", "rgb8"])
    func decodesEightBitExactly(name: String) throws {
        let ref = name == "gray8" ? ImagingFixtures.reference.gray8 : ImagingFixtures.reference.rgb8
        let image = try ImagingFixtures.image("\(name).png")
        #expect(ImagingFixtures.maxDifference(image, ref) < 1e-6)
    }

    @Test(arguments: [1, 3])
    func roundTripIsBitExact(channels: Int) throws {
        var rng = SplitMix(seed: 7)
        let bytes = (0..<(17 * 23 * channels)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let image = Image(bytes: bytes, height: 17, width: 23, channels: channels)
        let png = try PNGCodec.encode(image)
        let back = try PNGCodec.decode(png)
        #expect(back.height == 17 && back.width == 23 && back.channels == channels)
        #expect(back.bytes() == bytes)
        #expect(back.pixels == image.pixels)
        #expect(try PNGCodec.encode(back) == png, "encoding is deterministic")
    }

    @Test func ignoresGammaChunksLikePIL() throws {
        // gray8_gamma1.png holds gray8's samples with gAMA 1.0; colour management would brighten them.
        let plain = try ImagingFixtures.image("gray8.png")
        let withGamma = try ImagingFixtures.image("gray8_gamma1.png")
        #expect(withGamma.pixels == plain.pixels)
    }

    @Test func roundTripsTheFixturesFileBytes() throws {
        for name in ["gray8", "rgb8"] {
            let image = try ImagingFixtures.image("\(name).png")
            #expect(try PNGCodec.decode(PNGCodec.encode(image)) == image)
        }
    }

    @Test(arguments: ["rgba8", "gray_alpha8", "palette", "palette_trns", "gray16", "rgb16", "rgba16", "gray1"])
    func decodesOtherLayouts(name: String) throws {
        let r = ImagingFixtures.reference
        let table: [String: ImagingFixtures.Reference] = [
            "rgba8": r.rgba8, "gray_alpha8": r.gray_alpha8, "palette": r.palette, "palette_trns": r.palette_trns,
            "gray16": r.gray16, "rgb16": r.rgb16, "rgba16": r.rgba16, "gray1": r.gray1,
        ]
        let image = try ImagingFixtures.image("\(name).png")
        let ref = try #require(table[name])
        #expect([image.height, image.width, image.channels] == ref.shape)
        // Alpha compositing is done in float here and in float64 by the oracle; 16-bit values are exact.
        #expect(ImagingFixtures.maxDifference(image, ref) < 1e-5)
    }

    @Test func truncatedPNGIsATypedError() throws {
        let png = try ImagingFixtures.bytes("rgb8.png")
        for cut in [8, 20, 33, png.count - 30, png.count - 13, png.count - 1] {
            #expect(throws: ImageError.self, "cut at \(cut) of \(png.count)") {
                try ImageFiles.decode(Array(png.prefix(cut)))
            }
        }
    }

    @Test func truncationAfterPixelDataIsNamed() throws {
        let png = try ImagingFixtures.bytes("rgb8.png")
        #expect(throws: ImageError.corrupt(codec: "PNG", reason: "truncated file: no IEND chunk")) {
            try PNGCodec.decode(Array(png.prefix(png.count - 12)))
        }
    }

    @Test func corruptPNGReportsLibpngMessage() throws {
        var png = try ImagingFixtures.bytes("rgb8.png")
        png[40] ^= 0xFF  // inside IDAT: CRC mismatch
        do {
            _ = try ImageFiles.decode(png)
            Issue.record("corrupt PNG decoded")
        } catch let error as ImageError {
            guard case .corrupt(let codec, let reason) = error else {
                Issue.record("wrong case \(error)")
                return
            }
            #expect(codec == "PNG")
            #expect(!reason.isEmpty)
        }
    }

    @Test func unknownBytesAreRejectedByMagic() {
        #expect(throws: ImageError.unknownFormat("empty data")) { try ImageFiles.decode([]) }
        do {
            _ = try ImageFiles.decode(Array("GIF89a...".utf8))
            Issue.record("GIF accepted")
        } catch {
            #expect("\(error)".contains("47 49 46 38"))
        }
    }

    @Test func encoderRejectsInconsistentBuffers() {
        #expect(throws: ImageError.self) { try PNGCodec.encode(bytes: [1, 2, 3], width: 2, height: 1, channels: 3) }
        #expect(throws: ImageError.self) { try PNGCodec.encode(bytes: [1, 2], width: 1, height: 1, channels: 2) }
        #expect(throws: ImageError.self) { try PNGCodec.encode(Image(height: 0, width: 5, channels: 1, fill: 0)) }
    }

    @Test func rgbaEncodingKeepsAlpha() throws {
        let rgba: [UInt8] = [255, 0, 0, 0, 0, 255, 0, 255]
        let png = try PNGCodec.encodeRGBA(rgba, width: 2, height: 1)
        let image = try PNGCodec.decode(png)
        // Transparent red becomes white; opaque green stays green.
        #expect(image.bytes() == [255, 255, 255, 0, 255, 0])
    }
}

@Suite struct ImagingJPEGTests {
    @Test func decodesLikePIL() throws {
        let image = try ImagingFixtures.image("chelsea_crop.jpg")
        let ref = ImagingFixtures.reference.chelsea_crop_jpg
        #expect([image.height, image.width, image.channels] == ref.shape)
        // Both use libjpeg-turbo's default (islow) IDCT; allow one level for upsampling differences.
        #expect(ImagingFixtures.maxDifference(image, ref) <= 1.0 / 255 + 1e-6)
    }

    @Test func decodesProgressiveJPEG() throws {
        let image = try ImagingFixtures.image("progressive.jpg")
        #expect(ImagingFixtures.maxDifference(image, ImagingFixtures.reference.progressive_jpg) <= 1.0 / 255 + 1e-6)
    }

    @Test func decodesCMYKJPEGLikePIL() throws {
        // libjpeg cannot make RGB of CMYK; the shim converts Adobe-inverted CMYK with PIL's formula and rounding.
        let image = try ImagingFixtures.image("cmyk.jpg")
        #expect(image.channels == 3)
        #expect(ImagingFixtures.maxDifference(image, ImagingFixtures.reference.cmyk_jpg) <= 1.0 / 255 + 1e-6)
    }

    @Test func decodesGrayJPEG() throws {
        let image = try ImagingFixtures.image("gray.jpg")
        let ref = ImagingFixtures.reference.gray_jpg
        #expect(image.channels == 1)
        #expect(ImagingFixtures.maxDifference(image, ref) <= 1.0 / 255 + 1e-6)
    }

    @Test func truncatedJPEGIsATypedError() throws {
        let jpg = try ImagingFixtures.bytes("chelsea_crop.jpg")
        for cut in [3, 10, 100, jpg.count / 2, jpg.count - 2] {
            do {
                _ = try ImageFiles.decode(Array(jpg.prefix(cut)))
                Issue.record("truncated JPEG (\(cut) bytes) decoded")
            } catch let error as ImageError {
                guard case .corrupt(let codec, _) = error else {
                    Issue.record("wrong case \(error)")
                    continue
                }
                #expect(codec == "JPEG")
            }
        }
    }

    @Test func garbageAfterSignatureIsATypedError() {
        let bytes: [UInt8] = [0xFF, 0xD8, 0xFF] + (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        #expect(throws: ImageError.self) { try ImageFiles.decode(bytes) }
    }

    @Test func skimageHubbleJPEGDecodes() throws {
        let path = "/usr/lib/python3/dist-packages/skimage/data/hubble_deep_field.jpg"
        guard FileManager.default.fileExists(atPath: path) else { return }
        let image = try ImageFiles.load(path: path)
        #expect(image.channels == 3 && image.height == 872 && image.width == 1000)
        #expect(image.name == "hubble_deep_field")
    }
}

/// A tiny deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
