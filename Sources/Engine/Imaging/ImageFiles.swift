import Foundation

/// Reading and writing image files: the format is chosen by magic bytes on read (not by extension),
/// and PNG is the only format written.
public enum ImageFiles {
    /// Decodes PNG or JPEG bytes, recognised by their signatures.
    public static func decode(
        _ data: [UInt8], name: String? = nil,
        maxPixels: Int = ImageLimits.maxPixels
    ) throws -> Image {
        var image: Image
        if data.starts(with: PNGCodec.signature) {
            image = try PNGCodec.decode(data, maxPixels: maxPixels)
        } else if data.starts(with: JPEGCodec.signature) {
            image = try JPEGCodec.decode(data, maxPixels: maxPixels)
        } else {
            let head = data.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            let what = data.isEmpty ? "empty data" : "unrecognised signature \(head) (PNG and JPEG are supported)"
            throw ImageError.unknownFormat(what)
        }
        image.name = name
        return image
    }

    /// Reads and decodes a file; the image's `name` is the file name without its extension.
    public static func load(path: String) throws -> Image {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ImageError.io(
                path: path,
                reason: FileManager.default.fileExists(atPath: path)
                    ? "cannot read file" : "no such file")
        }
        return try decode([UInt8](data), name: url.deletingPathExtension().lastPathComponent)
    }

    /// Writes bytes atomically (`AtomicFile`: a half-written PNG never appears under `path`, and a failed write
    /// leaves the previous file).
    public static func write(_ bytes: [UInt8], to path: String) throws {
        do { try AtomicFile.write(bytes, to: path) } catch let error as AtomicFile.WriteError {
            throw ImageError.io(path: path, reason: error.reason)
        }
    }

    /// Encodes an image as PNG and writes it.
    public static func savePNG(_ image: Image, to path: String) throws {
        try write(PNGCodec.encode(image), to: path)
    }
}
