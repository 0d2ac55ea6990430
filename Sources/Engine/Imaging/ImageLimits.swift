import Foundation

/// The pixel budget for decoding: a file whose header announces more pixels than this is refused with
/// `ImageError.tooLarge` before any pixel memory is allocated (a 4-byte header must not cost gigabytes).
/// Settable at run time (the kernel's `limits(...)` verb or config); thread-safe.
public enum ImageLimits {
    /// 64 megapixels (e.g. 8192 × 8192): about 768 MB as RGB floats.
    public static let defaultMaxPixels = 64 * 1024 * 1024

    /// The budget in force (`ResourceLimits.current`'s pixels).
    public static var maxPixels: Int {
        get { ResourceLimits.current.maxPixels }
        set { ResourceLimits.current.maxPixels = newValue }
    }

    /// Throws `ImageError.tooLarge` when `width × height` exceeds the budget; `codec` says what is being made
    /// ("PNG", "JPEG", "resized", "model input").
    public static func check(width: Int, height: Int, codec: String, budget: Int = maxPixels) throws {
        if width.multipliedReportingOverflow(by: height).overflow || width * height > budget {
            throw ImageError.tooLarge(codec: codec, width: width, height: height, maxPixels: budget)
        }
    }
}
