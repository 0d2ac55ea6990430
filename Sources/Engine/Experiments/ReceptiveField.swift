/// The input region a unit of a layer sees, per spatial axis: unit i covers input rows
/// [i·jump + offset, i·jump + offset + size − 1] (before clipping to the image).
public struct ReceptiveField: Sendable, Equatable {
    public var size: (Int, Int)
    public var jump: (Int, Int)
    public var offset: (Int, Int)

    public static func == (a: ReceptiveField, b: ReceptiveField) -> Bool {
        a.size == b.size && a.jump == b.jump && a.offset == b.offset
    }

    /// The identity: one input pixel per unit.
    static let pixel = ReceptiveField(size: (1, 1), jump: (1, 1), offset: (0, 0))

    /// After a window of `kernel` (dilated) with `stride` and leading `pad` per axis.
    func through(kernel: [Int], stride: [Int], pad: [Int], dilation: [Int]) -> ReceptiveField {
        func axis(_ r: Int, _ j: Int, _ o: Int, _ a: Int) -> (Int, Int, Int) {
            let k = dilation[a] * (kernel[a] - 1) + 1
            return (r + (k - 1) * j, j * stride[a], o - pad[a] * j)
        }
        let y = axis(size.0, jump.0, offset.0, 0), x = axis(size.1, jump.1, offset.1, 1)
        return ReceptiveField(size: (y.0, x.0), jump: (y.1, x.1), offset: (y.2, x.2))
    }

    /// The union of two fields (for joins such as Concat or Add; equal in well-formed networks).
    func union(_ other: ReceptiveField) -> ReceptiveField {
        size.0 * size.1 >= other.size.0 * other.size.1 ? self : other
    }

    /// The clipped input rectangle `(top, left, bottom, right)` (exclusive ends) of unit (y, x).
    public func region(y: Int, x: Int, height: Int, width: Int) -> (top: Int, left: Int, bottom: Int, right: Int) {
        let top = y * jump.0 + offset.0, left = x * jump.1 + offset.1
        return (max(0, top), max(0, left), min(height, top + size.0), min(width, left + size.1))
    }
}

extension Model {
    /// The receptive field of `layer`'s units, computed from the strides, paddings and kernels of every
    /// convolution and pooling on the way from the input. Global pooling and fully connected layers see
    /// the whole input (`nil` is returned for them).
    public func receptiveField(of layer: String, inputShape: [Int]) throws -> ReceptiveField? {
        guard graph.node(named: layer) != nil || graph.hasValue(layer) else {
            throw ExperimentError("unknown layer \"\(layer)\"")
        }
        let target = try graph.valueName(for: layer)
        var fields: [String: ReceptiveField?] = [input: .pixel]
        for node in graph.nodes {
            let incoming = node.inputs.compactMap { fields[$0] }
            guard !incoming.isEmpty else { continue }  // constants and weights
            var field: ReceptiveField? = nil
            if !incoming.contains(where: { $0 == nil }) {
                field = incoming.compactMap { $0 }.reduce(nil as ReceptiveField?) { partial, next in
                    partial.map { $0.union(next) } ?? next
                }
            }
            switch node.op {
            case let conv as Conv:
                let weightShape = graph.initializers[node.inputs[1]]?.shape
                let kernel = conv.kernelShape ?? Array((weightShape ?? [0, 0, 1, 1]).suffix(2))
                field = field?.through(kernel: kernel, stride: conv.strides, pad: Array(conv.pads.prefix(2)),
                                       dilation: conv.dilations)
            case let pool as MaxPool:
                field = field?.through(kernel: pool.kernelShape, stride: pool.strides ?? [1, 1],
                                       pad: Array(pool.pads.prefix(2)), dilation: pool.dilations ?? [1, 1])
            case let pool as AveragePool:
                field = field?.through(kernel: pool.kernelShape, stride: pool.strides ?? [1, 1],
                                       pad: Array(pool.pads.prefix(2)), dilation: [1, 1])
            case is GlobalAveragePool, is Gemm, is MatMul, is Flatten, is Reshape:
                field = nil
            default:
                break
            }
            for output in node.outputs where !output.isEmpty { fields[output] = .some(field) }
        }
        guard let found = fields[target] else { throw ExperimentError("layer \"\(layer)\" does not depend on the input") }
        return found
    }
}
