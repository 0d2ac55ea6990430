import Foundation

/// `dataset(name_or_path, split, limit, seed)`: one entry point for every source the language accepts.
extension Dataset {
    /// Loads `"fashion-mnist"`, an `.npy`/`.npz` file, or a folder of images with one sub-folder per class.
    ///
    /// - `split`: `"train"` or `"test"` (default `"train"`). For Fashion-MNIST it picks the IDX files; for a
    ///   folder with `train/` and `test/` sub-folders it picks one; for `.npz` it prefers `x_<split>`/`y_<split>`.
    /// - `limit`/`seed`: see `limited(_:seed:)` — the first `limit` samples, or a seeded random subset.
    /// Throws `DataError` (`.notFound` names the package or path, `.invalidArgument` lists valid values).
    public static func load(_ nameOrPath: String, split: String? = nil, limit: Int? = nil, seed: UInt64? = nil) throws -> Dataset {
        let base: Dataset
        let lowered = nameOrPath.lowercased()
        if lowered == "fashion-mnist" || lowered == "fashion_mnist" || lowered == "fashionmnist" {
            let splitName = split ?? "train"
            guard let which = FashionMNIST.Split(rawValue: splitName) else {
                throw DataError(.invalidArgument, "unknown split \"\(splitName)\" for fashion-mnist; splits are: train, test")
            }
            base = try FashionMNIST.load(split: which)
        } else if lowered.hasSuffix(".npy") {
            let array = try NpyArray(contentsOf: nameOrPath)
            base = try arrayDataset(images: array, labels: nil, name: nameOrPath)
        } else if lowered.hasSuffix(".npz") {
            base = try npzDataset(nameOrPath, split: split)
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: nameOrPath, isDirectory: &isDirectory) else {
                throw DataError(.notFound, "unknown dataset \"\(nameOrPath)\": not a built-in name (fashion-mnist) and no such file or folder")
            }
            guard isDirectory.boolValue else {
                throw DataError(.unsupported, "\(nameOrPath): datasets are fashion-mnist, a folder with one sub-folder per class, or an .npy/.npz file")
            }
            base = try ImageFolder.load(nameOrPath, split: split)
        }
        return try base.limited(limit, seed: seed)
    }

    /// The most classes a labelled array may have (labels are indices 0..<classes).
    static let maxClasses = 100_000

    /// Images from an array of shape [N, H, W], [N, C, H, W] or [N, H, W, C] (C ∈ {1, 3}); integer arrays
    /// are bytes scaled by 1/255, float arrays are taken as already in [0, 1]. Labels from a 1-D array.
    static func arrayDataset(images: NpyArray, labels: NpyArray?, name: String) throws -> Dataset {
        var shape = images.shape
        var values = images.isInteger ? images.floats.map { $0 / 255 } : images.floats
        switch shape.count {
        case 3:
            shape.insert(1, at: 1)
        case 4 where shape[1] == 1 || shape[1] == 3:
            break
        case 4 where shape[3] == 1 || shape[3] == 3:
            values = nhwcToNCHW(values, shape: shape)
            shape = [shape[0], shape[3], shape[1], shape[2]]
        default:
            throw DataError(.invalidArgument, "\(name): images must have shape N×H×W, N×C×H×W or N×H×W×C with C = 1 or 3, got \(shape)")
        }
        let count = shape[0]
        guard count > 0, shape[2] > 0, shape[3] > 0 else {
            throw DataError(.invalidArgument, "\(name): the image array \(images.shape) is empty")
        }
        var labelValues = [Int](repeating: 0, count: count)
        var classCount = 1
        if let labels {
            guard labels.shape.count == 1 || (labels.shape.count == 2 && labels.shape[1] == 1), labels.floats.count == count else {
                throw DataError(.invalidArgument, "\(name): labels must be a vector of \(count) integers, got shape \(labels.shape)")
            }
            labelValues = labels.integers
            guard let low = labelValues.min(), low >= 0 else {
                throw DataError(.invalidArgument, "\(name): labels must be ≥ 0")
            }
            // One class name is made per index up to the largest label: a stray 2^40 must not make a trillion.
            guard let high = labelValues.max(), high < maxClasses else {
                throw DataError(.invalidArgument, "\(name): labels must be class indices below \(maxClasses)")
            }
            classCount = high + 1
        }
        return Dataset(name: name, pixels: values, channels: shape[1], height: shape[2], width: shape[3],
                       labels: labelValues, classNames: (0..<classCount).map(String.init), hasLabels: labels != nil)
    }

    private static func npzDataset(_ path: String, split: String?) throws -> Dataset {
        let arrays = try Npz.read(path)
        func find(_ names: [String]) -> NpyArray? {
            for wanted in names {
                if let hit = arrays.first(where: { $0.name.lowercased() == wanted }) { return hit.array }
            }
            return nil
        }
        let suffix = split.map { ["_\($0)"] } ?? []
        let imageNames = suffix.map { "x\($0)" } + suffix.map { "images\($0)" } + ["images", "x", "data", "x_train", "inputs"]
        let labelNames = suffix.map { "y\($0)" } + suffix.map { "labels\($0)" } + ["labels", "y", "targets", "y_train"]
        guard let images = find(imageNames) else {
            let present = arrays.map(\.name).joined(separator: ", ")
            throw DataError(.invalidArgument, "\(path): no image array (looked for \(imageNames.joined(separator: ", ")); the file has: \(present)")
        }
        return try arrayDataset(images: images, labels: find(labelNames), name: path)
    }

    private static func nhwcToNCHW(_ values: [Float], shape: [Int]) -> [Float] {
        let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
        var out = [Float](repeating: 0, count: values.count)
        for i in 0..<n {
            for y in 0..<h {
                for x in 0..<w {
                    for k in 0..<c {
                        out[((i * c + k) * h + y) * w + x] = values[((i * h + y) * w + x) * c + k]
                    }
                }
            }
        }
        return out
    }

    /// Saves images and labels as an `.npz` with arrays `images` (N×C×H×W float32) and `labels` (int64),
    /// which `Dataset.load` reads back.
    public func writeNpz(to path: String, compressed: Bool = true) throws {
        try Npz.write([("images", NpyArray(shape: shape, floats: pixels)),
                       ("labels", NpyArray(shape: [count], values: .int64(labels.map { Int64($0) })))],
                      to: path, compressed: compressed)
    }
}
