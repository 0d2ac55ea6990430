import Foundation
import SwiftProtobuf
import Testing

@testable import Engine

/// Mutated `.onnx` files: byte-level mutants (mostly rejected by protobuf) and model-level edits re-serialised
/// as valid protobuf (huge or negative dimensions, lying raw data, absurd attributes, dangling inputs, giant
/// ConstantOfShape folds), so the importer and shape inference see them. Each ends in a model, a `ModelError`
/// or a `ResourceLimitError` — never a trap.
@Suite struct ONNXFuzzTests {
    static let seeds = ["tiny_cnn.onnx", "tiny_ops.onnx", "tiny_ops_unfolded.onnx", "handmade_opset13.onnx", "tiny_mlp.onnx"]

    static func expected(_ error: any Error) -> String? {
        if let error = error as? ModelError { return "ModelError.\(error.kind.rawValue)" }
        if error is ResourceLimitError { return "ResourceLimitError" }
        return nil
    }

    static let nastyInts: [Int64] = [
        0, -1, 1, 2, 3, 7, Int64(Int32.max), 1 << 31, 1 << 40, Int64.max, Int64.min, -(1 << 31), 65_536, 4_097,
    ]

    static func nasty(_ rng: inout SplitMix) -> Int64 { nastyInts[Int(rng.next() % UInt64(nastyInts.count))] }

    /// Applies `change` to the decoded model and re-serialises it (unchanged bytes when they do not decode).
    static func edit(_ data: inout [UInt8], _ change: (inout Onnx_ModelProto) -> Void) {
        guard var model = try? Onnx_ModelProto(serializedBytes: data),
              let bytes: [UInt8] = try? { change(&model); return try model.serializedBytes() }()
        else { return }
        data = bytes
    }

    static let modelEdits: [FileFuzzing.Edit] = [
        { data, rng in  // an initializer's dimensions
            edit(&data) { model in
                guard !model.graph.initializer.isEmpty else { return }
                let t = Int(rng.next() % UInt64(model.graph.initializer.count))
                var dims = model.graph.initializer[t].dims
                if dims.isEmpty { dims = [nasty(&rng)] } else { dims[Int(rng.next() % UInt64(dims.count))] = nasty(&rng) }
                model.graph.initializer[t].dims = dims
            }
        },
        { data, rng in  // an initializer's raw data cut or padded, or its type changed
            edit(&data) { model in
                guard !model.graph.initializer.isEmpty else { return }
                let t = Int(rng.next() % UInt64(model.graph.initializer.count))
                switch rng.next() % 3 {
                case 0: model.graph.initializer[t].rawData = model.graph.initializer[t].rawData.prefix(Int(rng.next() % 64))
                case 1: model.graph.initializer[t].rawData.append(contentsOf: [1, 2, 3])
                default: model.graph.initializer[t].dataType = Int32(truncatingIfNeeded: nasty(&rng))
                }
            }
        },
        { data, rng in  // an integer attribute or list (kernel_shape, strides, pads, group, axis, …)
            edit(&data) { model in
                guard !model.graph.node.isEmpty else { return }
                let n = Int(rng.next() % UInt64(model.graph.node.count))
                guard !model.graph.node[n].attribute.isEmpty else { return }
                let a = Int(rng.next() % UInt64(model.graph.node[n].attribute.count))
                var attribute = model.graph.node[n].attribute[a]
                if !attribute.ints.isEmpty {
                    attribute.ints[Int(rng.next() % UInt64(attribute.ints.count))] = nasty(&rng)
                } else if attribute.hasI {
                    attribute.i = nasty(&rng)
                } else if attribute.hasF {
                    attribute.f = [Float.nan, .infinity, -1, 0, 1e30][Int(rng.next() % 5)]
                } else {
                    attribute.ints = [nasty(&rng), nasty(&rng)]
                }
                model.graph.node[n].attribute[a] = attribute
            }
        },
        { data, rng in  // a node reading a value that does not exist, or its op type swapped for another
            edit(&data) { model in
                guard !model.graph.node.isEmpty else { return }
                let n = Int(rng.next() % UInt64(model.graph.node.count))
                if rng.next() % 2 == 0, !model.graph.node[n].input.isEmpty {
                    model.graph.node[n].input[0] = "nowhere"
                } else {
                    let ops = ONNXOperatorTable.supportedOperators
                    model.graph.node[n].opType = ops[Int(rng.next() % UInt64(ops.count))]
                }
            }
        },
        { data, rng in  // a ConstantOfShape (or Expand) fed by a constant shape asking for far too much
            edit(&data) { model in
                var shape = Onnx_TensorProto()
                shape.name = "fuzz_shape"
                shape.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
                let dims = [nasty(&rng), nasty(&rng), 1 << 20]
                shape.dims = [Int64(dims.count)]
                shape.int64Data = dims
                model.graph.initializer.append(shape)
                var node = Onnx_NodeProto()
                node.opType = "ConstantOfShape"
                node.input = ["fuzz_shape"]
                node.output = ["fuzz_big"]
                model.graph.node.insert(node, at: 0)
            }
        },
        { data, rng in  // the graph input's declared dimensions, or the opset
            edit(&data) { model in
                if rng.next() % 2 == 0, !model.graph.input.isEmpty,
                   case .tensorType(var tensor)? = model.graph.input[0].type.value, !tensor.shape.dim.isEmpty {
                    let d = Int(rng.next() % UInt64(tensor.shape.dim.count))
                    tensor.shape.dim[d].dimValue = nasty(&rng)
                    model.graph.input[0].type.tensorType = tensor
                } else if !model.opsetImport.isEmpty {
                    model.opsetImport[0].version = nasty(&rng)
                }
            }
        },
    ]

    @Test func onnxMutantsGiveModelErrors() throws {
        let seeds = try Self.seeds.map { try FileFuzzing.fixture("onnx", $0) }
        let tally = FileFuzzing.run(
            "onnx", seeds: seeds, cases: 240, seed: 0x0_2217, edits: Self.modelEdits, truncations: 24,
            expected: Self.expected
        ) { data in
            let model = try ONNXModel.decode(Data(data), name: "fuzz.onnx")
            #expect(!model.graph.outputs.isEmpty)
        }
        #expect(tally.rejected > tally.cases / 3)
        #expect(tally.accepted > 0, "some edits (a harmless attribute, an extra constant) still load")
        #expect(tally.slowestSeconds < 5)
    }

    /// A ConstantOfShape asking for 2^60 floats is refused by the memory budget while folding, before allocating.
    @Test func hugeConstantOfShapeIsRefusedBeforeAllocating() throws {
        var data = try FileFuzzing.fixture("onnx", "tiny_cnn.onnx")
        Self.edit(&data) { model in
            var shape = Onnx_TensorProto()
            shape.name = "big_shape"
            shape.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
            shape.dims = [2]
            shape.int64Data = [1 << 30, 1 << 30]
            model.graph.initializer.append(shape)
            var node = Onnx_NodeProto()
            node.opType = "ConstantOfShape"
            node.input = ["big_shape"]
            node.output = ["big"]
            model.graph.node.insert(node, at: 0)
        }
        let error = try #require(throws: ResourceLimitError.self) { try ONNXModel.decode(Data(data), name: "big.onnx") }
        #expect(error.budget == .memory)
        #expect(error.description.hasPrefix("big.onnx: folding a constant of shape [1073741824, 1073741824] needs 4 EB"))
        #expect(error.description.contains("limits(memory=…)"))
    }
}
