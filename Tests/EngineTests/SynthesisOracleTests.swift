import Foundation
import Testing
@testable import Engine

/// CS231n's style-transfer losses, their gradients through a network, one Adam step and DeepDream's objective
/// against PyTorch, on both fixtures (a seeded 3-conv network, and squeezenet1_1 — issue 6's acceptance check).
@Suite struct SynthesisOracleTests {
    @Test(arguments: SynthesisOracleFixture.all)
    func gramMatrixMatchesPyTorch(fixture: SynthesisOracleFixture) throws {
        let v = try fixture.values()
        let targets = try fixture.targets(try fixture.model(), v)
        let c = v.gram.count
        let expected = Tensor(shape: [1, c, c], data: v.gram.flatMap { $0.map(Float.init) })
        let error = SynthesisOracleFixture.relativeError(try #require(targets.grams[fixture.gramLayer]), expected)
        #expect(error <= 1e-5, "Gram of \(fixture.gramLayer): relative error \(error)")
    }

    @Test(arguments: SynthesisOracleFixture.all, ["content", "style", "tv", "total"])
    func lossAndGradientMatchPyTorch(fixture: SynthesisOracleFixture, term: String) throws {
        let v = try fixture.values()
        let net = try fixture.model()
        let settings = SynthesisOracleFixture.settings(v, terms: term == "total" ? ["content", "style", "tv"] : [term])
        let (terms, gradient) = try net.synthesisLoss(try fixture.npy("image.npy"), targets: try fixture.targets(net, v), settings: settings)
        let expected = ["content": v.content, "style": v.style, "tv": v.tv, "total": v.total][term]!
        let actual = Double(["content": terms.content, "style": terms.style, "tv": terms.tv, "total": terms.total][term]!)
        #expect(abs(actual - expected) <= 1e-4 * abs(expected), "\(term): \(actual) vs PyTorch \(expected)")
        let error = SynthesisOracleFixture.relativeError(gradient, try fixture.npy("grad_\(term).npy"))
        #expect(error <= 1e-4, "\(term) gradient: relative error \(error)")
    }

    @Test(arguments: SynthesisOracleFixture.all)
    func deepDreamObjectiveGradientMatchesPyTorch(fixture: SynthesisOracleFixture) throws {
        let v = try fixture.values()
        let net = try fixture.model()
        let layer = fixture.dreamLayer
        let pass = try net.graph.forward([net.input: try fixture.npy("image.npy")], fetch: [layer], capture: [layer])
        let a = try #require(pass[layer])
        #expect(abs(Double(0.5 * a.l2Norm * a.l2Norm) - v.dreamObjective) <= 1e-4 * v.dreamObjective)
        let g = try #require(try pass.backward(seeds: [layer: a])[net.input])
        let error = SynthesisOracleFixture.relativeError(g, try fixture.npy("dream_grad.npy"))
        #expect(error <= 1e-4, "½‖a‖² gradient at \(layer): relative error \(error)")
    }

    @Test func oneAdamStepOfTheCS231nLoopMatchesPyTorchOnTheSmallNetwork() throws {
        let fixture = SynthesisOracleFixture.small
        let v = try fixture.values()
        let net = try fixture.model()
        var settings = SynthesisOracleFixture.settings(v)
        settings.steps = 1
        let result = try net.styleTransfer(from: try fixture.npy("image.npy"), targets: try fixture.targets(net, v), settings: settings)
        let error = SynthesisOracleFixture.relativeError(result.image, try fixture.npy("adam_step.npy"))
        #expect(error <= 1e-4, "image after one step: relative error \(error)")
    }
}
