import CPNG

/// PNG through libpng's simplified API (`png_image_*`), which reports errors in `png_image.message`
/// instead of longjmp-ing, so no C error trampoline is needed.
///
/// Decoding accepts every PNG colour type and bit depth libpng reads: gray, gray+alpha, RGB, RGBA,
/// palette (with or without tRNS transparency), 1/2/4/8/16 bits. The result has 1 channel for gray
/// files and 3 for colour or palette files. Transparency is composited onto white (`c·a + 1·(1−a)`),
/// since an `Image` has no alpha channel and notebook backgrounds are white.
/// Samples come back as stored, like PIL, imageio and torchvision: 8-bit as sample / 255 (so 8-bit round trips
/// are bit-exact), 16-bit at full precision as sample / 65535; gamma and colour-profile chunks are ignored.
public enum PNGCodec {
    /// The 8-byte PNG signature.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Decodes PNG bytes. Throws `ImageError.corrupt` for anything libpng rejects (bad CRC, truncation…) and
    /// `ImageError.tooLarge` when the header announces more than `maxPixels` pixels.
    public static func decode(_ data: [UInt8], maxPixels: Int = ImageLimits.maxPixels) throws -> Image {
        guard data.count >= 8, Array(data[0..<8]) == signature else {
            throw ImageError.corrupt(codec: "PNG", reason: "missing PNG signature")
        }
        let cleaned = try withoutColorManagement(data)
        // libpng reads from this memory until png_image_finish_read returns, so the whole decode stays inside
        // one withUnsafeBytes: outside it the array may already be released (it is, in optimised builds).
        return try cleaned.withUnsafeBytes { raw in try decode(memory: raw, maxPixels: maxPixels) }
    }

    private static func decode(memory raw: UnsafeRawBufferPointer, maxPixels: Int) throws -> Image {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&png) }
        let began = png_image_begin_read_from_memory(&png, raw.baseAddress, raw.count)
        guard began != 0 else { throw ImageError.corrupt(codec: "PNG", reason: message(of: png)) }

        let fileFormat = png.format
        let hasAlpha = fileFormat & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
        let isColor = fileFormat & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        let is16Bit = fileFormat & UInt32(PNG_FORMAT_FLAG_LINEAR) != 0
        // Ask for direct (non-colormapped) samples in the file's own layout.
        png.format = fileFormat & UInt32(PNG_FORMAT_FLAG_ALPHA | PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_LINEAR)
        let width = Int(png.width)
        let height = Int(png.height)
        guard width > 0, height > 0 else {
            throw ImageError.corrupt(codec: "PNG", reason: "unsupported size \(width)×\(height)")
        }
        try ImageLimits.check(width: width, height: height, codec: "PNG", budget: maxPixels)
        let samplesPerPixel = (isColor ? 3 : 1) + (hasAlpha ? 1 : 0)
        let outChannels = isColor ? 3 : 1
        let sampleCount = width * height * samplesPerPixel
        var pixels = [Float](repeating: 0, count: width * height * outChannels)

        if is16Bit {
            // Linear 16-bit output; libpng premultiplies colour by alpha in this mode.
            var buffer = [UInt16](repeating: 0, count: sampleCount)
            try finishRead(&png, into: &buffer)
            for p in 0..<(width * height) {
                let a: Float = hasAlpha ? Float(buffer[p * samplesPerPixel + outChannels]) / 65535 : 1
                for c in 0..<outChannels {
                    let premultiplied = Float(buffer[p * samplesPerPixel + c]) / 65535
                    pixels[p * outChannels + c] = premultiplied + (1 - a)
                }
            }
        } else {
            var buffer = [UInt8](repeating: 0, count: sampleCount)
            try finishRead(&png, into: &buffer)
            if hasAlpha {
                for p in 0..<(width * height) {
                    let a = Float(buffer[p * samplesPerPixel + outChannels]) / 255
                    for c in 0..<outChannels {
                        let v = Float(buffer[p * samplesPerPixel + c]) / 255
                        pixels[p * outChannels + c] = v * a + (1 - a)
                    }
                }
            } else {
                for i in 0..<sampleCount { pixels[i] = Float(buffer[i]) / 255 }
            }
        }
        return Image(height: height, width: width, channels: outChannels, pixels: pixels)
    }

    /// Colour-management chunks removed before libpng sees the file: with a gAMA, cHRM, sRGB or iCCP chunk the
    /// simplified API would convert samples to sRGB, but PIL, imageio and torchvision read stored values as
    /// they are, and models were trained on those. Also walks the chunk list up to IEND: libpng stops reading
    /// once it has every row, so a file cut after its pixel data would otherwise decode silently.
    static func withoutColorManagement(_ data: [UInt8]) throws -> [UInt8] {
        var offset = 8
        var dropped: [Range<Int>] = []
        while offset + 8 <= data.count {
            let length = data[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: data[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let end = offset + 12 + length
            guard length <= 0x7FFF_FFFF, end <= data.count else {
                throw ImageError.corrupt(
                    codec: "PNG",
                    reason: "truncated file: chunk \(type) at byte \(offset) "
                        + "needs \(end - offset) bytes, only \(data.count - offset) remain")
            }
            if type == "IEND" {
                if dropped.isEmpty { return data }
                var kept = [UInt8]()
                kept.reserveCapacity(data.count)
                var start = 0
                for range in dropped {
                    kept += data[start..<range.lowerBound]
                    start = range.upperBound
                }
                kept += data[start...]
                return kept
            }
            if ["gAMA", "cHRM", "sRGB", "iCCP"].contains(type) { dropped.append(offset..<end) }
            offset = end
        }
        throw ImageError.corrupt(codec: "PNG", reason: "truncated file: no IEND chunk")
    }

    /// zlib level for encoding: 3 with the "up" row filter is several times faster than libpng's default
    /// (level 6, adaptive filters) for figures and photos, for files about 10 % larger.
    public static let compressionLevel: Int32 = 3

    /// Encodes an image as an 8-bit gray or RGB PNG (values clamped to [0, 1], rounded to the nearest of 256
    /// levels). The output depends only on the pixels: no timestamps, so equal images give equal bytes.
    public static func encode(_ image: Image) throws -> [UInt8] {
        try encode(bytes: image.bytes(), width: image.width, height: image.height, channels: image.channels)
    }

    /// Encodes 8-bit RGBA samples (HWC, 4 per pixel), for overlays that keep transparency.
    public static func encodeRGBA(_ rgba: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        guard rgba.count == width * height * 4 else {
            throw ImageError.invalidArgument("RGBA buffer has \(rgba.count) bytes, expected \(width)×\(height)×4")
        }
        return try encode(bytes: rgba, width: width, height: height, channels: 4)
    }

    /// Encodes 8-bit interleaved samples with 1 (gray), 3 (RGB) or 4 (RGBA) channels.
    public static func encode(bytes: [UInt8], width: Int, height: Int, channels: Int) throws -> [UInt8] {
        guard width > 0, height > 0, [1, 3, 4].contains(channels), bytes.count == width * height * channels,
            width <= Int(Int32.max), height <= Int(Int32.max)
        else {
            throw ImageError.encodeFailed(
                codec: "PNG",
                reason: "cannot encode \(width)×\(height)×\(channels) "
                    + "from \(bytes.count) bytes")
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 160)
        let status = bytes.withUnsafeBufferPointer { src in
            message.withUnsafeMutableBufferPointer { msg in
                cpng_encode(
                    src.baseAddress, Int32(width), Int32(height), Int32(channels), compressionLevel,
                    CPNG_FILTER_UP, &out, &size, msg.baseAddress, msg.count)
            }
        }
        guard status == 0, let out else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ImageError.encodeFailed(codec: "PNG", reason: reason.isEmpty ? "libpng error" : reason)
        }
        defer { cpng_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    private static func finishRead<T>(_ png: inout png_image, into buffer: inout [T]) throws {
        let ok = buffer.withUnsafeMutableBytes { dst in
            png_image_finish_read(&png, nil, dst.baseAddress, 0, nil)
        }
        guard ok != 0 else { throw ImageError.corrupt(codec: "PNG", reason: message(of: png)) }
    }

    /// libpng's error text (a fixed 64-byte C string inside `png_image`).
    private static func message(of png: png_image) -> String {
        var copy = png.message
        let text = withUnsafeBytes(of: &copy) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        return text.isEmpty ? "libpng error" : text
    }
}
