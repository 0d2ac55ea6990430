/// Shared body of Add, Sub, Mul, Div: NumPy broadcasting forward; backward reduces each input's gradient
/// over its broadcast axes (`sumToShape`).
protocol BroadcastingBinary: Operator {
    var operation: BinaryOperation { get }
}

extension BroadcastingBinary {
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        [try Broadcast.shape(try shapes.required(0), try shapes.required(1))]
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        [try inputs.required(0).combined(with: try inputs.required(1), operation)]
    }

    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        let aShape = try c.inputShape(0), bShape = try c.inputShape(1)
        let g = c.outputGradient()
        var ga: Tensor?, gb: Tensor?
        switch operation {
        case .add:
            if c.needs(0) { ga = g.sumToShape(aShape) }
            if c.needs(1) { gb = g.sumToShape(bShape) }
        case .subtract:
            if c.needs(0) { ga = g.sumToShape(aShape) }
            if c.needs(1) { gb = (-g).sumToShape(bShape) }
        case .multiply:
            if c.needs(0) { ga = try g.combined(with: try c.input(1), .multiply).sumToShape(aShape) }
            if c.needs(1) { gb = try g.combined(with: try c.input(0), .multiply).sumToShape(bShape) }
        case .divide:
            // d(a/b)/da = 1/b, d(a/b)/db = −a/b² = −y/b.
            let b = try c.input(1)
            if c.needs(0) { ga = try g.combined(with: b, .divide).sumToShape(aShape) }
            if c.needs(1) {
                let gy = try g.combined(with: c.outputs[0], .multiply)
                gb = (-(try gy.combined(with: b, .divide))).sumToShape(bShape)
            }
        }
        return [ga, gb]
    }

    /// Add and Sub need only shapes; Mul needs both inputs; Div needs B and the output.
    public func backwardReadsInput(_ i: Int) -> Bool {
        switch operation {
        case .add, .subtract: return false
        case .multiply: return true
        case .divide: return i == 1
        }
    }
    public var backwardReadsOutputs: Bool { operation == .divide }
}

/// C = A + B (broadcasting).
public struct Add: BroadcastingBinary {
    public var opType: String { "Add" }
    var operation: BinaryOperation { .add }
    public init() {}
}

/// C = A − B (broadcasting).
public struct Sub: BroadcastingBinary {
    public var opType: String { "Sub" }
    var operation: BinaryOperation { .subtract }
    public init() {}
}

/// C = A · B element-wise (broadcasting).
public struct Mul: BroadcastingBinary {
    public var opType: String { "Mul" }
    var operation: BinaryOperation { .multiply }
    public init() {}
}

/// C = A / B element-wise (broadcasting).
public struct Div: BroadcastingBinary {
    public var opType: String { "Div" }
    var operation: BinaryOperation { .divide }
    public init() {}
}
