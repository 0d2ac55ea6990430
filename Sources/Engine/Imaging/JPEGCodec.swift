import CJPEG

/// JPEG decoding through libjpeg(-turbo). The C side (`cjpeg_decode` in the CJPEG shim) owns the
/// setjmp/longjmp error handling, so a corrupt or truncated file becomes `ImageError.corrupt`, never an exit.
/// Grayscale files give 1 channel, everything else is converted to RGB by libjpeg (CMYK files are rejected).
public enum JPEGCodec {
    /// JPEG files start with an SOI marker followed by another marker.
    public static let signature: [UInt8] = [0xFF, 0xD8, 0xFF]

    /// Decodes JPEG bytes; `ImageError.tooLarge` (before allocating) beyond `maxPixels` pixels.
    public static func decode(_ data: [UInt8], maxPixels: Int = ImageLimits.maxPixels) throws -> Image {
        guard data.count >= 3, Array(data[0..<3]) == signature else {
            throw ImageError.corrupt(codec: "JPEG", reason: "missing JPEG start-of-image marker")
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var width: Int32 = 0
        var height: Int32 = 0
        var channels: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let budget = max(maxPixels, 1)
        let status = data.withUnsafeBufferPointer { src in
            message.withUnsafeMutableBufferPointer { msg in
                cjpeg_decode(
                    src.baseAddress, src.count, &out, &width, &height, &channels, msg.baseAddress, msg.count,
                    budget)
            }
        }
        if status == 2 {
            throw ImageError.tooLarge(codec: "JPEG", width: Int(width), height: Int(height), maxPixels: budget)
        }
        guard status == 0, let buffer = out else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ImageError.corrupt(codec: "JPEG", reason: reason.isEmpty ? "libjpeg error" : reason)
        }
        defer { cjpeg_free(buffer) }
        let count = Int(width) * Int(height) * Int(channels)
        let samples = UnsafeBufferPointer(start: buffer, count: count)
        return Image(
            height: Int(height), width: Int(width), channels: Int(channels),
            pixels: samples.map { Float($0) / 255 })
    }
}
