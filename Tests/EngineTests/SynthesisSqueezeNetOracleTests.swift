import Foundation
import Testing
@testable import Engine

/// Issue 6's acceptance check: CS231n's content, style (Gram) and TV losses and their gradients through
/// torchvision's squeezenet1_1 (seeded weights, imported from ONNX, CS231n's layers and weights), one Adam step
/// of the CS231n loop and DeepDream's objective, against PyTorch. Fixtures: tools/oracle/synthesis/make_fixtures.py
/// (`features[:8]` of the seeded model, the part CS231n's losses use, on [1, 3, 64, 80] inputs).
@Suite struct SynthesisSqueezeNetOracleTests {
    static let fixture = SynthesisOracleFixture.squeezeNet

    @Test func cs231nDefaultsAreTheFixturesSettings() throws {
        let v = try Self.fixture.values()
        let defaults = try Self.fixture.model().synthesisDefaults
        #expect(defaults.contentLayer == v.contentLayer && defaults.contentWeight == v.contentWeight)
        #expect(defaults.styleLayers == v.styleLayers && defaults.styleWeights == v.styleWeights)
        #expect(defaults.tvWeight == v.tvWeight && defaults.weighting == .absolute)
    }

    /// Adam's first step is lr·g/(|g| + 1e-8): at the few pixels whose gradient is ~1e-6, rounding-level
    /// differences in g move the step by ~1e-4 of the image's scale, and PyTorch's own float32 and float64 steps
    /// differ by 1.5e-4 on this input (`adam_float32_vs_float64`). So where |g| ≥ 1e-4 (nearly every pixel) the
    /// step must match PyTorch's float32 step to 1e-5, and overall to 1e-4 or, if more, to twice PyTorch's own
    /// float32-vs-float64 spread.
    @Test func oneAdamStepOfTheCS231nLoopMatchesPyTorch() throws {
        let v = try Self.fixture.values()
        let net = try Self.fixture.model()
        var settings = SynthesisOracleFixture.settings(v, terms: ["content", "style", "tv"])
        settings.steps = 1
        let image = try Self.fixture.npy("image.npy"), targets = try Self.fixture.targets(net, v)
        let result = try net.styleTransfer(from: image, targets: targets, settings: settings)
        let step32 = try Self.fixture.npy("adam_step.npy"), step64 = try Self.fixture.npy("adam_step64.npy")
        let error32 = SynthesisOracleFixture.relativeError(result.image, step32)
        let error64 = SynthesisOracleFixture.relativeError(result.image, step64)
        let spread = try #require(v.adamFloat32VsFloat64)
        #expect(error32 <= max(1e-4, 2 * spread),
                "image after one step: relative error \(error32) vs float32, \(error64) vs float64 (PyTorch's own spread \(spread))")

        let clamped = Tensor(shape: image.shape, data: image.scalars.map { min(max($0, -1.5), 1.5) })
        let gradient = try net.synthesisLoss(clamped, targets: targets, settings: settings).gradient
        let scale = step32.scalars.map(abs).max()!
        let wellConditioned = zip(zip(result.image.scalars, step32.scalars), gradient.scalars).filter { abs($1) >= 1e-4 }
        #expect(wellConditioned.count > image.count * 9 / 10)
        let worst = wellConditioned.map { abs($0.0.0 - $0.0.1) }.max()! / scale
        #expect(worst <= 1e-5, "pixels with |g| ≥ 1e-4: relative error \(worst) vs float32")
    }
}
