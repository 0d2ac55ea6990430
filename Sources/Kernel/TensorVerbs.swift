import Engine

/// Making tensors from plain values.
public enum TensorVerbs {
    public static let category = "Data and models"

    public static var all: [Verb] { [tensor] }

    static let tensor = Verb(
        "tensor", category: category, summary: "A float32 Tensor from a (nested) list of numbers.",
        parameters: [Parameter("values", .oneOf([.list(of: .any), .number]), doc: "numbers, or lists of equal length nested to any depth")],
        returns: "Tensor",
        doc: "The shape follows the nesting: `tensor([[1, 2], [3, 4]])` is 2×2. A number gives a scalar tensor.",
        example: "t = tensor([[1, 2], [3, 4]])\nt.shape"
    ) { args, _ in
        var shape: [Int] = []
        var data: [Float] = []
        try flatten(args["values"], depth: 0, shape: &shape, data: &data, args: args)
        return .object(TensorValue(Tensor(shape: shape, data: data)))
    }

    /// Depth-first: the first list seen at each depth fixes that axis's length; every other list must match.
    private static func flatten(_ v: Value, depth: Int, shape: inout [Int], data: inout [Float], args: Arguments) throws {
        if depth > 32 { throw args.error("values", "tensor(): lists nested more than 32 deep", kind: .shape) }
        switch v {
        case .list(let items):
            if depth == shape.count {
                // The first path to a number fixes every axis; a new axis after numbers were placed is ragged.
                guard data.isEmpty else {
                    throw args.error("values", "tensor(): ragged list: a list where a number was expected at depth \(depth)", kind: .shape)
                }
                shape.append(items.count)
            } else if depth > shape.count || shape[depth] != items.count {
                throw args.error("values", "tensor(): ragged list: expected \(depth < shape.count ? shape[depth] : 0) elements at depth \(depth), got \(items.count)", kind: .shape)
            }
            if data.count + items.count > 50_000_000 { throw args.error("values", "tensor(): too many values") }
            try ResourceLimits.checkMemory(count: data.count + items.count, what: "tensor() of \(data.count + items.count) values")
            for item in items { try flatten(item, depth: depth + 1, shape: &shape, data: &data, args: args) }
        case .int, .double, .bool:
            if depth != shape.count {
                throw args.error("values", "tensor(): ragged list: a number where a list of \(shape[depth]) was expected at depth \(depth)", kind: .shape)
            }
            let n: Double
            if case .bool(let b) = v { n = b ? 1 : 0 } else { n = v.number ?? 0 }
            data.append(Float(n))
        default:
            throw args.error("values", "tensor(): values must be numbers, not \(v.typeName)", kind: .type)
        }
    }
}
