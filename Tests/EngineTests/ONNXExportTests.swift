import Foundation
import Testing
@testable import Engine

/// Export (Graph → ONNX) read back by the importer: same layers, same numbers, same metadata.
/// (`tools/oracle/check_export.py` checks the written files in onnxruntime.)
@Suite struct ONNXExportTests {
    static let models = ["tiny_cnn", "tiny_cnn_opset9", "tiny_ops", "tiny_ops_unfolded", "tiny_fashion", "tiny_mlp",
                         "handmade_opset9", "handmade_opset13"]

    @Test(arguments: models)
    func roundTripKeepsLayersAndNumbers(name: String) throws {
        let original = try ONNXModel.load(contentsOf: ONNXOracle.smallDirectory.appendingPathComponent("\(name).onnx"))
        let data = try original.serialized()
        let reread = try ONNXModel.decode(data, name: "\(name)-exported.onnx")

        #expect(reread.graph.nodes.map(\.name) == original.graph.nodes.map(\.name))
        #expect(reread.graph.nodes.map(\.op.opType) == original.graph.nodes.map(\.op.opType))
        #expect(reread.graph.inputs == original.graph.inputs)
        #expect(reread.description.opset == 17)
        #expect(reread.description.producer?.hasPrefix("fovea") == true)

        let oracle = try ONNXOracle.load(name, batch: 2, in: ONNXOracle.smallDirectory)
        let before = try #require(try original.graph.run([original.inputName: oracle.input]).values.first)
        let after = try #require(try reread.graph.run([reread.inputName: oracle.input]).values.first)
        #expect(after.shape == before.shape)
        #expect(after.scalars == before.scalars)
    }

    @Test func metadataSurvivesExport() throws {
        var model = try ONNXModel.load(contentsOf: ONNXOracle.smallDirectory.appendingPathComponent("tiny_fashion.onnx"))
        model.description.classes?[0] = "T-shirt"
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-export-\(UUID().uuidString).onnx")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.write(to: url)
        let reread = try ONNXModel.load(contentsOf: url)
        #expect(reread.description.mean == model.description.mean)
        #expect(reread.description.std == model.description.std)
        #expect(reread.description.inputSize == [28, 28])
        #expect(reread.description.classes?.first == "T-shirt")
        #expect(reread.description.classes?.count == 10)
    }

    @Test func writingToAnImpossiblePathIsAModelError() throws {
        let model = try ONNXModel.load(contentsOf: ONNXOracle.smallDirectory.appendingPathComponent("tiny_mlp.onnx"))
        #expect {
            try model.write(to: URL(fileURLWithPath: "/nonexistent-dir/x.onnx"))
        } throws: { error in
            (error as? ModelError)?.description.hasPrefix("/nonexistent-dir/x.onnx: cannot write the file") == true
        }
    }
}

/// A graph written directly with engine operators in their attribute forms (as built-in models are),
/// which opset 17 wants as inputs: Reshape's shape, Unsqueeze/Squeeze axes, Pad's pads, Clip's bounds.
@Suite struct ONNXExportBuiltGraphTests {
    static func builtGraph() throws -> Graph {
        var generator = SeededGenerator(seed: 7)
        func random(_ shape: [Int], _ scale: Float = 0.3) -> Tensor {
            Tensor(shape: shape, data: (0..<Tensor.count(of: shape)).map { _ in generator.nextNormal() * scale })
        }
        var g = try Graph(inputs: [.init(name: "x", shape: [nil, 2, 8, 8])])
        g.addInitializer("conv1.weight", random([4, 2, 3, 3]), trainable: true)
        g.addInitializer("conv1.bias", random([4]), trainable: true)
        g.addInitializer("fc.weight", random([3, 4 * 5 * 5]), trainable: true)
        g.addInitializer("fc.bias", random([3]), trainable: true)
        try g.addNode("pad", Pad(mode: .reflect, pads: [0, 0, 1, 0, 0, 0, 0, 1]), inputs: ["x"])
        try g.addNode("conv1", Conv(strides: [1, 1], pads: [1, 1, 1, 1]), inputs: ["pad", "conv1.weight", "conv1.bias"])
        try g.addNode("relu6", Clip(min: 0, max: 6), inputs: ["conv1"])
        try g.addNode("pool", MaxPool(kernelShape: [2, 2], strides: [2, 2], ceilMode: true),
                      inputs: ["relu6"])
        try g.addNode("unsqueeze", Unsqueeze(axes: [1]), inputs: ["pool"])
        try g.addNode("squeeze", Squeeze(axes: [1]), inputs: ["unsqueeze"])
        try g.addNode("flat", Reshape(shape: [0, -1]), inputs: ["squeeze"])
        try g.addNode("fc", Gemm(transB: true), inputs: ["flat", "fc.weight", "fc.bias"])
        try g.addNode("probs", Softmax(axis: 1), inputs: ["fc"])
        g.outputs = ["probs"]
        return g
    }

    @Test func attributeFormsBecomeInputsAndReadBack() throws {
        let graph = try Self.builtGraph()
        let model = ONNXModel(graph: graph, description: ModelDescription(mean: [0.5, 0.5], std: [0.25, 0.25],
                                                                          classes: ["a", "b", "c"]))
        let proto = try Onnx_ModelProto(serializedBytes: try model.serialized())
        #expect(proto.opsetImport.map(\.version) == [17])
        let byName = Dictionary(uniqueKeysWithValues: proto.graph.node.map { ($0.name, $0) })
        #expect(byName["/unsqueeze/Unsqueeze"]?.input.count == 2)
        #expect(byName["/flat/Reshape"]?.input.count == 2)
        #expect(byName["/relu6/Clip"]?.input.count == 3)
        #expect(byName["/pad/Pad"]?.attribute.first?.s == Data("reflect".utf8))
        let int64 = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        let shapes = proto.graph.initializer.filter { $0.name.hasSuffix(".shape") || $0.name.hasSuffix(".axes") }
        #expect(shapes.count == 3 && shapes.allSatisfy { $0.dataType == int64 })

        let reread = try ONNXModel.decode(try model.serialized())
        #expect(reread.graph.nodes.map(\.name) == graph.nodes.map(\.name))
        #expect(reread.description.classes == ["a", "b", "c"])
        var generator = SeededGenerator(seed: 3)
        let x = Tensor(shape: [2, 2, 8, 8], data: (0..<256).map { _ in generator.nextNormal() })
        let before = try #require(try graph.run(["x": x])["probs"])
        let after = try #require(try reread.graph.run(["x": x])["probs"])
        #expect(after.scalars == before.scalars)
    }

    /// With FOVEA_ONNX_EXPORT_DIR set, writes exported models for `tools/oracle/check_export.py`, which
    /// runs them in onnxruntime against the oracle values.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FOVEA_ONNX_EXPORT_DIR"] != nil))
    func writeExportsForOnnxruntime() throws {
        let directory = URL(fileURLWithPath: try #require(ProcessInfo.processInfo.environment["FOVEA_ONNX_EXPORT_DIR"]))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in ONNXExportTests.models {
            let model = try ONNXModel.load(contentsOf: ONNXOracle.smallDirectory.appendingPathComponent("\(name).onnx"))
            try model.write(to: directory.appendingPathComponent("\(name).onnx"))
        }
        let built = try Self.builtGraph()
        try ONNXModel(graph: built, description: ModelDescription()).write(to: directory.appendingPathComponent("built.onnx"))
        var generator = SeededGenerator(seed: 3)
        let x = Tensor(shape: [2, 2, 8, 8], data: (0..<256).map { _ in generator.nextNormal() })
        let probs = try #require(try built.run(["x": x])["probs"])
        try writeNpy(x, to: directory.appendingPathComponent("built.input.npy"))
        try writeNpy(probs, to: directory.appendingPathComponent("built.output.npy"))
    }

    /// float32 little-endian `.npy`.
    func writeNpy(_ t: Tensor, to url: URL) throws {
        let shape = t.shape.map(String.init).joined(separator: ", ") + (t.shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(shape)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)])
        data += Data(header.utf8)
        t.withUnsafeBufferPointer { data += Data(buffer: $0) }
        try data.write(to: url)
    }
}
