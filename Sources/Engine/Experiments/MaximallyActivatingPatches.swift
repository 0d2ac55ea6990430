import Foundation

/// One of the dataset crops that most excite a channel (Girshick et al. 2014; lecture 12's "maximally
/// activating patches").
public struct ActivatingPatch: Sendable {
    public var imageIndex: Int
    /// The unit's position in the layer's feature map.
    public var y: Int
    public var x: Int
    public var activation: Float
    /// The unit's receptive field in the image, clipped: (top, left, bottom, right), exclusive ends.
    public var region: (top: Int, left: Int, bottom: Int, right: Int)
}

extension Model {
    /// The `k` (image, position) pairs of `dataset` with the largest activation of `channel` at `layer`,
    /// best first, at most one per image. Runs the dataset in batches up to the layer only.
    public func maximallyActivatingPatches(_ dataset: Dataset, layer: String, channel: Int, k: Int,
                                           batchSize: Int = 128, interruption: Interruption? = nil,
                                           progress: ((Int, Int) -> Void)? = nil) throws -> [ActivatingPatch] {
        guard k >= 1 else { throw ExperimentError("k must be at least 1") }
        let inputShape = [1, dataset.channels, dataset.height, dataset.width]
        let field = try receptiveField(of: layer, inputShape: inputShape)
        var best: [ActivatingPatch] = []
        var start = 0
        while start < dataset.count {
            try interruption?.check()
            let end = min(dataset.count, start + batchSize)
            let batch = preprocessing.normalize(dataset.slice(start..<end).tensor)
            guard let activation = try graph.run([input: batch], fetch: [layer], interruption: interruption)[layer] else {
                throw ExperimentError("layer \"\(layer)\" was not computed")
            }
            let channels = activation.rank >= 2 ? activation.shape[1] : 1
            guard (0..<channels).contains(channel) else {
                throw ExperimentError("channel \(channel) is out of range: layer \"\(layer)\" has \(channels) channels (0…\(channels - 1))")
            }
            let (h, w) = activation.rank == 4 ? (activation.shape[2], activation.shape[3]) : (1, 1)
            activation.withUnsafeBufferPointer { a in
                for b in 0..<(end - start) {
                    let base = (b * channels + channel) * h * w
                    var top = 0
                    for i in 0..<(h * w) where a[base + i] > a[base + top] { top = i }
                    let (y, x) = (top / w, top % w)
                    let region = field?.region(y: y, x: x, height: dataset.height, width: dataset.width)
                        ?? (0, 0, dataset.height, dataset.width)
                    best.append(ActivatingPatch(imageIndex: start + b, y: y, x: x, activation: a[base + top], region: region))
                }
            }
            // Keep the list short; ties broken by image index so the order is deterministic.
            best.sort { ($0.activation, -$0.imageIndex) > ($1.activation, -$1.imageIndex) }
            if best.count > k { best.removeLast(best.count - k) }
            start = end
            progress?(start, dataset.count)
        }
        return best
    }
}

extension Dataset {
    /// All images as one `[N, C, H, W]` tensor of [0, 1] pixels.
    public var tensor: Tensor { Tensor(shape: shape, data: pixels) }
}
