/// Operators that PyTorch's exporter emits around shape arithmetic (`F.pad`, `view`) rather than as
/// layers: Cast, ConstantOfShape and Slice. The importer folds them whenever their inputs are constants,
/// so they rarely reach a graph; they are full operators (with gradients) for the cases that do.

/// ONNX Cast. The engine stores everything as float32, so a cast only changes values when the target
/// is an integer type (truncation toward zero, as C casts do) or bool (non-zero → 1).
struct ONNXCast: Operator {
    enum Target: Sendable { case float, integer, bool }
    var target: Target
    var opType: String { "Cast" }

    init(to: Int, reader: ONNXNodeReader) throws {
        switch Onnx_TensorProto.DataType(rawValue: to) {
        case .float?, .double?, .float16?, .bfloat16?: target = .float
        case .int8?, .int16?, .int32?, .int64?, .uint8?, .uint16?, .uint32?, .uint64?: target = .integer
        case .bool?: target = .bool
        default: throw reader.error(.unsupported, "Cast to data type \(to) is not supported (supported: numeric types)")
        }
    }

    func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] { [try shapes.required(0)] }

    func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        switch target {
        case .float: return [x]
        case .integer: return [x.map { $0.rounded(.towardZero) }]
        case .bool: return [x.map { $0 != 0 ? 1 : 0 }]
        }
    }

    func backward(_ c: BackwardContext) throws -> [Tensor?] {
        target == .float ? [c.outputGradient()] : [nil]
    }
}

/// ONNX ConstantOfShape: a tensor of the shape given by input 0, filled with `value`.
struct ONNXConstantOfShape: Operator {
    var value: Float
    var opType: String { "ConstantOfShape" }

    func shape(_ spec: Tensor?) throws -> [Int] {
        guard let spec else { throw ShapeError("ConstantOfShape: the shape is not known before running") }
        let dims = try integers(spec)
        guard dims.allSatisfy({ $0 >= 0 }) else { throw ShapeError("ConstantOfShape: negative extent in \(dims)") }
        return dims
    }

    func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] { [try shape(values.optional(0))] }

    func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        [Tensor(shape: try shape(try inputs.required(0)), repeating: value)]
    }

    func backward(_ c: BackwardContext) throws -> [Tensor?] { [nil] }
}

/// ONNX Slice with constant starts/ends/axes/steps (attributes before opset 10, inputs after; the
/// importer passes them as these fields). Out-of-range bounds are clamped as the ONNX spec says.
struct ONNXSlice: Operator {
    var starts: [Int]
    var ends: [Int]
    var axes: [Int]?
    var steps: [Int]?
    var opType: String { "Slice" }

    /// A float from an int64 tensor as an Int; INT64_MAX/MIN sentinels (which float32 cannot hold exactly)
    /// saturate instead of trapping.
    static func clampedInt(_ value: Float) -> Int {
        if value.isNaN { return 0 }
        if value >= 9.2e18 { return Int.max / 2 }
        if value <= -9.2e18 { return Int.min / 2 }
        return Int(value)
    }

    /// Per input axis: first index, step and number of elements taken.
    func plan(_ shape: [Int]) throws -> [(start: Int, step: Int, count: Int)] {
        var plan = shape.map { (start: 0, step: 1, count: $0) }
        let axisList = axes ?? Array(0..<starts.count)
        guard starts.count == ends.count, axisList.count == starts.count, steps.map({ $0.count == starts.count }) ?? true
        else { throw ShapeError("Slice: starts, ends, axes and steps differ in length") }
        for (k, rawAxis) in axisList.enumerated() {
            let axis = try Tensor.normalizedAxis(rawAxis, rank: shape.count)
            let n = shape[axis]
            let step = steps?[k] ?? 1
            guard step != 0 else { throw ShapeError("Slice: step 0") }
            var start = starts[k] < 0 ? starts[k] + n : starts[k]
            var end = ends[k] < 0 ? ends[k] + n : ends[k]
            if step > 0 {
                start = min(max(start, 0), n)
                end = min(max(end, 0), n)
                plan[axis] = (start, step, end > start ? (end - start + step - 1) / step : 0)
            } else {
                start = min(max(start, 0), n - 1)
                end = min(max(end, -1), n - 1)
                plan[axis] = (start, step, start > end ? (start - end - step - 1) / -step : 0)
            }
        }
        return plan
    }

    func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        [try plan(try shapes.required(0)).map(\.count)]
    }

    /// Calls `body(sourceIndex, destinationIndex)` for every element taken, in row-major output order.
    private func forEachElement(_ shape: [Int], _ plan: [(start: Int, step: Int, count: Int)],
                                _ body: (Int, Int) -> Void) {
        let outShape = plan.map(\.count)
        let total = Tensor.count(of: outShape)
        guard total > 0 else { return }
        let strides = Tensor.strides(of: shape)
        var index = [Int](repeating: 0, count: shape.count)
        for destination in 0..<total {
            var source = 0
            for a in 0..<shape.count { source += (plan[a].start + index[a] * plan[a].step) * strides[a] }
            body(source, destination)
            advanceOdometer(&index, extents: outShape, lastAxis: shape.count - 1)
        }
    }

    func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        let p = try plan(x.shape)
        var out = Tensor.zeros(p.map(\.count))
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in forEachElement(x.shape, p) { s, d in dst[d] = src[s] } }
        }
        return [out]
    }

    func backward(_ c: BackwardContext) throws -> [Tensor?] {
        let shape = try c.input(0).shape
        let p = try plan(shape)
        let g = c.outputGradient()
        var gx = Tensor.zeros(shape)
        g.withUnsafeBufferPointer { src in
            gx.withUnsafeMutableBufferPointer { dst in forEachElement(shape, p) { s, d in dst[s] += src[d] } }
        }
        return [gx]
    }
}
