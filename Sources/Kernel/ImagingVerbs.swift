import Engine
import Foundation

/// Images in and out: `image`, `samples`, `save`, `grid`, `resize`.
public enum ImagingVerbs {
    public static let category = "Data and models"

    public static var all: [Verb] { [image, samples, save, grid, resize, OverlayVerb.overlay] }

    /// Engine imaging errors as language errors: files and formats are FileErrors, bad arguments ValueErrors.
    static func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ImageError {
            switch error {
            case .invalidArgument(let what): throw FoveaError(.value, what)
            case .fontUnavailable, .encodeFailed: throw FoveaError(.value, error.description)
            case .tooLarge(let codec, _, _, _) where codec != "PNG" && codec != "JPEG":
                throw FoveaError(.value, error.description)  // a size asked for, not a file's
            default: throw FoveaError(.file, error.description)
            }
        }
    }

    static let image = Verb(
        "image", category: category, summary: "Load a picture from a PNG or JPEG file, or a named sample.",
        parameters: [
            Parameter("path", .path, doc: "a file path (relative to the kernel's working directory) or \"sample:NAME\" (see samples())"),
            Parameter("size", .integer, default: Value.none, min: 1, max: 4096,
                      doc: "resize so the shorter side has this many pixels (aspect ratio kept)"),
        ],
        returns: "Image",
        doc: "Pixels become floats in [0, 1]; gray files give 1 channel, colour files 3 (transparency is composited onto white).",
        example: "cat = image(\"sample:chelsea\", size=224)"
    ) { args, context in
        let path = try args.string("path")
        var picture: Image = try mapped {
            if SampleImages.sampleName(inPath: path) != nil { return try ImageFiles.open(path) }
            return try ImageFiles.load(path: context.resolve(path: path).path)
        }
        if let size = try args.optionalInt("size") { picture = try mapped { try picture.checkedResize(shorterSide: size) } }
        return .object(ImageValue(picture))
    }

    static let samples = Verb(
        "samples", category: category, summary: "The names of the sample images, for image(\"sample:NAME\").",
        returns: "list",
        doc: "The samples are scikit-image's test pictures (Debian package python3-skimage).",
        example: "samples()"
    ) { _, _ in
        .list(try mapped { try SampleImages.names() }.map { .string($0) })
    }

    static let save = Verb(
        "save", category: category, summary: "Write a value to a file: .png for images and figures, .npy for tensors, .onnx for models.",
        parameters: [
            Parameter("value", .any, doc: "what to save"),
            Parameter("path", .path, doc: "the file to write (relative to the kernel's working directory)"),
        ],
        doc: "The format follows the file extension; each kind of value says which it supports. Existing files are replaced atomically.",
        example: "save(image(\"sample:chelsea\"), \"chelsea.png\")"
    ) { args, context in
        let path = try args.string("path")
        let url = context.resolve(path: path)
        let ext = url.pathExtension.lowercased()
        let value = args["value"]
        guard case .object(let o) = value, o.saveFormats.contains(ext) else {
            var formats: [String] = []
            if case .object(let o) = value { formats = o.saveFormats }
            let known = formats.isEmpty ? "\(value.typeName) values can't be saved" : "\(value.typeName) values are saved as " + formats.map { "." + $0 }.joined(separator: " or ")
            throw args.error("path", "save() can't write \(value.typeName) as \"\(ext.isEmpty ? path : "." + ext)\"; \(known)")
        }
        try mapped { try o.save(to: url, format: ext) }
        return .none
    }

    static let grid = Verb(
        "grid", category: category, summary: "Lay images out in rows and columns, with optional titles.",
        parameters: [
            Parameter("images", .list(of: .object("Image")), doc: "the images"),
            Parameter("cols", .integer, default: Value.none, min: 1, max: 1000, doc: "columns (default: about √n)"),
            Parameter("titles", .list(of: .string), default: Value.none, doc: "one title per image"),
        ],
        returns: "Image",
        example: "grid([image(\"sample:chelsea\"), image(\"sample:coffee\")], cols=2, titles=[\"cat\", \"coffee\"])"
    ) { args, _ in
        let images = try args.list("images").compactMap { $0.object(as: ImageValue.self)?.image }
        if images.isEmpty { throw args.error("images", "grid() needs at least one image") }
        var titles: [String]?
        if !args.isNone("titles") {
            titles = try args.list("titles").map { Repr.str($0) }
            if titles?.count != images.count {
                throw args.error("titles", "grid() got \(titles?.count ?? 0) titles for \(images.count) images; give one per image")
            }
        }
        let columns = try args.optionalInt("cols")
        return .object(ImageValue(try mapped { try ImageGrid(images: images, columns: columns, titles: titles).render() }))
    }

    static let resize = Verb(
        "resize", category: category, summary: "Resize an image so its shorter side has `size` pixels.",
        parameters: [
            Parameter("img", .object("Image"), doc: "the image"),
            Parameter("size", .integer, min: 1, max: 4096, doc: "the new length of the shorter side"),
            Parameter("filter", .string, default: .string("bilinear"), choices: ResizeFilter.allCases.map(\.rawValue),
                      doc: "bilinear (antialiased), area, or nearest (keeps pixels crisp)"),
        ],
        returns: "Image",
        example: "small = resize(image(\"sample:chelsea\"), 64)"
    ) { args, _ in
        let img = try args.object("img", as: ImageValue.self).image
        let filter = ResizeFilter(rawValue: try args.string("filter")) ?? .bilinear
        let size = try args.int("size")
        return .object(ImageValue(try mapped { try img.checkedResize(shorterSide: size, filter: filter) }))
    }
}

