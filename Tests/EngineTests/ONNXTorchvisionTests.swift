import Foundation
import Testing
@testable import Engine

/// torchvision architectures with seeded random weights against PyTorch. The fixtures are ~1.5 GB, so
/// they are generated locally (`/work/torchenv/bin/python tools/oracle/make_fixtures.py --large`) and this
/// suite runs only when `tools/oracle/out` holds them.
@Suite(.enabled(if: FileManager.default.fileExists(
    atPath: ONNXOracle.largeDirectory.appendingPathComponent("squeezenet1_1.onnx").path)))
struct ONNXTorchvisionTests {
    static let models = ["squeezenet1_0", "squeezenet1_1", "alexnet", "vgg11", "vgg16", "resnet18", "resnet50",
                         "googlenet", "mobilenet_v2"]

    /// The models whose fixtures have been generated (all of them after a full `--large` run).
    static var available: [String] {
        models.filter {
            FileManager.default.fileExists(atPath: ONNXOracle.largeDirectory.appendingPathComponent("\($0).b2.grad.npy").path)
        }
    }

    @Test(arguments: available)
    func matchesPyTorch(name: String) throws {
        let model = try ONNXModel.load(contentsOf: ONNXOracle.largeDirectory.appendingPathComponent("\(name).onnx"))
        for batch in [1, 2] {
            let errors = try ONNXOracle.check(model, try ONNXOracle.load(name, batch: batch, in: ONNXOracle.largeDirectory))
            print("ONNX oracle \(name) batch \(batch): \(errors)")
            #expect(errors.logits <= 1e-4, "\(name) batch \(batch): \(errors)")
            #expect(errors.acceptedGradient <= 1e-3, "\(name) batch \(batch): \(errors)")
        }
    }

    @Test func squeezenetLayerNamesAndMetadata() throws {
        let model = try ONNXModel.load(contentsOf: ONNXOracle.largeDirectory.appendingPathComponent("squeezenet1_1.onnx"))
        let names = Set(model.graph.nodes.map(\.name))
        #expect(names.isSuperset(of: ["features.0", "features.1", "features.3.squeeze", "features.3.expand1x1",
                                      "features.3.expand3x3", "features.3", "classifier.1"]))
        #expect(model.description.mean == [0.485, 0.456, 0.406])
        #expect(model.description.classes?.count == 1000)
    }
}
