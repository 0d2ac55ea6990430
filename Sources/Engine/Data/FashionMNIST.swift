import Foundation

/// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) from the Debian package `dataset-fashion-mnist`:
/// 60 000 training and 10 000 test images, 28×28 gray, ten clothing classes.
public enum FashionMNIST {
    /// Where the Debian package installs the IDX files; overridable for tests with FOVEA_FASHION_MNIST.
    public static var directory: String {
        ProcessInfo.processInfo.environment["FOVEA_FASHION_MNIST"] ?? "/usr/share/datasets/fashion-mnist"
    }

    /// The class names, indexed by label.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    public enum Split: String, Sendable, CaseIterable {
        case train
        case test

        /// The IDX file prefix: `train` or `t10k`.
        var filePrefix: String { self == .train ? "train" : "t10k" }
    }

    /// Loads one split; pixels are bytes / 255. Missing files give `DataError(.notFound)` naming the
    /// Debian package to install; corrupt or inconsistent files give `.corrupt`.
    public static func load(split: Split, directory: String = FashionMNIST.directory) throws -> Dataset {
        let imagesPath = "\(directory)/\(split.filePrefix)-images-idx3-ubyte.gz"
        let labelsPath = "\(directory)/\(split.filePrefix)-labels-idx1-ubyte.gz"
        for path in [imagesPath, labelsPath] where !FileManager.default.fileExists(atPath: path) {
            throw DataError(.notFound, "Fashion-MNIST is not installed (\(path) is missing); install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)")
        }
        let images = try IDXArray(contentsOf: imagesPath)
        let labels = try IDXArray(contentsOf: labelsPath)
        guard images.shape.count == 3, labels.shape.count == 1, images.shape[0] == labels.shape[0] else {
            throw DataError(.corrupt, "Fashion-MNIST files disagree: images \(images.shape), labels \(labels.shape)")
        }
        if let bad = labels.bytes.first(where: { Int($0) >= classNames.count }) {
            throw DataError(.corrupt, "\(labelsPath): label \(bad) is not a Fashion-MNIST class (0–9)")
        }
        let scale: Float = 1.0 / 255.0
        return Dataset(name: "fashion-mnist (\(split.rawValue))", pixels: images.bytes.map { Float($0) * scale },
                       channels: 1, height: images.shape[1], width: images.shape[2],
                       labels: labels.bytes.map { Int($0) }, classNames: classNames)
    }
}
