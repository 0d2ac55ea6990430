import Foundation
import Testing
@testable import Engine

/// One folder of tools/oracle/synthesis/make_fixtures.py's output — what PyTorch computed for CS231n's losses,
/// their gradients, one Adam step and DeepDream's objective — and the network it used.
struct SynthesisOracleFixture: Sendable, CustomTestStringConvertible {
    /// Under the test bundle's Fixtures/.
    let folder: String
    let modelName: String
    /// The layer whose Gram matrix the fixture records, and the layer DeepDream's objective is taken at.
    let gramLayer: String
    let dreamLayer: String

    /// A seeded 3-conv network.
    static let small = SynthesisOracleFixture(folder: "synthesis", modelName: "synthesis-net", gramLayer: "relu1", dreamLayer: "relu2")
    /// torchvision's squeezenet1_1 with seeded weights: `features[:8]`, the part CS231n's losses use, on
    /// [1, 3, 64, 80] inputs, with CS231n's layers and weights.
    static let squeezeNet = SynthesisOracleFixture(folder: "synthesis/squeezenet1_1", modelName: "squeezenet1_1",
                                                   gramLayer: "features.1", dreamLayer: "features.7")
    static let all = [small, squeezeNet]

    var testDescription: String { modelName }
    var url: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(folder) }

    struct Values: Decodable {
        var content, style, tv, total: Double
        var gram: [[Double]]
        var contentLayer: String
        var contentWeight: Float
        var styleLayers: [String]
        var styleWeights: [Float]
        var tvWeight: Float
        var dreamObjective: Double
        var adamFloat32VsFloat64: Float?

        enum CodingKeys: String, CodingKey {
            case content, style, tv, total
            case gramRelu1 = "gram_relu1", gramFirst = "gram_first", contentLayer = "content_layer", contentWeight = "content_weight"
            case styleLayers = "style_layers", styleWeights = "style_weights", tvWeight = "tv_weight"
            case dreamObjective = "dream_objective", adamFloat32VsFloat64 = "adam_float32_vs_float64"
        }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            content = try c.decode(Double.self, forKey: .content)
            style = try c.decode(Double.self, forKey: .style)
            tv = try c.decode(Double.self, forKey: .tv)
            total = try c.decode(Double.self, forKey: .total)
            // The small network's script names the Gram after its layer, the squeezenet one "first".
            gram = try c.decodeIfPresent([[Double]].self, forKey: .gramFirst) ?? c.decode([[Double]].self, forKey: .gramRelu1)
            contentLayer = try c.decode(String.self, forKey: .contentLayer)
            contentWeight = try c.decode(Float.self, forKey: .contentWeight)
            styleLayers = try c.decode([String].self, forKey: .styleLayers)
            styleWeights = try c.decode([Float].self, forKey: .styleWeights)
            tvWeight = try c.decode(Float.self, forKey: .tvWeight)
            dreamObjective = try c.decode(Double.self, forKey: .dreamObjective)
            adamFloat32VsFloat64 = try c.decodeIfPresent(Float.self, forKey: .adamFloat32VsFloat64)
        }
    }

    func values() throws -> Values {
        try JSONDecoder().decode(Values.self, from: Data(contentsOf: url.appendingPathComponent("values.json")))
    }

    func npy(_ name: String) throws -> Tensor {
        let array = try NpyArray(contentsOf: url.appendingPathComponent(name).path)
        return Tensor(shape: array.shape, data: array.floats)
    }

    func model() throws -> Model {
        Model(onnx: try ONNXModel.load(contentsOf: url.appendingPathComponent("net.onnx")), name: modelName)
    }

    func targets(_ net: Model, _ v: Values) throws -> SynthesisTargets {
        try net.synthesisTargets(content: try npy("content.npy"), contentLayer: v.contentLayer,
                                 styles: [try npy("style.npy")], styleLayers: v.styleLayers)
    }

    /// The fixture's settings with only `terms` ("content", "style", "tv") weighted.
    static func settings(_ v: Values, terms: Set<String> = ["content", "style", "tv"]) -> StyleTransferSettings {
        var s = StyleTransferSettings()
        s.contentLayer = v.contentLayer
        s.contentWeight = terms.contains("content") ? v.contentWeight : 0
        s.styleLayers = v.styleLayers
        s.styleWeights = terms.contains("style") ? v.styleWeights : v.styleWeights.map { _ in 0 }
        s.tvWeight = terms.contains("tv") ? v.tvWeight : 0
        return s
    }

    /// max |a − b| / max |b| over the whole tensor (the oracle README's measure).
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        guard a.shape == b.shape else { return .infinity }
        let scale = max(b.scalars.map(abs).max() ?? 0, 1e-12)
        return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()! / scale
    }
}
