/// A snapshot that iterative experiments hand to their caller after each step; the language layer decides
/// how often to show it (throttled display updates), the engine only reports.
public struct OptimisationProgress: Sendable {
    public var step: Int
    public var total: Int
    /// Named loss terms or scores at this step (e.g. "score", "loss", "content", "style").
    public var values: [(name: String, value: Float)]
    /// The current input-space image `[1, C, H, W]`, when the experiment optimises one.
    public var image: Tensor?
    public init(step: Int, total: Int, values: [(name: String, value: Float)], image: Tensor? = nil) {
        self.step = step
        self.total = total
        self.values = values
        self.image = image
    }
}

public typealias ProgressHandler = (OptimisationProgress) -> Void
