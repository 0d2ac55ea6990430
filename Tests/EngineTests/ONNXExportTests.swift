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
