/// Whether the calling thread runs a training step, whose kernels may trade per-image bytes for speed.
///
/// Attribution needs an image's result to be the same bytes whatever batch it is in (occlusion at any batch size),
/// so the ordinary kernels compute each image alone. A training step only needs to be deterministic: the same
/// batch gives the same bytes, which lets it add a convolution's bias before the products, sum weight gradients
/// over several images in one GEMM (`ConvMinibatch`), and split the fully connected layers' GEMMs between the
/// cores itself (`Gemm`). `Trainer` sets the flag around each step's forward and backward pass.
enum TrainingKernels {
    private static let flag = ThreadLocalFlag()

    /// Runs `body` (a training step) with the training kernels allowed on this thread.
    static func allowing<R>(_ body: () throws -> R) rethrows -> R { try flag.withSet(body) }

    /// True inside `allowing` on this thread.
    static var areAllowed: Bool { flag.isSet }
}
