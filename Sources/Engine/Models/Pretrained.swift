import Foundation

/// `model("fashion-cnn")`: the built-in CNN trained by the kernel's own `Trainer` on Fashion-MNIST with a
/// fixed seed, the first time it is asked for, then cached on disk as safetensors
/// (`$FOVEA_CACHE` or `~/.cache/fovea`, file `fashion-cnn-<hash>.safetensors`, written atomically).
/// The hash covers the recipe (architecture version, training options) so changing it retrains.
extension Model {
    /// The recipe that makes the cached fashion-cnn: three epochs of Adam, the learning rate halved after each
    /// epoch. (Two epochs at a constant 1e-3 stopped at 89.9 % test accuracy.)
    public static let fashionCNNRecipe = TrainingOptions(epochs: 3, batchSize: 64, learningRate: 1e-3,
                                                         optimizer: .adam(), seed: 0, learningRateDecay: 0.5)
    /// Bump when the architecture or its initialisation changes, so old caches are not reused.
    static let fashionCNNRecipeVersion = "fashion-cnn v1; init seed 0"

    /// Where trained weights are cached.
    public static var cacheDirectory: String {
        if let custom = ProcessInfo.processInfo.environment["FOVEA_CACHE"], !custom.isEmpty { return custom }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/fovea").path
    }

    /// The cache file for the fashion-cnn recipe.
    public static var fashionCNNCachePath: String {
        let recipe = "\(fashionCNNRecipeVersion); \(fashionCNNRecipe)"
        return "\(cacheDirectory)/fashion-cnn-\(String(fnv1a(recipe), radix: 16)).safetensors"
    }

    /// A model by its built-in name: `"fashion-cnn"` (trained, cached), or a fresh `"lenet"`, `"mlp"`,
    /// `"random-multiscale"` (seeded with `seed`). First use of fashion-cnn trains it (about a minute in a
    /// release build on 2 cores), reporting `progress`; an interrupt throws `Interrupted` and caches nothing.
    public static func named(_ name: String, seed: UInt64 = 0, progress: ((TrainingProgress) -> Void)? = nil,
                             interruption: Interruption? = nil) throws -> Model {
        if name == "fashion-cnn" { return try pretrainedFashionCNN(progress: progress, interruption: interruption) }
        return try architecture(name, seed: seed)
    }

    /// Loads fashion-cnn from the cache, or trains and caches it.
    public static func pretrainedFashionCNN(progress: ((TrainingProgress) -> Void)? = nil,
                                            interruption: Interruption? = nil) throws -> Model {
        let path = fashionCNNCachePath
        if FileManager.default.fileExists(atPath: path), let cached = try? Model.load(weights: path, architecture: "fashion-cnn") {
            return cached
        }
        let train = try Dataset.load("fashion-mnist", split: "train")
        let fresh = try architecture("fashion-cnn", seed: 0)
        let result = try Trainer.train(fresh, on: train, options: fashionCNNRecipe, progress: progress, interruption: interruption)
        if result.interrupted { throw Interrupted("interrupted while training fashion-cnn; nothing was cached") }
        var notes = ["fovea.recipe": "\(fashionCNNRecipeVersion); \(fashionCNNRecipe)",
                     "fovea.training_seconds": String(format: "%.1f", result.seconds)]
        if let last = result.history.last { notes["fovea.train_accuracy"] = String(format: "%.4f", last.accuracy) }
        // A cache that cannot be written (read-only home) is not an error: the model is still usable.
        try? result.model.saveWeights(to: path, notes: notes)
        return result.model
    }

    /// 64-bit FNV-1a: a stable, dependency-free hash for cache file names (not for security).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
