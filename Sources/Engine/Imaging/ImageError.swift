/// Everything that can go wrong reading, writing or drawing pictures. Messages are meant for the notebook user.
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not in a format the engine decodes (checked by magic bytes).
    case unknownFormat(String)
    /// The codec rejected the data (corrupt or truncated file); `codec` is "PNG" or "JPEG".
    case corrupt(codec: String, reason: String)
    /// The file's header announces more pixels than `ImageLimits.maxPixels`.
    case tooLarge(codec: String, width: Int, height: Int, maxPixels: Int)
    /// Encoding failed in the C library.
    case encodeFailed(codec: String, reason: String)
    /// A file could not be read or written.
    case io(path: String, reason: String)
    /// A sample image name that is not in the sample folder.
    case unknownSample(name: String, known: [String])
    /// The sample folder (a Debian package) is not installed.
    case samplesMissing(String)
    /// A font could not be loaded for text in PNGs.
    case fontUnavailable(String)
    /// An argument out of range (size ≤ 0, mismatched shapes…).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .unknownFormat(let what): return "unknown image format: \(what)"
        case .corrupt(let codec, let reason): return "corrupt \(codec) data: \(reason)"
        case .tooLarge(let codec, let width, let height, let maxPixels):
            let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
            return "\(codec) image of \(width)×\(height) = \(overflow ? "too many" : ResourceLimits.grouped(pixels)) pixels "
                + "is more than the pixel budget of \(ResourceBudget.pixels.format(maxPixels)); raise it with "
                + "limits(pixels=…) or the \(ResourceBudget.pixels.environmentVariable) environment variable"
        case .encodeFailed(let codec, let reason): return "\(codec) encoding failed: \(reason)"
        case .io(let path, let reason): return "cannot access \(path): \(reason)"
        case .unknownSample(let name, let known):
            return "no sample image named \"\(name)\"; known samples: \(known.joined(separator: ", "))"
        case .samplesMissing(let what): return what
        case .fontUnavailable(let what): return "font unavailable: \(what)"
        case .invalidArgument(let what): return what
        }
    }
}
