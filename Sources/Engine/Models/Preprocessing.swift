/// How images reach a model: the input geometry it expects, per-channel normalisation and the names of its
/// output classes. Stored with every model (built-in, trained, imported) so verbs can feed `Image`s in
/// [0, 1] without knowing where the model came from: x_normalised[c] = (x[c] − mean[c]) / std[c].
public struct Preprocessing: Sendable, Equatable, Codable {
    /// Input channels (1 gray, 3 RGB).
    public var channels: Int
    /// Fixed input height and width, or nil when the model takes any size (fully convolutional).
    public var inputHeight: Int?
    public var inputWidth: Int?
    /// One value per channel (or one for all).
    public var mean: [Float]
    public var std: [Float]
    /// Output class names by index; empty when the outputs are not classes (feature extractors).
    public var classNames: [String]

    public init(channels: Int, inputHeight: Int?, inputWidth: Int?, mean: [Float], std: [Float], classNames: [String]) {
        self.channels = channels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.mean = mean
        self.std = std
        self.classNames = classNames
    }

    /// Fashion-MNIST statistics of the training set (the values every tutorial uses).
    public static func fashionMNIST(height: Int = 28, width: Int = 28) -> Preprocessing {
        Preprocessing(channels: 1, inputHeight: height, inputWidth: width, mean: [0.2860], std: [0.3530],
                      classNames: FashionMNIST.classNames)
    }

    /// ImageNet statistics as torchvision models use them.
    public static func imageNet(height: Int? = 224, width: Int? = 224, classNames: [String] = []) -> Preprocessing {
        Preprocessing(channels: 3, inputHeight: height, inputWidth: width, mean: [0.485, 0.456, 0.406],
                      std: [0.229, 0.224, 0.225], classNames: classNames)
    }

    /// Normalises a batch [N, C, H, W] of [0, 1] pixels. Precondition: C == `channels`.
    public func normalize(_ batch: Tensor) -> Tensor {
        precondition(batch.rank == 4 && batch.shape[1] == channels, "normalize expects [N, \(channels), H, W], got \(batch.shape)")
        var out = batch
        let plane = batch.shape[2] * batch.shape[3]
        out.withUnsafeMutableBufferPointer { values in
            for n in 0..<batch.shape[0] {
                for c in 0..<channels {
                    let m = mean.count == 1 ? mean[0] : mean[c]
                    let inverse = 1 / (std.count == 1 ? std[0] : std[c])
                    let start = (n * channels + c) * plane
                    for i in start..<(start + plane) { values[i] = (values[i] - m) * inverse }
                }
            }
        }
        return out
    }

    /// The inverse of `normalize`, for showing optimised inputs as pictures.
    public func denormalize(_ batch: Tensor) -> Tensor {
        precondition(batch.rank == 4 && batch.shape[1] == channels, "denormalize expects [N, \(channels), H, W], got \(batch.shape)")
        var out = batch
        let plane = batch.shape[2] * batch.shape[3]
        out.withUnsafeMutableBufferPointer { values in
            for n in 0..<batch.shape[0] {
                for c in 0..<channels {
                    let m = mean.count == 1 ? mean[0] : mean[c]
                    let s = std.count == 1 ? std[0] : std[c]
                    let start = (n * channels + c) * plane
                    for i in start..<(start + plane) { values[i] = values[i] * s + m }
                }
            }
        }
        return out
    }
}
