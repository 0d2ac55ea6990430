import Foundation
import Testing
@testable import Engine

/// CS231n's style-transfer losses, their gradients through a network, one Adam step and DeepDream's objective
/// against PyTorch (fixtures written by tools/oracle/synthesis/make_fixtures.py on a seeded 3-conv network).
@Suite struct SynthesisOracleTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/synthesis")

    struct Values: Decodable {
        var content: Double
        var style: Double
        var tv: Double
        var total: Double
        var gram_relu1: [[Double]]
        var content_layer: String
        var content_weight: Float
        var style_layers: [String]
        var style_weights: [Float]
        var tv_weight: Float
        var dream_objective: Double
    }

    static func values() throws -> Values {
        try JSONDecoder().decode(Values.self, from: Data(contentsOf: fixtures.appendingPathComponent("values.json")))
    }

    static func npy(_ name: String) throws -> Tensor {
        let array = try NpyArray(contentsOf: fixtures.appendingPathComponent(name).path)
        return Tensor(shape: array.shape, data: array.floats)
    }

    static func model() throws -> Model {
        Model(onnx: try ONNXModel.load(contentsOf: fixtures.appendingPathComponent("net.onnx")), name: "synthesis-net")
    }

    /// max |a − b| / max |b| over the whole tensor (the oracle README's measure).
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        guard a.shape == b.shape else { return .infinity }
        let scale = max(b.scalars.map(abs).max() ?? 0, 1e-12)
        return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()! / scale
    }

    static func settings(_ v: Values, content: Bool = true, style: Bool = true, tv: Bool = true) -> StyleTransferSettings {
        var s = StyleTransferSettings()
        s.contentLayer = v.content_layer
        s.contentWeight = content ? v.content_weight : 0
        s.styleLayers = v.style_layers
        s.styleWeights = style ? v.style_weights : v.style_weights.map { _ in 0 }
        s.tvWeight = tv ? v.tv_weight : 0
        return s
    }

    static func targets(_ net: Model, _ v: Values) throws -> SynthesisTargets {
        try net.synthesisTargets(content: try npy("content.npy"), contentLayer: v.content_layer,
                                 styles: [try npy("style.npy")], styleLayers: v.style_layers)
    }

    @Test func gramMatrixMatchesPyTorch() throws {
        let v = try Self.values()
        let targets = try Self.targets(try Self.model(), v)
        let expected = Tensor(shape: [1, 8, 8], data: v.gram_relu1.flatMap { $0.map(Float.init) })
        #expect(Self.relativeError(try #require(targets.grams["relu1"]), expected) <= 1e-5)
    }

    @Test(arguments: ["content", "style", "tv", "total"])
    func lossAndGradientMatchPyTorch(term: String) throws {
        let v = try Self.values()
        let net = try Self.model()
        let settings = Self.settings(v, content: term == "content" || term == "total", style: term == "style" || term == "total",
                                     tv: term == "tv" || term == "total")
        let (terms, gradient) = try net.synthesisLoss(try Self.npy("image.npy"), targets: try Self.targets(net, v), settings: settings)
        let expected = ["content": v.content, "style": v.style, "tv": v.tv, "total": v.total][term]!
        let actual = Double(["content": terms.content, "style": terms.style, "tv": terms.tv, "total": terms.total][term]!)
        #expect(abs(actual - expected) <= 1e-4 * abs(expected), "\(term): \(actual) vs PyTorch \(expected)")
        let error = Self.relativeError(gradient, try Self.npy("grad_\(term).npy"))
        #expect(error <= 1e-4, "\(term) gradient: relative error \(error)")
    }

    @Test func oneAdamStepOfTheCS231nLoopMatchesPyTorch() throws {
        let v = try Self.values()
        let net = try Self.model()
        var settings = Self.settings(v)
        settings.steps = 1
        let result = try net.styleTransfer(from: try Self.npy("image.npy"), targets: try Self.targets(net, v), settings: settings)
        let error = Self.relativeError(result.image, try Self.npy("adam_step.npy"))
        #expect(error <= 1e-4, "image after one step: relative error \(error)")
    }

    @Test func deepDreamObjectiveGradientMatchesPyTorch() throws {
        let v = try Self.values()
        let net = try Self.model()
        let image = try Self.npy("image.npy")
        let pass = try net.graph.forward([net.input: image], fetch: ["relu2"], capture: ["relu2"])
        let a = try #require(pass["relu2"])
        #expect(abs(Double(0.5 * a.l2Norm * a.l2Norm) - v.dream_objective) <= 1e-4 * v.dream_objective)
        let g = try #require(try pass.backward(seeds: ["relu2": a])[net.input])
        let error = Self.relativeError(g, try Self.npy("dream_grad.npy"))
        #expect(error <= 1e-4, "½‖a‖² gradient: relative error \(error)")
    }
}
