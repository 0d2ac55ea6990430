import Foundation
import Engine

/// Fashion-MNIST as the oracle reads it (tools/oracle/embedding/common.py): N = 10,000 is the test set,
/// N = 70,000 is train then test; pixels / 255 as Float, row-major N×784.
enum EmbeddingFashionData {
    static let directory = "/usr/share/datasets/fashion-mnist"

    static func load(count: Int) throws -> (pixels: [Float], labels: [Int]) {
        let parts = count == 10_000 ? ["t10k"] : ["train", "t10k"]
        var pixels = [Float](), labels = [Int]()
        for part in parts {
            let images = try IDXArray(contentsOf: "\(directory)/\(part)-images-idx3-ubyte.gz")
            let tags = try IDXArray(contentsOf: "\(directory)/\(part)-labels-idx1-ubyte.gz")
            pixels += images.bytes.map { Float($0) / 255 }
            labels += tags.bytes.map(Int.init)
        }
        return (pixels, labels)
    }
}
