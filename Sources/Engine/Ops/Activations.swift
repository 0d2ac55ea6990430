import Foundation

/// Output shape = shape of input 0, for element-wise unary ops.
func sameShapeAsFirst(_ shapes: [[Int]?]) throws -> [[Int]] { [try shapes.required(0)] }

/// Elements per core below which an element-wise kernel stays on one thread (a dispatch costs a few µs).
let elementwiseGrain = 32_768

/// dst[i] = src[i] > 0 ? src[i] : 0 (NaN → 0) over `range`, eight lanes at a time. Explicit vectors: the scalar
/// select compiled to a branch per element, mispredicted on about half the units.
@inline(__always)
func rectify(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
    var i = range.lowerBound
    while i + 8 <= range.upperBound {
        var v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
        v.replace(with: 0, where: .!(v .> 0))
        UnsafeMutableRawPointer(dst + i).storeBytes(of: v, as: SIMD8<Float>.self)
        i += 8
    }
    while i < range.upperBound {
        dst[i] = src[i] > 0 ? src[i] : 0
        i += 1
    }
}

/// A rectifier's backward rule in place on `grad` over `range`, given the forward output `y` (active ⇔ y > 0).
@inline(__always)
func gateGradient(
    _ grad: UnsafeMutablePointer<Float>, by y: UnsafePointer<Float>, _ range: Range<Int>, rule: ReluBackwardRule
) {
    gatedCopy(grad, into: grad, by: y, range, rule: rule)
}

/// dst[i] = src[i] under a rectifier's backward rule given the forward output `y` (active ⇔ y > 0), over `range`,
/// eight lanes at a time (see `rectify`); `src` may be `dst`. A split gradient's piece is gated as it is copied.
@inline(__always)
func gatedCopy(
    _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, by y: UnsafePointer<Float>, _ range: Range<Int>,
    rule: ReluBackwardRule
) {
    var i = range.lowerBound
    while i + 8 <= range.upperBound {
        let active = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self) .> 0
        var g = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
        switch rule {
        case .plain: g.replace(with: 0, where: .!active)
        case .guided: g.replace(with: 0, where: .!(active .& (g .> 0)))
        case .deconvnet: g.replace(with: 0, where: .!(g .> 0))
        }
        UnsafeMutableRawPointer(dst + i).storeBytes(of: g, as: SIMD8<Float>.self)
        i += 8
    }
    while i < range.upperBound {
        dst[i] = rectifierGradient(src[i], active: y[i] > 0, rule: rule)
        i += 1
    }
}

/// Applies a rectifier backward rule given the forward "active" mask and the upstream gradient.
@inline(__always)
func rectifierGradient(_ g: Float, active: Bool, rule: ReluBackwardRule) -> Float {
    switch rule {
    case .plain: return active ? g : 0
    case .guided: return active && g > 0 ? g : 0
    case .deconvnet: return g > 0 ? g : 0
    }
}

/// y = max(x, 0). Backward follows the pass's `ReluBackwardRule` (plain: g where x > 0, as PyTorch).
public struct Relu: Operator {
    public var opType: String { "Relu" }
    public init() {}
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] { try sameShapeAsFirst(shapes) }
    /// Writes into fresh storage (mapping a copy would write it twice), split between the cores.
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        var y = Tensor(uninitializedShape: x.shape)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                let (src, dst) = (xs.baseAddress!, ys.baseAddress!)
                BatchParallel.split(xs.count, grain: elementwiseGrain) { range in
                    rectify(src, into: dst, range)
                }
            }
        }
        return [y]
    }
    /// Reads the output only (y > 0 ⇔ x > 0), so the input can be freed after the forward pass. Overwrites the
    /// incoming gradient in place when the graph hands it over.
    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        var g = c.takeOutputGradient()
        let y = c.outputs[0]
        let rule = c.reluRule
        y.withUnsafeBufferPointer { ys in
            g.withUnsafeMutableBufferPointer { gs in
                let (mask, grad) = (ys.baseAddress!, gs.baseAddress!)
                BatchParallel.split(gs.count, grain: elementwiseGrain) { range in
                    gateGradient(grad, by: mask, range, rule: rule)
                }
            }
        }
        return [g]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { false }
}

/// y = x for x > 0, alpha·x otherwise (ONNX default alpha 0.01). Not a rectifier for backward rules.
public struct LeakyRelu: Operator {
    public var alpha: Float
    public var opType: String { "LeakyRelu" }
    public init(alpha: Float = 0.01) { self.alpha = alpha }
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] { try sameShapeAsFirst(shapes) }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let a = alpha
        return [try inputs.required(0).map { $0 > 0 ? $0 : a * $0 }]
    }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        let a = alpha
        return [c.outputGradient().zipMap(try c.input(0)) { g, x in x > 0 ? g : a * g }]
    }
}

/// y = min(max(x, min), max). Bounds come from inputs 1 and 2 when present (opset ≥ 11), else from the
/// attributes (opset < 11); absent bounds are ±∞. Gradient flows where min < x < max (PyTorch's hardtanh,
/// hence ReLU6). With min = 0 the op is a rectifier and follows the `ReluBackwardRule`.
public struct Clip: Operator {
    public var min: Float
    public var max: Float
    public var opType: String { "Clip" }
    public init(min: Float = -.infinity, max: Float = .infinity) {
        self.min = min
        self.max = max
    }

    func bounds(_ inputs: [Tensor?]) -> (Float, Float) {
        (inputs.optional(1)?.scalar ?? min, inputs.optional(2)?.scalar ?? max)
    }

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] { try sameShapeAsFirst(shapes) }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let (lo, hi) = bounds(inputs)
        return [try inputs.required(0).map { Swift.min(Swift.max($0, lo), hi) }]
    }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        let (lo, hi) = bounds(c.inputs)
        let rule: ReluBackwardRule = lo == 0 ? c.reluRule : .plain
        // lo < y < hi ⇔ lo < x < hi, so only the output is needed.
        let gx = c.outputGradient().zipMap(c.outputs[0]) { g, y in
            rectifierGradient(g, active: y > lo && y < hi, rule: rule)
        }
        return [gx, nil, nil]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { i > 0 }
}

/// y = 1 / (1 + e^(−x)); dy/dx = y(1 − y).
public struct Sigmoid: Operator {
    public var opType: String { "Sigmoid" }
    public init() {}
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] { try sameShapeAsFirst(shapes) }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        [
            try inputs.required(0).map { x in
                x >= 0 ? 1 / (1 + expf(-x)) : expf(x) / (1 + expf(x))
            }
        ]
    }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        [c.outputGradient().zipMap(c.outputs[0]) { g, y in g * y * (1 - y) }]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { false }
}

/// y = tanh(x); dy/dx = 1 − y².
public struct Tanh: Operator {
    public var opType: String { "Tanh" }
    public init() {}
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] { try sameShapeAsFirst(shapes) }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] { [try inputs.required(0).map { tanhf($0) }] }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        [c.outputGradient().zipMap(c.outputs[0]) { g, y in g * (1 - y * y) }]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { false }
}

/// y = x.
public struct Identity: Operator {
    public var opType: String { "Identity" }
    public init() {}
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] { try sameShapeAsFirst(shapes) }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] { [try inputs.required(0)] }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] { [c.outputGradient()] }
    public func backwardReadsInput(_ i: Int) -> Bool { false }
    public var backwardReadsOutputs: Bool { false }
}

/// Dropout at inference: y = x (ratio and training-mode inputs are ignored; the optional mask output is all
/// ones).
public struct Dropout: Operator {
    public var ratio: Float
    public var opType: String { "Dropout" }
    public init(ratio: Float = 0.5) { self.ratio = ratio }
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let s = try shapes.required(0)
        return [s, s]
    }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        return [x, Tensor.ones(x.shape)]
    }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] { [c.outputGradient(), nil, nil] }
    public func backwardReadsInput(_ i: Int) -> Bool { false }
    public var backwardReadsOutputs: Bool { false }
}
