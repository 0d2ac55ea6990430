import Foundation
import Testing
@testable import Engine

/// The committed small models (tools/oracle/make_fixtures.py) against PyTorch's logits and input gradients.
@Suite struct ONNXImportTests {
    static let fixtures = [
        "tiny_cnn", "tiny_cnn_opset9", "tiny_cnn_opset21", "tiny_ops", "tiny_ops_opset11", "tiny_ops_unfolded",
        "tiny_fashion", "tiny_mlp", "handmade_opset9", "handmade_opset11", "handmade_opset13", "handmade_opset21",
    ]

    @Test(arguments: fixtures, [1, 2])
    func matchesPyTorch(name: String, batch: Int) throws {
        let model = try ONNXModel.load(contentsOf: ONNXOracle.smallDirectory.appendingPathComponent("\(name).onnx"))
        let oracle = try ONNXOracle.load(name, batch: batch, in: ONNXOracle.smallDirectory)
        let errors = try ONNXOracle.check(model, oracle)
        #expect(errors.logits <= 1e-4, "\(name) batch \(batch): \(errors)")
        #expect(errors.gradient <= 1e-3, "\(name) batch \(batch): \(errors)")
    }

    @Test func layerNamesComeFromModulePaths() throws {
        let model = try ONNXModel.load(contentsOf: ONNXOracle.smallDirectory.appendingPathComponent("tiny_cnn.onnx"))
        let layers = model.graph.nodes.map(\.name)
        #expect(layers == ["conv1", "relu1", "bn1", "pool1", "conv2", "act2", "pool2", "Flatten", "fc1", "act3", "fc2"])
        #expect(model.graph.outputs == ["fc2"])
        #expect(model.graph.inputs.map(\.name) == ["input"])
        #expect(model.graph.inputs.first?.shape == [nil, 3, 16, 16])
        #expect(model.graph.trainable.isSuperset(of: ["conv1.weight", "conv1.bias", "fc2.weight", "fc2.bias"]))
        #expect(!model.graph.trainable.contains("bn1.running_mean"))

        // Opset 9 exports count_include_pad as a Pad before the AveragePool: the pool keeps the module's name.
        let old = try ONNXModel.load(contentsOf: ONNXOracle.smallDirectory.appendingPathComponent("tiny_cnn_opset9.onnx"))
        #expect(old.graph.nodes.map(\.name) == ["conv1", "relu1", "bn1", "pool1", "conv2", "act2", "pool2_pad", "pool2",
                                                "Flatten", "fc1", "act3", "fc2"])
    }

    @Test func shapeArithmeticIsFoldedAway() throws {
        // F.pad's Shape/ConstantOfShape/Slice/Cast chains act on constants only: nothing of them may remain.
        let model = try ONNXModel.load(contentsOf: ONNXOracle.smallDirectory.appendingPathComponent("tiny_ops_unfolded.onnx"))
        let ops = Set(model.graph.nodes.map(\.op.opType))
        #expect(!ops.contains("ConstantOfShape") && !ops.contains("Slice") && !ops.contains("Cast"))
        #expect(ops.isSuperset(of: ["Conv", "Pad", "MaxPool", "AveragePool", "MatMul", "Softmax", "Gather"]))
    }

    @Test func preprocessingComesFromMetadata() throws {
        let model = try ONNXModel.load(contentsOf: ONNXOracle.smallDirectory.appendingPathComponent("tiny_fashion.onnx"))
        #expect(model.description.mean == [0.2860])
        #expect(model.description.std == [0.3530])
        #expect(model.description.inputSize == [28, 28])
        #expect(model.description.classes?.count == 10)
        #expect(model.description.classes?.first == "T-shirt/top")
        #expect(model.description.classes?.last == "Ankle boot")
        #expect(model.description.opset == 17)
        #expect(model.description.producer?.hasPrefix("pytorch") == true)

        let plain = try ONNXModel.load(contentsOf: ONNXOracle.smallDirectory.appendingPathComponent("tiny_cnn.onnx"))
        #expect(plain.description.mean == nil && plain.description.classes == nil)
    }

    @Test func malformedMetadataIsAnError() {
        #expect(throws: ModelError.self) { try ModelDescription(parsing: ["fovea.mean": "[0.5, \"x\"]"]) }
        #expect(throws: ModelError.self) { try ModelDescription(parsing: ["fovea.std": "[0.5, 0]"]) }
        #expect(throws: ModelError.self) { try ModelDescription(parsing: ["fovea.mean": "[1,2,3]", "fovea.std": "[1]"]) }
        #expect(throws: ModelError.self) { try ModelDescription(parsing: ["fovea.input_size": "[224]"]) }
        let indexed = try? ModelDescription(parsing: ["classes": "{\"1\": \"dog\", \"0\": \"cat\"}", "mean": "0.5, 0.25"])
        #expect(indexed?.classes == ["cat", "dog"])
        #expect(indexed?.mean == [0.5, 0.25])
    }
}

@Suite struct ONNXLayerNameTests {
    @Test(arguments: [
        ("/features/features.3/expand1x1/Conv", "features.3.expand1x1"),
        ("/conv2/Conv", "conv2"),
        ("/layer1/layer1.0/downsample/downsample.0/Conv", "layer1.0.downsample.0"),
        ("/features/features.0/features.0.0/Conv", "features.0.0"),
        ("/features/features.1/conv/conv.0/conv.0.0/Conv", "features.1.conv.0.0"),
        ("/layer4/layer4.1/relu_1/Relu", "layer4.1.relu_1"),
    ])
    func modulePath(node: String, expected: String) {
        #expect(ONNXLayerNames.modulePath(fromNodeName: node) == expected)
    }

    @Test func nodesOutsideModulesKeepTheirNames() {
        #expect(ONNXLayerNames.modulePath(fromNodeName: "/Flatten") == nil)
        #expect(ONNXLayerNames.modulePath(fromNodeName: "Conv_12") == nil)
        let nodes = ["/Flatten", "Conv_12", "", "/layer1/layer1.0/Add", "/layer1/layer1.0/Relu", "/lrn/Mul", "/lrn/Pow",
                     "/lrn/Div", "/Flatten_1"]
        var names = ONNXLayerNames()
        names.plan(nodes.enumerated().map { (index: $0.offset, name: $0.element, fallback: "out\($0.offset)") })
        let assigned = nodes.enumerated().map { index, node in
            names.name(forNode: node, index: index, opType: String(node.split(separator: "/").last ?? "Op"),
                       fallback: "out\(index)")
        }
        #expect(assigned == ["Flatten", "Conv_12", "out2", "layer1.0_add", "layer1.0", "lrn_mul", "lrn_pow", "lrn",
                             "Flatten_1"])
    }
}
