/// The built-in architectures, by the names the notebook uses: `model("lenet")`, `train("fashion-cnn", data)`.
/// Each is built fresh with PyTorch-default initialisation from `seed`; `fashion-cnn` with trained weights
/// comes from `Model.pretrained`.
extension Model {
    /// Architecture names that `architecture(_:)` knows, for "did you mean" and error messages.
    public static let architectureNames = ["fashion-cnn", "lenet", "mlp", "random-multiscale"]

    /// The input geometry and classes an architecture is built for (default: Fashion-MNIST).
    public struct InputSpec: Sendable, Equatable {
        public var channels: Int
        public var height: Int
        public var width: Int
        public var classNames: [String]

        public init(channels: Int, height: Int, width: Int, classNames: [String]) {
            self.channels = channels
            self.height = height
            self.width = width
            self.classNames = classNames
        }

        public static let fashionMNIST = InputSpec(channels: 1, height: 28, width: 28, classNames: FashionMNIST.classNames)

        /// The spec matching a data set's images and classes.
        public init(_ data: Dataset) {
            self.init(channels: data.channels, height: data.height, width: data.width, classNames: data.classNames)
        }
    }

    /// A freshly initialised built-in architecture. Throws `DataError(.invalidArgument)` listing the known
    /// names for an unknown one, or saying why the input is too small for it.
    public static func architecture(_ name: String, input spec: InputSpec = .fashionMNIST, seed: UInt64 = 0) throws -> Model {
        switch name {
        case "fashion-cnn": return try fashionCNN(spec, seed: seed)
        case "lenet": return try lenet(spec, seed: seed)
        case "mlp": return try mlp(spec, seed: seed)
        case "random-multiscale": return try randomMultiscale(seed: seed)
        default:
            throw DataError(.invalidArgument, "unknown architecture \"\(name)\"; architectures are: \(architectureNames.joined(separator: ", "))")
        }
    }

    /// Preprocessing for a data set: Fashion-MNIST statistics for 1×28×28 ten-class data, else 0.5/0.5
    /// (maps [0, 1] to [−1, 1]) per channel.
    static func preprocessing(for spec: InputSpec) -> Preprocessing {
        if spec == .fashionMNIST { return .fashionMNIST() }
        return Preprocessing(channels: spec.channels, inputHeight: spec.height, inputWidth: spec.width,
                             mean: [Float](repeating: 0.5, count: spec.channels),
                             std: [Float](repeating: 0.5, count: spec.channels), classNames: spec.classNames)
    }

    private static func requireClasses(_ spec: InputSpec, _ name: String) throws {
        guard spec.classNames.count >= 2 else {
            throw DataError(.invalidArgument, "\(name) needs at least 2 classes, the data has \(spec.classNames.count)")
        }
    }

    /// conv1(C→32, 3×3, pad 1) relu1 pool1 · conv2(32→64, 3×3, pad 1) relu2 pool2 · flatten ·
    /// fc1(64·⌊H/4⌋·⌊W/4⌋ → 128) relu3 · fc2(128 → classes). About 420 k parameters at 28×28; ≥ 90 % on
    /// Fashion-MNIST after two epochs of Adam.
    static func fashionCNN(_ spec: InputSpec, seed: UInt64) throws -> Model {
        try requireClasses(spec, "fashion-cnn")
        guard spec.height >= 4, spec.width >= 4 else {
            throw DataError(.invalidArgument, "fashion-cnn needs images of at least 4×4, got \(spec.height)×\(spec.width)")
        }
        var b = try LayerBuilder(input: "input", shape: [nil, spec.channels, spec.height, spec.width], seed: seed)
        try b.conv("conv1", spec.channels, 32, kernel: 3, padding: 1)
        try b.relu("relu1")
        try b.maxPool("pool1")
        try b.conv("conv2", 32, 64, kernel: 3, padding: 1)
        try b.relu("relu2")
        try b.maxPool("pool2")
        try b.flatten("flatten")
        try b.linear("fc1", 64 * (spec.height / 4) * (spec.width / 4), 128)
        try b.relu("relu3")
        try b.linear("fc2", 128, spec.classNames.count)
        return Model(name: "fashion-cnn", graph: try b.finished(), preprocessing: preprocessing(for: spec),
                     architecture: "fashion-cnn", styleLayers: ["relu1", "relu2"], contentLayer: "relu2")
    }

    /// LeNet-5 as in most tutorials: conv1(C→6, 5×5, pad 2) relu1 pool1 · conv2(6→16, 5×5) relu2 pool2 ·
    /// flatten · fc1(→120) relu3 · fc2(120→84) relu4 · fc3(84→classes).
    static func lenet(_ spec: InputSpec, seed: UInt64) throws -> Model {
        try requireClasses(spec, "lenet")
        let h = (spec.height / 2 - 4) / 2, w = (spec.width / 2 - 4) / 2
        guard h >= 1, w >= 1 else {
            throw DataError(.invalidArgument, "lenet needs images of at least 12×12, got \(spec.height)×\(spec.width)")
        }
        var b = try LayerBuilder(input: "input", shape: [nil, spec.channels, spec.height, spec.width], seed: seed)
        try b.conv("conv1", spec.channels, 6, kernel: 5, padding: 2)
        try b.relu("relu1")
        try b.maxPool("pool1")
        try b.conv("conv2", 6, 16, kernel: 5)
        try b.relu("relu2")
        try b.maxPool("pool2")
        try b.flatten("flatten")
        try b.linear("fc1", 16 * h * w, 120)
        try b.relu("relu3")
        try b.linear("fc2", 120, 84)
        try b.relu("relu4")
        try b.linear("fc3", 84, spec.classNames.count)
        return Model(name: "lenet", graph: try b.finished(), preprocessing: preprocessing(for: spec),
                     architecture: "lenet", styleLayers: ["relu1", "relu2"], contentLayer: "relu2")
    }

    /// A two-layer perceptron: flatten · fc1(C·H·W → 256) relu1 · fc2(256 → classes).
    static func mlp(_ spec: InputSpec, seed: UInt64) throws -> Model {
        try requireClasses(spec, "mlp")
        var b = try LayerBuilder(input: "input", shape: [nil, spec.channels, spec.height, spec.width], seed: seed)
        try b.flatten("flatten")
        try b.linear("fc1", spec.channels * spec.height * spec.width, 256)
        try b.relu("relu1")
        try b.linear("fc2", 256, spec.classNames.count)
        return Model(name: "mlp", graph: try b.finished(), preprocessing: preprocessing(for: spec), architecture: "mlp")
    }
}
