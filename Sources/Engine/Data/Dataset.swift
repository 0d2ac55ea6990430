/// Labelled images as the engine trains and visualizes them: N × C × H × W floats in [0, 1] (one flat
/// C-order buffer), one label per image, and the names of the classes.
///
/// Invariants: `pixels.count == count * channels * height * width`, `labels.count == count`, and every
/// label is in `0..<classNames.count` when `hasLabels` (an `.npy` of bare images has no labels: they are 0).
/// Independent of the Tensor type; `pixels` with `shape` converts to a tensor without copying semantics.
public struct Dataset: Sendable, Equatable {
    /// Where the data came from ("fashion-mnist (test)", a folder path, a file path) for display.
    public var name: String
    public var pixels: [Float]
    public var channels: Int
    public var height: Int
    public var width: Int
    public var labels: [Int]
    public var classNames: [String]
    public var hasLabels: Bool

    public init(name: String, pixels: [Float], channels: Int, height: Int, width: Int,
                labels: [Int], classNames: [String], hasLabels: Bool = true) {
        let sampleSize = channels * height * width
        precondition(sampleSize > 0 && pixels.count % sampleSize == 0, "Dataset pixels do not divide into \(channels)×\(height)×\(width) images")
        precondition(labels.count == pixels.count / sampleSize, "Dataset has \(pixels.count / sampleSize) images but \(labels.count) labels")
        self.name = name
        self.pixels = pixels
        self.channels = channels
        self.height = height
        self.width = width
        self.labels = labels
        self.classNames = classNames
        self.hasLabels = hasLabels
    }

    public var count: Int { labels.count }
    /// Values per image, C·H·W.
    public var sampleSize: Int { channels * height * width }
    /// `[N, C, H, W]`.
    public var shape: [Int] { [count, channels, height, width] }

    /// The `index`-th image as C×H×W floats. Precondition: `index` in `0..<count`.
    public func imagePixels(_ index: Int) -> ArraySlice<Float> {
        precondition(index >= 0 && index < count, "Dataset index \(index) out of range 0..<\(count)")
        return pixels[(index * sampleSize)..<((index + 1) * sampleSize)]
    }

    /// The `index`-th sample as an `Image` (with its label and class name as the name).
    public func image(_ index: Int) -> Image {
        let label = labels[index]
        let className = hasLabels && label >= 0 && label < classNames.count ? classNames[label] : nil
        return Image(chw: Array(imagePixels(index)), channels: channels, height: height, width: width,
                     label: hasLabels ? label : nil, name: className)
    }

    /// The samples at `indices`, in that order. Precondition: every index is valid.
    public func subset(_ indices: [Int]) -> Dataset {
        var out = [Float]()
        out.reserveCapacity(indices.count * sampleSize)
        for i in indices { out.append(contentsOf: imagePixels(i)) }
        return Dataset(name: name, pixels: out, channels: channels, height: height, width: width,
                       labels: indices.map { labels[$0] }, classNames: classNames, hasLabels: hasLabels)
    }

    /// Samples `range` (Python-style slicing `data[a:b]` after clamping by the caller).
    public func slice(_ range: Range<Int>) -> Dataset {
        subset(Array(range.clamped(to: 0..<count)))
    }

    /// A seeded random permutation of the samples.
    public func shuffled(seed: UInt64) -> Dataset {
        var random = SeededGenerator(seed: seed)
        return subset(random.permutation(count))
    }

    /// At most `limit` samples: the first ones in file order, or — with a `seed` — a seeded random subset
    /// (the first `limit` of a seeded shuffle). Throws `.invalidArgument` for a negative limit.
    public func limited(_ limit: Int?, seed: UInt64?) throws -> Dataset {
        if let limit, limit < 0 { throw DataError(.invalidArgument, "limit must be ≥ 0, got \(limit)") }
        var order = Array(0..<count)
        if let seed {
            var random = SeededGenerator(seed: seed)
            order = random.permutation(count)
        }
        if let limit, limit < order.count { order = Array(order[0..<limit]) }
        if seed == nil && order.count == count { return self }
        return subset(order)
    }

    /// How many samples each class has, indexed by label.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: max(classNames.count, (labels.max() ?? -1) + 1))
        if hasLabels { for label in labels where label >= 0 { counts[label] += 1 } }
        return counts
    }
}
