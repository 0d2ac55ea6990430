import Engine
import Foundation

/// The points an embedding verb works on: a row-major N×D matrix plus, when known, a class per row and the
/// class names (for the scatter plot's colours and legend).
struct EmbeddingInput {
    var points: [Float]
    var rows: Int
    var cols: Int
    var labels: [Int]?
    var classNames: [String]

    /// `x` as a matrix: a Tensor N×… (trailing axes flattened), a Dataset (pixels flattened, its labels), or
    /// a Result (its `.values`, e.g. a t-SNE embedding). `labels=` (a Dataset or a list of ints) overrides.
    static func make(_ args: Arguments, _ name: String = "x", labels labelsName: String? = "labels") throws -> EmbeddingInput {
        var input: EmbeddingInput
        switch args[name] {
        case .object(let object as DatasetValue):
            let d = object.dataset
            input = EmbeddingInput(points: d.pixels, rows: d.count, cols: d.sampleSize,
                                   labels: d.hasLabels ? d.labels : nil, classNames: d.classNames)
        case .object(let object as TensorValue):
            input = try matrix(object.tensor, args, name)
        case .object(let object as ExperimentResult):
            input = try matrix(object.values, args, name)
        default:
            throw args.error(name, "\(name) must be a Tensor N×D (e.g. from features), a Dataset or a Result, not \(args[name].typeName)", kind: .type)
        }
        guard input.points.allSatisfy({ $0.isFinite }) else {
            throw args.error(name, "\(name) contains NaN or infinite values")
        }
        if let labelsName, !args.isNone(labelsName) {
            (input.labels, input.classNames) = try labels(args, labelsName, count: input.rows)
        }
        return input
    }

    private static func matrix(_ t: Tensor, _ args: Arguments, _ name: String) throws -> EmbeddingInput {
        guard t.rank >= 2, t.shape[0] > 0 else {
            throw args.error(name, "\(name) must be N×D (one row per point), not of shape \(t.shape)", kind: .shape)
        }
        let rows = t.shape[0]
        return EmbeddingInput(points: t.scalars, rows: rows, cols: t.count / rows, labels: nil, classNames: [])
    }

    /// A class per point from a Dataset (with its class names) or a list of ints.
    static func labels(_ args: Arguments, _ name: String, count: Int) throws -> ([Int], [String]) {
        let labels: [Int], names: [String]
        switch args[name] {
        case .object(let object as DatasetValue):
            (labels, names) = (object.dataset.labels, object.dataset.classNames)
        case .list(let items):
            labels = try items.map { item in
                guard case .int(let k) = item, k >= 0 else {
                    throw args.error(name, "labels must be class indices (ints ≥ 0), found \(item.typeName) \(Repr.str(item))", kind: .type)
                }
                return k
            }
            names = []
        default:
            throw args.error(name, "labels must be a Dataset or a list of ints, not \(args[name].typeName)", kind: .type)
        }
        guard labels.count == count else {
            throw args.error(name, "\(labels.count) labels for \(count) points", kind: .shape)
        }
        return (labels, names)
    }

    /// Column `axis` of an N×k row-major matrix.
    static func column(_ m: [Float], cols: Int, _ axis: Int) -> [Double] {
        stride(from: axis, to: m.count, by: cols).map { Double(m[$0]) }
    }

    /// The scatter plot of the first two columns of an N×k matrix (k = 1: along a line).
    func scatter(_ m: [Float], cols k: Int, title: String? = nil, axes: (String, String)? = nil, size: Int = 560) -> ScatterPlot {
        let x = Self.column(m, cols: k, 0)
        let y = k >= 2 ? Self.column(m, cols: k, 1) : [Double](repeating: 0, count: x.count)
        return ScatterPlot(x: x, y: y, labels: labels, classNames: classNames, title: title,
                           xLabel: axes?.0, yLabel: axes?.1, width: size, height: size)
    }
}
