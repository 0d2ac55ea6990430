/// How gradients pass backwards through a rectifier (`Relu`, and `Clip` with min 0 such as ReLU6).
/// With forward input x, upstream gradient g:
/// - `plain`:     g · 1[x in the open active range]  (the true gradient)
/// - `guided`:    g · 1[active] · 1[g > 0]           (guided backpropagation, Springenberg et al. 2015)
/// - `deconvnet`: g · 1[g > 0]                       (Zeiler & Fergus 2014: ignores the forward mask)
/// These match Captum's `GuidedBackprop` (relu of the plain gradient) and `Deconvolution` (relu of g).
public enum ReluBackwardRule: String, Sendable, CaseIterable {
    case plain, guided, deconvnet
}

/// Everything an operator's backward pass may need. Inputs and outputs are those of the forward pass.
public struct BackwardContext {
    /// Forward inputs in node order; `nil` for an absent optional input.
    public var inputs: [Tensor?]
    /// Forward outputs in node order.
    public var outputs: [Tensor]
    /// Gradient of the objective with respect to each output; `nil` means zero (nothing flowed back), or that
    /// the graph handed the gradient over (`handoff`): read them through `outputGradient(_:)`.
    public var outputGradients: [Tensor?]
    /// Output gradients nobody else holds (the graph drops its own reference once the node has run), which an
    /// op may take with `takeOutputGradient(_:)` and overwrite in place instead of copying.
    let handoff: GradientHandoff?
    /// Which inputs want a gradient: skip the work (e.g. weight gradients during saliency) for the others.
    public var needsInputGradient: [Bool]
    /// The rectifier rule in force for this backward pass.
    public var reluRule: ReluBackwardRule
    /// Shapes of the forward inputs (always known, even when the contents were not retained).
    public var inputShapes: [[Int]?]
    /// Shapes of the forward outputs.
    public var outputShapes: [[Int]]
    /// What the op's `forwardRecordingState` kept for this backward pass (nil when the forward pass did not
    /// record it, e.g. a context built by hand): the op then recomputes it.
    public internal(set) var state: (any Sendable)?

    /// Inputs or outputs the op declared it does not read (`backwardReadsInput`, `backwardReadsOutputs`) may
    /// be `nil` / empty placeholders; their shapes are always given (derived from the tensors when omitted).
    public init(
        inputs: [Tensor?], outputs: [Tensor], outputGradients: [Tensor?], needsInputGradient: [Bool],
        reluRule: ReluBackwardRule = .plain, inputShapes: [[Int]?]? = nil, outputShapes: [[Int]]? = nil
    ) {
        self.inputs = inputs
        self.outputs = outputs
        self.outputGradients = outputGradients
        handoff = nil
        self.needsInputGradient = needsInputGradient
        self.reluRule = reluRule
        self.inputShapes = inputShapes ?? inputs.map { $0?.shape }
        self.outputShapes = outputShapes ?? outputs.map(\.shape)
    }

    /// Shape of forward input `i`, or a `ShapeError` if it was absent.
    public func inputShape(_ i: Int) throws -> [Int] {
        guard i < inputShapes.count, let s = inputShapes[i] else { throw ShapeError("missing input \(i)") }
        return s
    }

    /// Forward input `i`, or a `ShapeError` if it was absent.
    public func input(_ i: Int) throws -> Tensor {
        guard i < inputs.count, let t = inputs[i] else { throw ShapeError("missing input \(i)") }
        return t
    }

    /// Whether input `i` wants a gradient.
    public func needs(_ i: Int) -> Bool { i < needsInputGradient.count && needsInputGradient[i] }

    /// The context the graph builds: gradients in `handoff` are the only references left.
    init(
        inputs: [Tensor?], outputs: [Tensor], handoff: GradientHandoff, needsInputGradient: [Bool],
        reluRule: ReluBackwardRule, inputShapes: [[Int]?], outputShapes: [[Int]], state: (any Sendable)?
    ) {
        self.inputs = inputs
        self.outputs = outputs
        outputGradients = handoff.tensors.map { _ in nil }
        self.handoff = handoff
        self.needsInputGradient = needsInputGradient
        self.reluRule = reluRule
        self.inputShapes = inputShapes
        self.outputShapes = outputShapes
        self.state = state
    }

    /// Gradient of output `i`, materialised as zeros when nothing flowed back.
    public func outputGradient(_ i: Int = 0) -> Tensor {
        handoff?.tensors[i] ?? outputGradients[i] ?? Tensor.zeros(outputShapes[i])
    }

    /// Gradient of output `i` for an op that overwrites it: when the graph handed it over, the caller gets the
    /// only reference (so writing does not copy) and later reads of that output's gradient see zeros.
    public func takeOutputGradient(_ i: Int = 0) -> Tensor {
        if let handoff, let gradient = handoff.tensors[i] {
            handoff.tensors[i] = nil
            return gradient
        }
        return outputGradient(i)
    }
}

/// Output gradients moved from the graph's table into a node's backward context (see `BackwardContext.handoff`).
final class GradientHandoff {
    var tensors: [Tensor?]
    init(_ tensors: [Tensor?]) { self.tensors = tensors }
}

/// A differentiable operation with ONNX semantics; graph nodes hold one each.
///
/// Each conforming type keeps its gradient rule (`backward`) next to its forward pass. Operators are values
/// holding only attributes (strides, axis, …); parameters such as weights arrive as inputs, so the same op
/// serves inference, saliency and training. Absent optional inputs arrive as `nil`.
public protocol Operator: Sendable {
    /// The ONNX operator type this implements, e.g. `"Conv"`.
    var opType: String { get }

    /// Output shapes for the given input shapes (`nil` for absent inputs). `values` holds the contents of
    /// inputs known before running (initializers, constants, folded shape arithmetic) for ops whose output
    /// shape depends on data (Reshape's shape input, Pad's pads…). Throws `ShapeError` on a mismatch.
    func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]]

    /// Computes the outputs. Throws `ShapeError` on inputs the op cannot take.
    func forward(_ inputs: [Tensor?]) throws -> [Tensor]

    /// `forward` in a pass recorded for backward (`Graph.forward`), plus anything the backward pass can reuse
    /// rather than recompute (MaxPool: which element each window picked), handed back as
    /// `BackwardContext.state`. Default: `forward`, nothing kept.
    func forwardRecordingState(_ inputs: [Tensor?]) throws -> (outputs: [Tensor], state: (any Sendable)?)

    /// Gradients for each input (same order, `nil` where not needed or not differentiable).
    func backward(_ context: BackwardContext) throws -> [Tensor?]

    /// Whether `backward` reads the contents of input `i` (not just its shape). A forward pass that only
    /// keeps what backward needs drops the rest (default: true).
    func backwardReadsInput(_ i: Int) -> Bool

    /// Whether `backward` reads the outputs' contents (default: true).
    var backwardReadsOutputs: Bool { get }
}

extension Operator {
    public func forwardRecordingState(_ inputs: [Tensor?]) throws -> (outputs: [Tensor], state: (any Sendable)?) {
        (try forward(inputs), nil)
    }
    public func backwardReadsInput(_ i: Int) -> Bool { true }
    public var backwardReadsOutputs: Bool { true }
}

extension Array where Element == Tensor? {
    /// Input `i` of an op, or a `ShapeError` naming what's missing.
    public func required(_ i: Int, _ what: String = "input") throws -> Tensor {
        guard i < count, let t = self[i] else { throw ShapeError("missing \(what) (input \(i))") }
        return t
    }

    /// Input `i` if present.
    public func optional(_ i: Int) -> Tensor? { i < count ? self[i] : nil }
}

extension Array where Element == [Int]? {
    /// Shape of input `i`, or a `ShapeError` naming what's missing.
    public func required(_ i: Int, _ what: String = "input") throws -> [Int] {
        guard i < count, let s = self[i] else { throw ShapeError("missing \(what) (input \(i))") }
        return s
    }
}
