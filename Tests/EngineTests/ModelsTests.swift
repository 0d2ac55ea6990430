import Foundation
import Testing
@testable import Engine

@Suite struct ModelsTests {
    @Test func fashionCNNLayersAndShapes() throws {
        let model = try Model.architecture("fashion-cnn")
        #expect(model.layerNames == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc1", "relu3", "fc2"])
        #expect(model.parameterCount == 421_642)
        let shapes = try model.graph.inferShapes(batch: 3)
        #expect(shapes["pool1"] == [3, 32, 14, 14])
        #expect(shapes["pool2"] == [3, 64, 7, 7])
        #expect(shapes["fc2"] == [3, 10])
        #expect(model.preprocessing.classNames.count == 10)
        #expect(model.preprocessing.mean == [0.2860] && model.preprocessing.std == [0.3530])
    }

    @Test func lenetAndMLP() throws {
        let lenet = try Model.architecture("lenet")
        #expect(lenet.layerNames == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc1", "relu3",
                                     "fc2", "relu4", "fc3"])
        #expect(lenet.parameterCount == 61_706)  // torchvision-tutorial LeNet at 28×28
        let mlp = try Model.architecture("mlp", input: .init(channels: 3, height: 8, width: 8, classNames: ["a", "b", "c"]))
        #expect(try mlp.graph.inferShapes(batch: 2)["fc2"] == [2, 3])
        #expect(mlp.preprocessing.mean == [0.5, 0.5, 0.5])
    }

    @Test func initialisationFollowsPyTorchBounds() throws {
        let a = try Model.architecture("fashion-cnn", seed: 1), b = try Model.architecture("fashion-cnn", seed: 1)
        let c = try Model.architecture("fashion-cnn", seed: 2)
        #expect(a.parameters["conv2.weight"] == b.parameters["conv2.weight"])
        #expect(a.parameters["conv2.weight"] != c.parameters["conv2.weight"])
        // kaiming_uniform_(a=√5) ⇒ U(±1/√fan_in); biases use the same bound.
        for (name, fanIn) in [("conv1", 9), ("conv2", 288), ("fc1", 3136), ("fc2", 128)] {
            let bound = 1 / Float(fanIn).squareRoot()
            let w = try #require(a.parameters["\(name).weight"]), bias = try #require(a.parameters["\(name).bias"])
            #expect(w.max() <= bound && w.min() >= -bound && bias.max() <= bound && bias.min() >= -bound)
            #expect(w.max() > 0.9 * bound && w.min() < -0.9 * bound, "\(name) should fill its range")
            // Variance of U(−b, b) is b²/3.
            let variance = w.scalars.map { $0 * $0 }.reduce(0, +) / Float(w.count)
            #expect(abs(variance / (bound * bound / 3) - 1) < 0.15, "\(name) variance ratio")
        }
    }

    @Test func lenetMatchesPyTorchLoss() throws {
        let fixture = try trainingFixture("lenet_step.npz")
        var model = try Model.architecture("lenet")
        try model.setParameters(Dictionary(uniqueKeysWithValues: fixture.filter { $0.key.hasPrefix("initial/") }
            .map { (String($0.key.dropFirst(8)), tensor($0.value)) }))
        let images = try #require(fixture["images"])
        let logits = try model.logits(Tensor(shape: [8, 1, 28, 28], data: images.floats))
        let labels = Tensor(shape: [8], data: try #require(fixture["labels"]).floats)
        let (loss, _) = try SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels, wantGradient: false)
        #expect(abs(loss - (try #require(fixture["losses"])).floats[0]) < 1e-6)
    }

    @Test func randomMultiscaleKeepsTheInputSize() throws {
        let model = try Model.architecture("random-multiscale", seed: 7)
        #expect(model.layerNames == ["conv3", "relu3", "conv5", "relu5", "conv7", "relu7", "conv11", "relu11",
                                     "conv15", "relu15", "conv23", "relu23"])
        #expect(model.styleLayers == ["relu3", "relu5", "relu7", "relu11", "relu15", "relu23"])
        #expect(model.graph.trainable.isEmpty)
        let x = Tensor.random([1, 3, 20, 30], .uniform(low: 0, high: 1), seed: 1)
        let out = try model.graph.run(["input": model.preprocessing.normalize(x)], fetch: model.styleLayers)
        for layer in model.styleLayers {
            let activation = try #require(out[layer])
            #expect(activation.shape == [1, 32, 20, 30])
            #expect(activation.min() == 0 && activation.max() > 0)
        }
        let again = try Model.architecture("random-multiscale", seed: 7)
        #expect(again.graph.initializers["conv23.weight"] == model.graph.initializers["conv23.weight"])
    }

    @Test func unknownArchitectureListsTheKnownOnes() {
        #expect(throws: DataError(.invalidArgument, "unknown architecture \"resnet\"; architectures are: fashion-cnn, lenet, mlp, random-multiscale")) {
            try Model.architecture("resnet")
        }
    }

    @Test func preprocessingRoundTrip() {
        let p = Preprocessing.imageNet()
        let x = Tensor.random([2, 3, 4, 5], .uniform(low: 0, high: 1), seed: 3)
        let y = p.normalize(x)
        #expect(abs(y[1, 2, 3, 4] - (x[1, 2, 3, 4] - 0.406) / 0.225) < 1e-6)
        #expect(p.denormalize(y).isClose(to: x, rtol: 0, atol: 1e-6))
    }

    @Test func weightsRoundTripThroughSafetensors() throws {
        let path = try temporaryFolder().appendingPathComponent("lenet.safetensors").path
        var model = try Model.architecture("lenet", seed: 9)
        model.name = "my-lenet"
        try model.saveWeights(to: path)
        let back = try Model.load(weights: path)
        #expect(back.name == "my-lenet")
        #expect(back.architecture == "lenet")
        #expect(back.preprocessing == model.preprocessing)
        for (name, value) in model.parameters { #expect(back.parameters[name] == value, "\(name)") }
        let wrong = #expect(throws: DataError.self) { try Model.load(weights: path, architecture: "fashion-cnn") }
        #expect(wrong?.message.hasPrefix("\(path): parameter 'conv1.bias' of fashion-cnn has shape [32], the file has [6]") == true, "\(wrong?.message ?? "")")
    }

    @Test func fashionCNNCachePathIsStable() {
        #expect(Model.fashionCNNCachePath.hasSuffix(".safetensors"))
        #expect(Model.fashionCNNCachePath.contains("fashion-cnn-"))
        #expect(Model.fnv1a("") == 0xcbf2_9ce4_8422_2325 && Model.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
    }
}

@Suite struct DataSafetensorsTests {
    @Test func roundTripWithMetadata() throws {
        let file = Safetensors.File(tensors: ["b": Tensor(shape: [2, 2], data: [1, 2, 3, 4]), "a": Tensor(scalar: -1)],
                                    metadata: ["k": "v"])
        let bytes = try Safetensors.encode(file)
        #expect((Int(bytes[0]) + 8) % 8 == 0)
        let back = try Safetensors.parse(bytes)
        #expect(back.tensors == file.tensors)
        #expect(back.metadata == ["k": "v"])
    }

    @Test func readsHalfPrecision() throws {
        // Hand-made file: F16 [1.0, -2.0, 65504, 2^-24] and BF16 [1.0, -0.5].
        let header = #"{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]}}"#
        var bytes: [UInt8] = []
        bytes.appendLE(UInt64(header.utf8.count))
        bytes += Array(header.utf8)
        for h: UInt16 in [0x3c00, 0xc000, 0x7bff, 0x0001, 0x3f80, 0xbf00] { bytes.appendLE(h) }
        let file = try Safetensors.parse(bytes)
        #expect(file.tensors["h"]?.scalars == [1, -2, 65504, Float(sign: .plus, exponent: -24, significand: 1)])
        #expect(file.tensors["b"]?.scalars == [1, -0.5])
    }

    @Test(arguments: [
        ([UInt8](repeating: 0xff, count: 16), "is not a safetensors file (header length"),
        ([8, 0, 0, 0, 0, 0, 0, 0] + Array("not json".utf8), "is not a safetensors file (the header is not a JSON object)"),
        ([54, 0, 0, 0, 0, 0, 0, 0] + Array(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#.utf8), "malformed header entry"),
    ])
    func corruptFilesAreTypedErrors(bytes: [UInt8], fragment: String) {
        let error = #expect(throws: DataError.self) { try Safetensors.parse(bytes, name: "w.safetensors") }
        #expect(error?.kind == .corrupt)
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }
}
