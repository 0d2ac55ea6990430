import Foundation
import Testing
@testable import Engine

/// Behaviour of the optimisation experiments and the receptive-field arithmetic on a trained Fashion-MNIST
/// CNN (the Captum fixture model, trained by tools/oracle/attribution/make_attribution_fixtures.py).
@Suite struct ExperimentsBehaviourTests {
    static func fashionModel() throws -> Model {
        let onnx = try ONNXModel.load(contentsOf: AttributionCaptumTests.fixtures.appendingPathComponent("fashion.onnx"))
        var model = Model(onnx: onnx, name: "fashion")
        model.preprocessing.mean = [0.2860]
        model.preprocessing.std = [0.3530]
        return model
    }

    @Test(arguments: 0..<10) func classVisualizationMakesEveryClassTheTopClass(target: Int) throws {
        let model = try Self.fashionModel()
        var settings = ClassVisualizationSettings()
        settings.jitter = 2
        settings.seed = UInt64(target)
        let result = try model.classVisualization(target: target, settings: settings)
        #expect(result.rank == 0, "class \(target) is ranked \(result.rank + 1) after \(result.stepsTaken) steps")
        let (low, high) = model.preprocessing.validRange
        #expect(result.image.min() >= low[0] - 1e-6 && result.image.max() <= high[0] + 1e-6, "pixels left the valid range")
    }

    @Test func classVisualizationIsReproducibleAndInterruptible() throws {
        let model = try Self.fashionModel()
        var settings = ClassVisualizationSettings()
        settings.steps = 12
        let a = try model.classVisualization(target: 3, settings: settings)
        let b = try model.classVisualization(target: 3, settings: settings)
        #expect(a.image == b.image)
        let stop = Interruption()
        var kept: ClassVisualization?
        var steps = 0
        #expect(throws: Interrupted.self) {
            _ = try model.classVisualization(target: 3, settings: settings, interruption: stop, progress: { p in
                steps = p.step
                if p.step == 5 { stop.request() }
            }, partial: { kept = $0 })
        }
        #expect(steps == 5)
        #expect(kept?.stepsTaken == 5)
    }

    /// A fast regression check on the small fixture network (runner-up class as target, signed steps of 0.002
    /// on the margin); the acceptance check itself runs on fashion-cnn in FashionCNNExperimentsTests.
    @Test func foolingSucceedsWithSmallChanges() throws {
        let model = try Self.fashionModel()
        let data = try Dataset.load("fashion-mnist", split: "test", limit: 100, seed: 0)
        var successes = 0
        var totalLinf: Float = 0
        for i in 0..<data.count {
            let x = model.preprocessing.normalize(data.slice(i..<(i + 1)).tensor)
            // The target is the runner-up class (the nearest wrong answer), as in the lecture's examples.
            let logits = try model.outputLogits(x).scalars
            let target = logits.indices.sorted { logits[$0] > logits[$1] }[1]
            let result = try model.foolingImage(x, target: target, signed: true)
            if result.succeeded { successes += 1 }
            let change = model.preprocessing.denormalize(result.image) - model.preprocessing.denormalize(x)
            totalLinf += change.scalars.map(abs).max() ?? 0
        }
        #expect(successes >= 90, "fooled \(successes) of 100")
        #expect(totalLinf / 100 < 0.1, "mean L∞ \(totalLinf / 100)")
    }

    /// The margin's gradient is the target's logit gradient minus that of the strongest other class.
    @Test func marginGradientIsTargetMinusStrongestOther() throws {
        let model = try Self.fashionModel()
        let data = try Dataset.load("fashion-mnist", split: "test", limit: 2)
        let x = model.preprocessing.normalize(data.tensor)
        let logits = try model.outputLogits(x)
        let targets = [3, 7]
        let others = (0..<2).map { n in (0..<10).filter { $0 != targets[n] }.max { logits[n, $0] < logits[n, $1] }! }
        let margin = try model.scoreGradient(x, targets: targets, score: .margin)
        let own = try model.scoreGradient(x, targets: targets).gradient
        let other = try model.scoreGradient(x, targets: others).gradient
        AttributionCaptumTests.expectClose(margin.gradient, own - other, rtol: 1e-5, "margin gradient")
        let values = scores(of: logits, targets: targets, kind: .margin)
        for n in 0..<2 { #expect(abs(values[n] - (logits[n, targets[n]] - logits[n, others[n]])) < 1e-6) }
    }

    @Test func receptiveFieldsFollowStridesPaddingsAndKernels() throws {
        let model = try Self.fashionModel()
        let shape = [1, 1, 28, 28]
        // conv 3×3 pad 1 → pool 2 → conv 3×3 pad 1 → pool 2.
        #expect(try model.receptiveField(of: "conv1", inputShape: shape) == ReceptiveField(size: (3, 3), jump: (1, 1), offset: (-1, -1)))
        #expect(try model.receptiveField(of: "pool1", inputShape: shape) == ReceptiveField(size: (4, 4), jump: (2, 2), offset: (-1, -1)))
        #expect(try model.receptiveField(of: "conv2", inputShape: shape) == ReceptiveField(size: (8, 8), jump: (2, 2), offset: (-3, -3)))
        #expect(try model.receptiveField(of: "pool2", inputShape: shape) == ReceptiveField(size: (10, 10), jump: (4, 4), offset: (-3, -3)))
        #expect(try model.receptiveField(of: "fc1", inputShape: shape) == nil)
        let region = try #require(try model.receptiveField(of: "conv2", inputShape: shape)).region(y: 0, x: 13, height: 28, width: 28)
        #expect(region == (0, 23, 5, 28))
    }

    @Test func patchesAreTheTopActivationsInOrder() throws {
        let model = try Self.fashionModel()
        let data = try Dataset.load("fashion-mnist", split: "test", limit: 300, seed: 2)
        let found = try model.maximallyActivatingPatches(data, layer: "conv2", channel: 4, k: 5, batchSize: 64)
        #expect(found.count == 5)
        #expect(zip(found, found.dropFirst()).allSatisfy { $0.activation >= $1.activation })
        // Brute force over every image: the best activation of channel 4 anywhere.
        let all = try model.graph.run([model.input: model.preprocessing.normalize(data.tensor)], fetch: ["conv2"])["conv2"]!
        let plane = 14 * 14
        let best = (0..<data.count).map { n in (0..<plane).map { all.scalars[(n * 16 + 4) * plane + $0] }.max()! }
        #expect(found.map(\.activation) == Array(best.sorted(by: >).prefix(5)))
    }

    @Test func deletionCurveOfSaliencyFallsFasterThanOfARandomMap() throws {
        // On average over the fixture's four test images: on a single image a vanilla gradient map can lose to
        // a random one (it did on one of them).
        let model = try Self.fashionModel()
        let images = try AttributionCaptumTests.npy("fashion.input.npy")
        var (good, bad): (Float, Float) = (0, 0)
        for row in 0..<images.shape[0] {
            let x = try images.slice(axis: 0, row..<(row + 1))
            let saliency = try model.saliency(x, method: .vanilla).map
            let random = Tensor.random([28, 28], .uniform(low: 0, high: 1), seed: UInt64(3 + row))
            let curve = try model.faithfulness(x, map: saliency)
            good += curve.deletionAUC
            bad += try model.faithfulness(x, map: random).deletionAUC
            #expect(curve.deletion.first! == curve.insertion.last! || abs(curve.deletion.first! - curve.insertion.last!) < 1e-5)
        }
        #expect(good < bad, "mean deletion AUC: saliency \(good / 4), random \(bad / 4)")
    }

    @Test func sanityCheckRandomisesEveryWeightedLayer() throws {
        let model = try Self.fashionModel()
        let x = try AttributionCaptumTests.npy("fashion.input.npy").slice(axis: 0, 0..<1)
        let result = try model.sanityCheck(x, method: .vanilla)
        #expect(result.layers == ["fc2", "fc1", "conv2", "conv1"])
        #expect(result.rankCorrelations.count == 4)
        #expect(result.rankCorrelations.last! < 0.5, "vanilla gradients of a fully random network still correlate: \(result.rankCorrelations)")
        #expect(spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1)
        #expect(spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1)
    }
}
