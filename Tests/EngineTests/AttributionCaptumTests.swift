import Foundation
import Testing
@testable import Engine

/// Attribution methods against Captum (fixtures written by tools/oracle/attribution/make_attribution_fixtures.py).
@Suite struct AttributionCaptumTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/captum")

    /// Captum's BasicModel_ConvNet_One_Conv, rebuilt with its fixed weights: conv 1→2 (3×3, all ones,
    /// bias −50, −75), ReLU, view(−1, 8), fc 8→4 (weights ones(4,5) | −ones(4,3)), ReLU.
    static func captumTinyModel() throws -> Model {
        var g = try Graph(inputs: [.init(name: "input", shape: [nil, 1, 4, 4])])
        g.addInitializer("conv1.weight", Tensor(shape: [2, 1, 3, 3], repeating: 1), trainable: true)
        g.addInitializer("conv1.bias", Tensor(shape: [2], data: [-50, -75]), trainable: true)
        let fcWeight = (0..<4).flatMap { _ in [Float](repeating: 1, count: 5) + [Float](repeating: -1, count: 3) }
        g.addInitializer("fc1.weight", Tensor(shape: [4, 8], data: fcWeight), trainable: true)
        g.addInitializer("fc1.bias", Tensor.zeros([4]), trainable: true)
        g.addInitializer("shape", Tensor(shape: [2], data: [-1, 8]))
        try g.addNode("conv1", Conv(), inputs: ["input", "conv1.weight", "conv1.bias"])
        try g.addNode("relu1", Relu(), inputs: ["conv1"])
        try g.addNode("view", Reshape(), inputs: ["relu1", "shape"])
        try g.addNode("fc1", Gemm(transB: true), inputs: ["view", "fc1.weight", "fc1.bias"])
        try g.addNode("relu2", Relu(), inputs: ["fc1"])
        g.outputs = ["relu2"]
        let pre = Preprocessing(channels: 1, inputHeight: 4, inputWidth: 4, mean: [0], std: [1], classNames: [])
        return Model(name: "captum-tiny", graph: g, preprocessing: pre, input: "input", output: "relu2")
    }

    struct Tiny: Decodable {
        struct OcclusionCase: Decodable {
            var window: [Int]
            var stride: [Int]
            var fill: Float
            var target: Int
            var attribution: [[[[Double]]]]
        }
        var input: [[[[Double]]]]
        var logits: [[Double]]
        var guided: [String: [[[[Double]]]]]
        var saliency: [String: [[[[Double]]]]]
        var gradcam: [String: [[[[Double]]]]]
        var gradcam_relu1: [String: [[[[Double]]]]]
        var ig: [String: [[[[Double]]]]]
        var occlusion: [OcclusionCase]
    }

    static func tiny() throws -> Tiny {
        try JSONDecoder().decode(Tiny.self, from: Data(contentsOf: fixtures.appendingPathComponent("tiny.json")))
    }

    static func tensor(_ nested: [[[[Double]]]]) -> Tensor {
        let shape = [nested.count, nested[0].count, nested[0][0].count, nested[0][0][0].count]
        return Tensor(shape: shape, data: nested.flatMap { $0.flatMap { $0.flatMap { $0.map { Float($0) } } } })
    }

    static func expectClose(_ actual: Tensor, _ expected: Tensor, rtol: Float, atol: Float = 1e-5,
                            _ what: String) {
        #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) vs \(expected.shape)")
        guard actual.shape == expected.shape else { return }
        let scale = max(expected.scalars.map(abs).max() ?? 0, 1e-12)
        var worst: Float = 0
        for (a, e) in zip(actual.scalars, expected.scalars) { worst = max(worst, abs(a - e)) }
        #expect(worst <= atol + rtol * scale, "\(what): max error \(worst) relative to max |value| \(scale)")
    }

    @Test func tinyModelLogitsMatchCaptumModel() throws {
        let model = try Self.captumTinyModel()
        let t = try Self.tiny()
        Self.expectClose(try model.outputLogits(Self.tensor(t.input)), Tensor(shape: [2, 4], data: t.logits.flatMap { $0.map { Float($0) } }),
                         rtol: 0, atol: 1e-4, "logits")
    }

    @Test(arguments: 0..<4) func guidedBackpropMatchesCaptumTiny(target: Int) throws {
        let model = try Self.captumTinyModel()
        let t = try Self.tiny()
        let result = try model.saliency(Self.tensor(t.input), target: target, method: .guided)
        Self.expectClose(result.attributions, Self.tensor(t.guided[String(target)]!), rtol: 0, atol: 1e-5, "guided \(target)")
    }

    @Test(arguments: 0..<4) func saliencyAndIntegratedGradientsMatchCaptumTiny(target: Int) throws {
        let model = try Self.captumTinyModel()
        let t = try Self.tiny()
        let input = Self.tensor(t.input)
        let vanilla = try model.saliency(input, target: target, method: .vanilla)
        Self.expectClose(vanilla.attributions, Self.tensor(t.saliency[String(target)]!), rtol: 0, atol: 1e-5, "saliency \(target)")
        let ig = try model.saliency(input, target: target, method: .integrated)
        Self.expectClose(ig.attributions, Self.tensor(t.ig[String(target)]!), rtol: 1e-4, atol: 1e-4, "IG \(target)")
    }

    @Test(arguments: 0..<4) func gradCAMMatchesCaptumTiny(target: Int) throws {
        let model = try Self.captumTinyModel()
        let t = try Self.tiny()
        let input = Self.tensor(t.input)
        let conv = try model.gradCAM(input, target: target, layer: "conv1")
        Self.expectClose(conv.map, Self.tensor(t.gradcam[String(target)]!), rtol: 0, atol: 1e-4, "Grad-CAM conv1 \(target)")
        let relu = try model.gradCAM(input, target: target, layer: "relu1")
        Self.expectClose(relu.map, Self.tensor(t.gradcam_relu1[String(target)]!), rtol: 0, atol: 1e-4, "Grad-CAM relu1 \(target)")
    }

    @Test func occlusionMatchesCaptumTinyForEveryWindowAndBatchSize() throws {
        let model = try Self.captumTinyModel()
        let t = try Self.tiny()
        let input = Self.tensor(t.input)
        for c in t.occlusion {
            var reference: Tensor?
            for batchSize in [1, 3, 64] {
                let settings = OcclusionSettings(window: (c.window[0], c.window[1]), stride: (c.stride[0], c.stride[1]),
                                                 fill: [c.fill], score: .logit, batchSize: batchSize)
                let result = try model.occlusion(input, target: c.target, settings: settings)
                Self.expectClose(result.attributions, Self.tensor(c.attribution), rtol: 0, atol: 1e-4,
                                 "occlusion window \(c.window) stride \(c.stride) fill \(c.fill) target \(c.target)")
                if let reference { #expect(result.attributions == reference, "occlusion depends on batch size \(batchSize)") }
                reference = result.attributions
            }
        }
    }

    // MARK: a trained Fashion-MNIST CNN imported from ONNX

    static func npy(_ name: String, in directory: URL = fixtures) throws -> Tensor {
        let array = try NpyArray(contentsOf: directory.appendingPathComponent(name).path)
        return Tensor(shape: array.shape, data: array.floats)
    }

    static func fashion() throws -> (Model, Tensor, [Int]) {
        let onnx = try ONNXModel.load(contentsOf: fixtures.appendingPathComponent("fashion.onnx"))
        let target = try NpyArray(contentsOf: fixtures.appendingPathComponent("fashion.target.npy").path).integers
        return (Model(onnx: onnx, name: "fashion"), try npy("fashion.input.npy"), target)
    }

    @Test func fashionAttributionsMatchCaptum() throws {
        let (model, input, targets) = try Self.fashion()
        Self.expectClose(try model.outputLogits(input), try Self.npy("fashion.logits.npy"), rtol: 1e-4, "logits")
        for (row, target) in targets.enumerated() {
            let x = try input.slice(axis: 0, row..<(row + 1))
            let check = { (name: String, actual: Tensor, rtol: Float, atol: Float) throws in
                let expected = try Self.npy("fashion.\(name).npy").slice(axis: 0, row..<(row + 1))
                Self.expectClose(actual, expected, rtol: rtol, atol: atol, "\(name) row \(row)")
            }
            try check("saliency", try model.saliency(x, target: target, method: .vanilla).attributions, 1e-4, 0)
            try check("guided", try model.saliency(x, target: target, method: .guided).attributions, 1e-4, 0)
            try check("integrated", try model.saliency(x, target: target, method: .integrated).attributions, 1e-3, 0)
            try check("gradcam", try model.gradCAM(x, target: target, layer: "conv2").map, 1e-4, 0)
            for (window, stride) in [(7, 3), (4, 2)] {
                let settings = OcclusionSettings(window: (window, window), stride: (stride, stride), fill: [0],
                                                 score: .probability)
                // Probability drops of a confident prediction (p ≈ 1) are differences of float32 numbers near 1,
                // whose spacing is 6e-8; both sides compute in float32, so the floor is a few ulps of 1.
                try check("occlusion_w\(window)_s\(stride)", try model.occlusion(x, target: target, settings: settings).attributions,
                          1e-4, 4 * Float.ulpOfOne)
            }
        }
    }
}

/// squeezenet1_1 with seeded weights against Captum. Its fixtures are large, so they are made locally
/// (`make_attribution_fixtures.py --large` → tools/oracle/out/captum) and this suite runs only when they exist.
@Suite struct AttributionSqueezeNetTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../tools/oracle/out/captum").standardized
    static var available: Bool { FileManager.default.fileExists(atPath: directory.appendingPathComponent("squeezenet1_1.gradcam.npy").path) }

    @Test(.enabled(if: available, "run make_attribution_fixtures.py --large first"))
    func squeezeNetAttributionsMatchCaptum() throws {
        let onnx = try ONNXModel.load(contentsOf: Self.directory.appendingPathComponent("squeezenet1_1.onnx"))
        let model = Model(onnx: onnx, name: "squeezenet1_1")
        let x = try AttributionCaptumTests.npy("squeezenet1_1.input.npy", in: Self.directory)
        let target = try NpyArray(contentsOf: Self.directory.appendingPathComponent("squeezenet1_1.target.npy").path).integers[0]
        let check = { (name: String, actual: Tensor, rtol: Float) throws in
            let expected = try AttributionCaptumTests.npy("squeezenet1_1.\(name).npy", in: Self.directory)
            AttributionCaptumTests.expectClose(actual, expected, rtol: rtol, atol: 0, "squeezenet1_1 \(name)")
        }
        try check("saliency", try model.saliency(x, target: target, method: .vanilla).attributions, 1e-4)
        try check("guided", try model.saliency(x, target: target, method: .guided).attributions, 1e-4)
        try check("integrated", try model.saliency(x, target: target, method: .integrated).attributions, 1e-3)
        try check("gradcam", try model.gradCAM(x, target: target, layer: "features.12").map, 1e-4)
        let settings = OcclusionSettings(window: (32, 32), stride: (16, 16), fill: [0], score: .probability)
        try check("occlusion_w32_s16", try model.occlusion(x, target: target, settings: settings).attributions, 1e-4)
    }
}
