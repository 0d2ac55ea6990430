import Engine
import Foundation
import Testing
@testable import Kernel

/// The spec's "safetensors weights plus a built-in architecture name": what `save(net, "w.safetensors")`
/// writes comes back through `model` and `load` as the same network.
@Suite struct ModelFileVerbTests {
    @Test func savedWeightsComeBackAsTheSameNetwork() throws {
        let (session, _) = makeSession()
        let setup = """
        net = model("lenet", seed=3)
        save(net, "w.safetensors")
        x = tensor([[[0.5] * 28] * 28])
        a = model("w.safetensors")
        b = model("lenet", weights="w.safetensors")
        c = load("w.safetensors")
        """
        #expect(session.run(setup).0.error == nil)
        let reference = try #require(session.interpreter.names["net"]?.object(as: ModelValue.self)).model
        let other = try Model.architecture("lenet", input: Model.InputSpec(channels: 1, height: 28, width: 28, classNames: FashionMNIST.classNames), seed: 4)
        let x = Tensor(shape: [1, 1, 28, 28], data: [Float](repeating: 0.5, count: 784))
        let expected = try reference.logits(x)
        #expect(try other.logits(x) != expected)  // a different seed is a different network
        for name in ["a", "b", "c"] {
            let model = try #require(session.interpreter.names[name]?.object(as: ModelValue.self), "\(name)").model
            #expect(try model.logits(x) == expected, "\(name)")
            #expect(model.layerNames == reference.layerNames)
        }
    }

    @Test func weightsBelongToABuiltInArchitecture() throws {
        let (session, _) = makeSession()
        #expect(session.run("save(model(\"lenet\"), \"w.safetensors\")").0.error == nil)
        let onnx = session.run("model(\"net.onnx\", weights=\"w.safetensors\")").0.error
        #expect(onnx?.ename == "ValueError")
        #expect(onnx?.evalue.hasPrefix("weights= loads into a built-in architecture (") == true)
        let wrong = session.run("model(\"fashion-cnn\", weights=\"w.safetensors\")").0.error
        #expect(wrong != nil)
        #expect(wrong?.evalue.contains("w.safetensors") == true)
    }
}
