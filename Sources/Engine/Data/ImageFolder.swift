import Foundation

/// A folder of images with one sub-folder per class (torchvision's `ImageFolder` layout): classes are the
/// sub-folder names in sorted order, labels their indices. Every image is brought to the size of the first
/// one (bilinear, as PIL resamples) and to RGB if any image is in colour, so the result is one N×C×H×W block.
enum ImageFolder {
    static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    static func load(_ path: String, split: String?) throws -> Dataset {
        let fileManager = FileManager.default
        var root = URL(fileURLWithPath: path)
        if let split {
            let candidate = root.appendingPathComponent(split)
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue {
                root = candidate
            } else if split != "train" {
                throw DataError(.notFound, "\(path) has no \"\(split)\" sub-folder")
            }
        }
        let classFolders = try subfolders(of: root)
        guard !classFolders.isEmpty else {
            throw DataError(.invalidArgument, "\(root.path) has no class sub-folders (expected one folder of images per class)")
        }
        var images: [Image] = []
        var labels: [Int] = []
        for (label, folder) in classFolders.enumerated() {
            let files = (try? fileManager.contentsOfDirectory(atPath: folder.path)) ?? []
            for file in files.sorted() where extensions.contains((file as NSString).pathExtension.lowercased()) {
                images.append(try decode(folder.appendingPathComponent(file).path))
                labels.append(label)
            }
        }
        guard let first = images.first else {
            throw DataError(.invalidArgument, "\(root.path): no .png/.jpg images in its class folders")
        }
        let channels = images.contains { $0.channels == 3 } ? 3 : 1
        var pixels: [Float] = []
        pixels.reserveCapacity(images.count * channels * first.height * first.width)
        for image in images {
            var picture = channels == 3 ? image.toRGB() : image
            if picture.height != first.height || picture.width != first.width {
                picture = picture.resized(height: first.height, width: first.width)
            }
            pixels.append(contentsOf: picture.chwData())
        }
        return Dataset(name: path, pixels: pixels, channels: channels, height: first.height, width: first.width,
                       labels: labels, classNames: classFolders.map(\.lastPathComponent))
    }

    private static func subfolders(of root: URL) throws -> [URL] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: root.path)
        } catch {
            throw DataError(.io, "cannot list \(root.path)")
        }
        return names.sorted().filter { !$0.hasPrefix(".") }.map { root.appendingPathComponent($0) }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
    }

    /// Decodes one file (PNG or JPEG, recognised by signature) through the imaging codecs.
    static func decode(_ path: String) throws -> Image {
        let bytes = try FileBytes.read(path)
        do {
            return try ImageFiles.decode(bytes, name: (path as NSString).lastPathComponent)
        } catch {
            throw DataError(.corrupt, "\(path): \(error)")
        }
    }
}
