import Foundation

/// Which optimiser `train` uses and its hyper-parameters (PyTorch names and defaults).
public enum OptimizerChoice: Sendable, Equatable {
    case sgd(momentum: Float = 0.9, weightDecay: Float = 0, nesterov: Bool = false)
    case adam(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0)

    func make(learningRate: Float) -> any Optimizer {
        switch self {
        case let .sgd(momentum, weightDecay, nesterov):
            return SGD(learningRate: learningRate, momentum: momentum, weightDecay: weightDecay, nesterov: nesterov)
        case let .adam(beta1, beta2, epsilon, weightDecay):
            return Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
        }
    }
}

/// Everything that determines a training run; the same options and data give the same weights, bit for bit.
public struct TrainingOptions: Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var optimizer: OptimizerChoice
    /// Seeds the shuffle of every epoch (epoch e uses seed·1_000_003 + e).
    public var seed: UInt64
    /// Multiplies the learning rate after every epoch (PyTorch `StepLR(step_size=1, gamma=…)`); 1 keeps it fixed.
    public var learningRateDecay: Float

    public init(epochs: Int = 2, batchSize: Int = 64, learningRate: Float = 1e-3, optimizer: OptimizerChoice = .adam(),
                seed: UInt64 = 0, learningRateDecay: Float = 1) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.seed = seed
        self.learningRateDecay = learningRateDecay
    }

    func validate() throws {
        guard epochs >= 1 else { throw DataError(.invalidArgument, "epochs must be ≥ 1, got \(epochs)") }
        guard batchSize >= 1 else { throw DataError(.invalidArgument, "batch must be ≥ 1, got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else {
            throw DataError(.invalidArgument, "lr must be a positive number, got \(learningRate)")
        }
        guard learningRateDecay > 0, learningRateDecay <= 1 else {
            throw DataError(.invalidArgument, "learning-rate decay must be in (0, 1], got \(learningRateDecay)")
        }
    }
}

/// One progress report, sent after every batch (the language layer throttles what it displays).
public struct TrainingProgress: Sendable, Equatable {
    /// 1-based epoch and batch within the epoch.
    public var epoch: Int
    public var epochs: Int
    public var batch: Int
    public var batches: Int
    /// Mean loss and accuracy over the batches of this epoch so far.
    public var loss: Float
    public var accuracy: Float
    /// Seconds since training started.
    public var elapsed: Double
}

/// Per-epoch numbers and the final weights. `interrupted` is true when the user stopped training: the
/// model then holds the weights after the last completed batch.
public struct TrainingResult: Sendable {
    public struct Epoch: Sendable, Equatable {
        public var loss: Float
        public var accuracy: Float
    }

    public var model: Model
    public var history: [Epoch]
    public var interrupted: Bool
    /// Batches completed in total.
    public var batchesDone: Int
    public var seconds: Double
}

/// Mini-batch training of a `Model` on a `Dataset` with softmax cross-entropy.
///
/// Deterministic: batch order comes from the seed, the optimiser visits parameters in name order, and every
/// reduction runs in a fixed order (OpenBLAS splits GEMMs across threads by output block, never by the
/// summed dimension, so results do not depend on timing).
public enum Trainer {
    /// Trains `model` on `data` (pixels in [0, 1], normalised here by the model's preprocessing).
    ///
    /// - `progress` is called after every batch on the calling thread.
    /// - `interruption` is polled every batch; when set, training stops and returns what it has with
    ///   `interrupted == true` (it does not throw, so the weights so far are never lost).
    /// Throws `DataError(.invalidArgument)` when options or data do not fit the model, `GraphError` if the
    /// graph fails.
    public static func train(_ model: Model, on data: Dataset, options: TrainingOptions = TrainingOptions(),
                             progress: ((TrainingProgress) -> Void)? = nil,
                             interruption: Interruption? = nil) throws -> TrainingResult {
        try options.validate()
        try checkCompatible(model, data)
        let start = Date()
        var model = model
        var parameters = model.parameters
        guard !parameters.isEmpty else {
            throw DataError(.invalidArgument, "model \(model.name) has no trainable parameters")
        }
        var optimizer = options.optimizer.make(learningRate: options.learningRate)
        let batches = (data.count + options.batchSize - 1) / options.batchSize
        var history: [TrainingResult.Epoch] = []
        var batchesDone = 0

        func finish(interrupted: Bool) throws -> TrainingResult {
            try model.setParameters(parameters)
            return TrainingResult(model: model, history: history, interrupted: interrupted, batchesDone: batchesDone,
                                  seconds: Date().timeIntervalSince(start))
        }

        for epoch in 1...options.epochs {
            // StepLR: lr · γ^(epoch − 1), computed in Double as PyTorch's scheduler does.
            optimizer.learningRate = Float(Double(options.learningRate) * pow(Double(options.learningRateDecay), Double(epoch - 1)))
            var generator = SeededGenerator(seed: options.seed &* 1_000_003 &+ UInt64(epoch))
            let order = generator.permutation(data.count)
            var lossSum = 0.0, correct = 0, seen = 0
            for batch in 0..<batches {
                if interruption?.isRequested == true { return try finish(interrupted: true) }
                let indices = Array(order[(batch * options.batchSize)..<min(data.count, (batch + 1) * options.batchSize)])
                let (images, labels) = batchTensors(data, indices)
                let (loss, predictions, gradients) = try lossAndGradients(model, parameters, images, labels)
                guard loss.isFinite else {
                    throw DataError(.invalidArgument, "training diverged (loss \(loss)) at epoch \(epoch), batch \(batch + 1); try a smaller lr")
                }
                optimizer.step(&parameters, gradients: gradients)
                batchesDone += 1
                lossSum += Double(loss) * Double(indices.count)
                correct += zip(predictions, indices).filter { $0.0 == data.labels[$0.1] }.count
                seen += indices.count
                progress?(TrainingProgress(epoch: epoch, epochs: options.epochs, batch: batch + 1, batches: batches,
                                           loss: Float(lossSum / Double(seen)), accuracy: Float(correct) / Float(seen),
                                           elapsed: Date().timeIntervalSince(start)))
            }
            history.append(.init(loss: Float(lossSum / Double(max(seen, 1))), accuracy: Float(correct) / Float(max(seen, 1))))
        }
        return try finish(interrupted: false)
    }

    /// One forward and backward pass. Kept in its own function so the forward pass (which references the
    /// parameters) is released before the optimiser updates them in place.
    static func lossAndGradients(_ model: Model, _ parameters: [String: Tensor], _ images: Tensor, _ labels: Tensor)
        throws -> (loss: Float, predictions: [Int], gradients: [String: Tensor]) {
        var graph = model.graph
        for (name, value) in parameters { graph.initializers[name] = value }
        // Deterministic kernels that may round an image differently in another batch (not for attribution).
        return try TrainingKernels.allowing {
            let pass = try graph.forward([model.input: model.preprocessing.normalize(images)], fetch: [model.output])
            guard let logits = pass[model.output] else { throw GraphError("model \(model.name) computed no output") }
            let (loss, gradient) = try SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels)
            guard loss.isFinite, let gradient else { return (loss, [], [:]) }
            let gradients = try pass.backward(from: model.output, gradient: gradient, inputs: false, parameters: true)
            return (loss, logits.argmaxLastAxis(), gradients.parameters)
        }
    }

    /// Accuracy and mean cross-entropy of `model` on `data`, in batches (no gradients).
    public static func evaluate(_ model: Model, on data: Dataset, batchSize: Int = 500,
                                interruption: Interruption? = nil) throws -> (accuracy: Float, loss: Float) {
        try checkCompatible(model, data)
        var correct = 0
        var lossSum = 0.0
        var start = 0
        while start < data.count {
            try interruption?.check()
            let indices = Array(start..<min(data.count, start + batchSize))
            let (images, labels) = batchTensors(data, indices)
            let logits = try model.logits(images)
            let (loss, _) = try SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels, wantGradient: false)
            lossSum += Double(loss) * Double(indices.count)
            correct += zip(logits.argmaxLastAxis(), indices).filter { $0.0 == data.labels[$0.1] }.count
            start += batchSize
        }
        let n = max(data.count, 1)
        return (Float(correct) / Float(n), Float(lossSum / Double(n)))
    }

    /// Images [B, C, H, W] and labels [B] (as exact floats) for the samples at `indices`.
    static func batchTensors(_ data: Dataset, _ indices: [Int]) -> (Tensor, Tensor) {
        var pixels = [Float]()
        pixels.reserveCapacity(indices.count * data.sampleSize)
        for i in indices { pixels.append(contentsOf: data.imagePixels(i)) }
        let images = Tensor(shape: [indices.count, data.channels, data.height, data.width], data: pixels)
        let labels = Tensor(shape: [indices.count], data: indices.map { Float(data.labels[$0]) })
        return (images, labels)
    }

    static func checkCompatible(_ model: Model, _ data: Dataset) throws {
        guard data.count > 0 else { throw DataError(.invalidArgument, "the dataset is empty") }
        guard data.hasLabels else { throw DataError(.invalidArgument, "\(data.name) has no labels to train on") }
        let p = model.preprocessing
        guard data.channels == p.channels else {
            throw DataError(.invalidArgument, "\(model.name) takes \(p.channels)-channel images, the data has \(data.channels)")
        }
        if let h = p.inputHeight, let w = p.inputWidth, h != data.height || w != data.width {
            throw DataError(.invalidArgument, "\(model.name) takes \(h)×\(w) images, the data has \(data.height)×\(data.width)")
        }
        if !p.classNames.isEmpty, let top = data.labels.max(), top >= p.classNames.count {
            throw DataError(.invalidArgument, "\(model.name) has \(p.classNames.count) classes, the data has label \(top)")
        }
    }
}

