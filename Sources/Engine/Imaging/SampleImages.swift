import Foundation

/// The sample pictures shipped by Debian's python3-skimage (chelsea, astronaut, coffee, rocket, …), by name:
/// `image("sample:chelsea")` and `samples()` in the notebook language.
public enum SampleImages {
    /// Folders searched in order; the first that exists is used.
    public static let searchDirectories = [
        "/usr/lib/python3/dist-packages/skimage/data",
        "/usr/share/scikit-image/data",
        "/usr/local/lib/python3/dist-packages/skimage/data",
    ]

    public static let debianPackage = "python3-skimage"

    /// Files in the folder that are not pictures to show: skimage's deliberately cut-off JPEG test file.
    static let excluded: Set<String> = ["truncated"]

    /// The folder holding the samples, or `ImageError.samplesMissing` naming the Debian package.
    public static func directory() throws -> String {
        let fm = FileManager.default
        if let dir = searchDirectories.first(where: {
            fm.fileExists(atPath: $0 + "/chelsea.png") || fm.fileExists(atPath: $0 + "/astronaut.png")
        }) {
            return dir
        }
        throw ImageError.samplesMissing(
            "sample images not found (looked in \(searchDirectories.joined(separator: ", "))); "
                + "install the Debian package \(debianPackage)")
    }

    /// Sample names (file names without extension) of every PNG/JPEG in the folder, sorted.
    public static func names() throws -> [String] { try files().keys.sorted() }

    /// name → path.
    static func files() throws -> [String: String] {
        let dir = try directory()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var result: [String: String] = [:]
        for entry in entries {
            let url = URL(fileURLWithPath: entry)
            let name = url.deletingPathExtension().lastPathComponent
            guard ["png", "jpg", "jpeg"].contains(url.pathExtension.lowercased()), !excluded.contains(name) else {
                continue
            }
            result[name] = dir + "/" + entry
        }
        return result
    }

    /// Loads a sample by name (`chelsea`, also accepted as `chelsea.png`); unknown names list the known ones.
    public static func load(_ name: String) throws -> Image {
        let files = try files()
        let key = URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent
        guard let path = files[key] ?? files[name] else {
            throw ImageError.unknownSample(name: name, known: files.keys.sorted())
        }
        return try ImageFiles.load(path: path)
    }

    /// `sample:NAME` paths as used by `image(path)`; nil when `path` is not a sample reference.
    public static func sampleName(inPath path: String) -> String? {
        path.hasPrefix("sample:") ? String(path.dropFirst("sample:".count)) : nil
    }
}

extension ImageFiles {
    /// Loads a file path or a `sample:NAME` reference.
    public static func open(_ path: String) throws -> Image {
        if let sample = SampleImages.sampleName(inPath: path) { return try SampleImages.load(sample) }
        return try load(path: path)
    }
}
