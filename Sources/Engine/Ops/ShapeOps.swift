/// Reads an integer list (axes, shape, pads) from a 1-D tensor holding exact integers. Values a model file
/// could hold but no shape can (NaN, ±∞, beyond ±2^31) are a `ShapeError`, not a trap in `Int(_:)`.
func integers(_ t: Tensor) throws -> [Int] {
    try t.scalars.map { v in
        guard v.isFinite, abs(v) < 2_147_483_648 else { throw ShapeError("integer value \(v) is out of range") }
        return Int(v)
    }
}

/// Flattens to 2-D: [d0·…·d(axis−1), d(axis)·…·d(n−1)] (ONNX Flatten; axis may be negative, 0 gives [1, n]).
public struct Flatten: Operator {
    public var axis: Int
    public var opType: String { "Flatten" }
    public init(axis: Int = 1) { self.axis = axis }

    func outShape(_ s: [Int]) throws -> [Int] {
        let a = axis < 0 ? axis + s.count : axis
        guard a >= 0 && a <= s.count else { throw ShapeError("Flatten axis \(axis) out of range for \(s)") }
        return [s[..<a].reduce(1, *), s[a...].reduce(1, *)]
    }
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        [try outShape(try shapes.required(0))]
    }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        return [try x.reshaped(to: try outShape(x.shape))]
    }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        [try c.outputGradient().reshaped(to: try c.inputShape(0))]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { false }
    public var backwardReadsOutputs: Bool { false }
}

/// Reshape with ONNX semantics: the target comes from input 1 (opset ≥ 5) or the `shape` attribute;
/// 0 copies the input's extent at that position (unless `allowZero`), −1 is inferred.
public struct Reshape: Operator {
    public var shape: [Int]?
    public var allowZero: Bool
    public var opType: String { "Reshape" }
    public init(shape: [Int]? = nil, allowZero: Bool = false) {
        self.shape = shape
        self.allowZero = allowZero
    }

    func target(_ input: [Int], _ spec: [Int]) throws -> [Int] {
        var resolved = spec
        for (i, d) in spec.enumerated() where d == 0 && !allowZero {
            guard i < input.count else { throw ShapeError("Reshape: 0 at position \(i) but input is \(input)") }
            resolved[i] = input[i]
        }
        let count = Tensor.count(of: input)
        if let hole = resolved.firstIndex(of: -1) {
            let known = resolved.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            guard known > 0, count % known == 0 else { throw ShapeError("cannot reshape \(input) to \(spec)") }
            resolved[hole] = count / known
        }
        guard Tensor.count(of: resolved) == count, resolved.allSatisfy({ $0 >= 0 }) else {
            throw ShapeError("cannot reshape \(input) to \(spec)")
        }
        return resolved
    }

    func spec(_ second: Tensor?) throws -> [Int] {
        if let second { return try integers(second) }
        guard let shape else { throw ShapeError("Reshape needs a shape input or attribute") }
        return shape
    }

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        if shapes.count > 1, shapes[1] != nil, values.optional(1) == nil {
            throw ShapeError("Reshape: the target shape is not known before running")
        }
        return [try target(try shapes.required(0), try spec(values.optional(1)))]
    }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        return [try x.reshaped(to: try target(x.shape, try spec(inputs.optional(1))))]
    }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        [try c.outputGradient().reshaped(to: try c.inputShape(0)), nil]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { i > 0 }
    public var backwardReadsOutputs: Bool { false }
}

/// Permutes axes (default: reverse them).
public struct Transpose: Operator {
    public var perm: [Int]?
    public var opType: String { "Transpose" }
    public init(perm: [Int]? = nil) { self.perm = perm }

    func permutation(_ rank: Int) -> [Int] { perm ?? Array((0..<rank).reversed()) }
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let s = try shapes.required(0)
        let p = permutation(s.count)
        guard Set(p) == Set(0..<s.count), p.count == s.count else { throw ShapeError("bad perm \(p) for \(s)") }
        return [p.map { s[$0] }]
    }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        return [try x.transposed(permutation(x.rank))]
    }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        let p = permutation(try c.inputShape(0).count)
        var inverse = [Int](repeating: 0, count: p.count)
        for (i, axis) in p.enumerated() { inverse[axis] = i }
        return [try c.outputGradient().transposed(inverse)]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { false }
    public var backwardReadsOutputs: Bool { false }
}

/// Inserts extent-1 axes at `axes` (positions in the output; negative allowed). Axes from input 1
/// (opset ≥ 13) or the attribute.
public struct Unsqueeze: Operator {
    public var axes: [Int]?
    public var opType: String { "Unsqueeze" }
    public init(axes: [Int]? = nil) { self.axes = axes }

    func outShape(_ s: [Int], _ second: Tensor?) throws -> [Int] {
        guard let list = try second.map(integers) ?? axes else { throw ShapeError("Unsqueeze needs axes") }
        let rank = s.count + list.count
        let positions = Set(try list.map { try Tensor.normalizedAxis($0, rank: rank) })
        guard positions.count == list.count else { throw ShapeError("Unsqueeze: repeated axes \(list)") }
        var out: [Int] = []
        var source = s.makeIterator()
        for i in 0..<rank { out.append(positions.contains(i) ? 1 : source.next()!) }
        return out
    }
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        [try outShape(try shapes.required(0), values.optional(1))]
    }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        return [try x.reshaped(to: try outShape(x.shape, inputs.optional(1)))]
    }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        [try c.outputGradient().reshaped(to: try c.inputShape(0)), nil]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { i > 0 }
    public var backwardReadsOutputs: Bool { false }
}

/// Removes extent-1 axes: those listed (input 1 or attribute), else all of them.
public struct Squeeze: Operator {
    public var axes: [Int]?
    public var opType: String { "Squeeze" }
    public init(axes: [Int]? = nil) { self.axes = axes }

    func outShape(_ s: [Int], _ second: Tensor?) throws -> [Int] {
        guard let list = try second.map(integers) ?? axes else { return s.filter { $0 != 1 } }
        let drop = Set(try list.map { try Tensor.normalizedAxis($0, rank: s.count) })
        for a in drop where s[a] != 1 { throw ShapeError("Squeeze: axis \(a) of \(s) is not 1") }
        return s.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
    }
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        [try outShape(try shapes.required(0), values.optional(1))]
    }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try inputs.required(0)
        return [try x.reshaped(to: try outShape(x.shape, inputs.optional(1)))]
    }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        [try c.outputGradient().reshaped(to: try c.inputShape(0)), nil]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { i > 0 }
    public var backwardReadsOutputs: Bool { false }
}

/// Joins all inputs along `axis`; backward splits the gradient.
public struct Concat: Operator {
    public var axis: Int
    public var opType: String { "Concat" }
    public init(axis: Int) { self.axis = axis }

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let list = shapes.compactMap { $0 }
        guard let first = list.first else { throw ShapeError("Concat needs inputs") }
        let a = try Tensor.normalizedAxis(axis, rank: first.count)
        var out = first
        out[a] = 0
        for s in list {
            guard s.count == first.count, (0..<s.count).allSatisfy({ $0 == a || s[$0] == first[$0] }) else {
                throw ShapeError("cannot concatenate \(first) and \(s) along axis \(axis)")
            }
            out[a] += s[a]
        }
        return [out]
    }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        [try Tensor.concatenate(inputs.compactMap { $0 }, axis: axis)]
    }
    /// The gradient split back into the inputs' pieces (`Tensor.split` copies between the cores when large).
    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        let present = c.inputShapes.compactMap { $0 }
        let pieces = try c.outputGradient().split(
            axis: axis,
            sizes: present.map {
                $0[try Tensor.normalizedAxis(axis, rank: $0.count)]
            })
        var it = pieces.makeIterator()
        return c.inputShapes.map { $0 == nil ? nil : it.next() }
    }
    public func backwardReadsInput(_ i: Int) -> Bool { false }
    public var backwardReadsOutputs: Bool { false }
}

/// Gathers slices of input 0 along `axis` at the (integer, possibly negative) indices of input 1:
/// output shape = data[..<axis] + indices.shape + data[(axis+1)...]. Backward scatter-adds.
public struct Gather: Operator {
    public var axis: Int
    public var opType: String { "Gather" }
    public init(axis: Int = 0) { self.axis = axis }

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let d = try shapes.required(0)
        let i = try shapes.required(1, "indices")
        let a = try Tensor.normalizedAxis(axis, rank: d.count)
        return [Array(d[..<a]) + i + Array(d[(a + 1)...])]
    }

    func resolved(_ indices: Tensor, extent: Int) throws -> [Int] {
        try indices.scalars.map { v in
            guard v.isFinite, abs(v) < 2_147_483_648 else { throw ShapeError("Gather index \(v) out of range 0..<\(extent)") }
            let i = Int(v) < 0 ? Int(v) + extent : Int(v)
            guard i >= 0 && i < extent else { throw ShapeError("Gather index \(Int(v)) out of range 0..<\(extent)") }
            return i
        }
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let data = try inputs.required(0)
        let indices = try inputs.required(1, "indices")
        let a = try Tensor.normalizedAxis(axis, rank: data.rank)
        let outer = data.shape[..<a].reduce(1, *)
        let extent = data.shape[a]
        let inner = data.shape[(a + 1)...].reduce(1, *)
        let idx = try resolved(indices, extent: extent)
        var out = Tensor(uninitializedShape: Array(data.shape[..<a]) + indices.shape + Array(data.shape[(a + 1)...]))
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for o in 0..<outer {
                    for (k, i) in idx.enumerated() {
                        (dst.baseAddress! + (o * idx.count + k) * inner)
                            .update(from: src.baseAddress! + (o * extent + i) * inner, count: inner)
                    }
                }
            }
        }
        return [out]
    }

    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        guard c.needs(0) else { return [nil, nil] }
        let dataShape = try c.inputShape(0)
        let indices = try c.input(1)
        let a = try Tensor.normalizedAxis(axis, rank: dataShape.count)
        let outer = dataShape[..<a].reduce(1, *)
        let extent = dataShape[a]
        let inner = dataShape[(a + 1)...].reduce(1, *)
        let idx = try resolved(indices, extent: extent)
        var gx = Tensor.zeros(dataShape)
        c.outputGradient().withUnsafeBufferPointer { g in
            gx.withUnsafeMutableBufferPointer { dst in
                for o in 0..<outer {
                    for (k, i) in idx.enumerated() {
                        let from = g.baseAddress! + (o * idx.count + k) * inner
                        let to = dst.baseAddress! + (o * extent + i) * inner
                        for j in 0..<inner { to[j] += from[j] }
                    }
                }
            }
        }
        return [gx, nil]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { i == 1 }
    public var backwardReadsOutputs: Bool { false }
}

/// A constant tensor (no inputs).
public struct Constant: Operator {
    public var value: Tensor
    public var opType: String { "Constant" }
    public init(_ value: Tensor) { self.value = value }
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] { [value.shape] }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] { [value] }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] { [] }
}

/// The shape of input 0 as a 1-D tensor (ONNX Shape, with optional start/end). Not differentiable.
public struct Shape: Operator {
    public var start: Int
    public var end: Int?
    public var opType: String { "Shape" }
    public init(start: Int = 0, end: Int? = nil) {
        self.start = start
        self.end = end
    }

    func shapeTensor(for s: [Int]) -> Tensor {
        let r = s.count
        let lo = Swift.min(Swift.max(start < 0 ? start + r : start, 0), r)
        let hi = Swift.min(Swift.max(end.map { $0 < 0 ? $0 + r : $0 } ?? r, lo), r)
        let part = s[lo..<hi].map(Float.init)
        return Tensor(shape: [part.count], data: part)
    }
    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        [shapeTensor(for: try shapes.required(0)).shape]
    }
    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] { [shapeTensor(for: try inputs.required(0).shape)] }
    public func backward(_ c: BackwardContext) throws -> [Tensor?] { [nil] }
    public func backwardReadsInput(_ i: Int) -> Bool { false }
    public var backwardReadsOutputs: Bool { false }
}
