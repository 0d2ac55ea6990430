import Foundation
import Testing
@testable import Engine

/// The optimisers on real pictures with the offline `random-multiscale` network: losses fall, runs repeat.
@Suite struct SynthesisOptimisationTests {
    /// A sample image as `[1, 3, side, side]` in the model's input space.
    static func sample(_ name: String, side: Int, for net: Model) throws -> Tensor {
        let image = try SampleImages.load(name).toRGB().resized(shorterSide: side).centerCropped(height: side, width: side)
        return net.preprocessing.normalize(Tensor(shape: [1, 3, side, side], data: image.chwData()))
    }

    static func textureRun(steps: Int, seed: UInt64, side: Int = 32) throws -> SynthesisResult {
        let net = try Model.named("random-multiscale")
        let style = try sample("brick", side: side, for: net)
        let d = net.synthesisDefaults
        var settings = StyleTransferSettings()
        settings.steps = steps
        settings.weighting = d.weighting
        settings.styleLayers = d.styleLayers
        settings.styleWeights = d.styleWeights
        settings.tvWeight = 0
        settings.start = .random
        settings.seed = seed
        let targets = try net.synthesisTargets(content: nil, contentLayer: nil, styles: [style], styleLayers: d.styleLayers)
        let start = try net.synthesisStart(.random, content: nil, style: style, shape: style.shape, seed: seed)
        return try net.styleTransfer(from: start, targets: targets, settings: settings)
    }

    @Test func textureLossFallsBelowATenthOfTheStart() throws {
        let result = try Self.textureRun(steps: 60, seed: 1)
        #expect(result.finalLoss.total < 0.1 * result.initialLoss.total,
                "texture loss \(result.initialLoss.total) → \(result.finalLoss.total)")
    }

    /// Style-transfer settings with the model's own layers, weights and weighting.
    static func styleSettings(_ d: SynthesisDefaults) -> StyleTransferSettings {
        var settings = StyleTransferSettings()
        settings.weighting = d.weighting
        settings.contentLayer = d.contentLayer
        settings.contentWeight = d.contentWeight
        settings.styleLayers = d.styleLayers
        settings.styleWeights = d.styleWeights
        settings.tvWeight = d.tvWeight
        return settings
    }

    @Test func styleTransferLossFallsBelowATenthOfTheStart() throws {
        let net = try Model.named("random-multiscale")
        let content = try Self.sample("chelsea", side: 32, for: net)
        let style = try Self.sample("rocket", side: 32, for: net)
        let d = net.synthesisDefaults
        var settings = Self.styleSettings(d)
        settings.steps = 60
        let targets = try net.synthesisTargets(content: content, contentLayer: d.contentLayer, styles: [style], styleLayers: d.styleLayers)
        let result = try net.styleTransfer(from: content, targets: targets, settings: settings)
        #expect(result.finalLoss.total < 0.1 * result.initialLoss.total,
                "style transfer loss \(result.initialLoss) → \(result.finalLoss)")
        #expect(result.finalLoss.content > 0, "the image moved away from the content")
    }

    @Test func sameSeedGivesTheSameBytesAndAnotherSeedDoesNot() throws {
        let a = try Self.textureRun(steps: 4, seed: 7, side: 16)
        let b = try Self.textureRun(steps: 4, seed: 7, side: 16)
        let c = try Self.textureRun(steps: 4, seed: 8, side: 16)
        #expect(a.image.scalars == b.image.scalars)
        #expect(a.image.scalars != c.image.scalars)
    }

    @Test func blendedGramTargetIsTheWeightedMeanOfTheStyles() throws {
        let net = try Model.named("random-multiscale")
        let s1 = try Self.sample("chelsea", side: 16, for: net), s2 = try Self.sample("rocket", side: 16, for: net)
        let layers = ["relu3", "relu7"]
        let one = try net.synthesisTargets(content: nil, contentLayer: nil, styles: [s1], styleLayers: layers)
        let two = try net.synthesisTargets(content: nil, contentLayer: nil, styles: [s2], styleLayers: layers)
        let blended = try net.synthesisTargets(content: nil, contentLayer: nil, styles: [s1, s2], blend: [3, 1], styleLayers: layers)
        for layer in layers {
            let expected = one.grams[layer]! * 0.75 + two.grams[layer]! * 0.25
            #expect(blended.grams[layer]!.isClose(to: expected, rtol: 1e-5, atol: 1e-7), "\(layer)")
        }
    }

    @Test func deepDreamRaisesTheObjectiveAndKeepsPixelsValid() throws {
        let net = try Model.named("random-multiscale")
        let base = try Self.sample("chelsea", side: 48, for: net)
        var settings = DeepDreamSettings(layer: "relu5")
        settings.stepsPerOctave = 4
        settings.octaves = 2
        settings.jitter = DeepDreamSettings.defaultJitter(forShorterSide: 48)
        var objectives: [Float] = []
        let result = try net.deepDream(base, settings: settings, progress: { p in objectives.append(p.values[0].value) })
        #expect(result.image.shape == base.shape)
        #expect(result.stepsTaken == 8)
        // Within the last (full-size) octave the objective grows step by step.
        #expect(objectives[7] > objectives[4], "objectives \(objectives)")
        let (low, high) = net.preprocessing.validRange
        #expect(result.image.clampedPerChannel(low: low, high: high) == result.image)
        #expect(result.image != base)
        #expect(settings.jitter == 7)
    }

    @Test func interruptHandsBackThePartialImage() throws {
        let net = try Model.named("random-multiscale")
        let style = try Self.sample("brick", side: 16, for: net)
        let d = net.synthesisDefaults
        var settings = StyleTransferSettings()
        settings.steps = 50
        settings.styleLayers = d.styleLayers
        settings.styleWeights = d.styleWeights
        settings.weighting = .relative
        let targets = try net.synthesisTargets(content: nil, contentLayer: nil, styles: [style], styleLayers: d.styleLayers)
        let interruption = Interruption()
        var kept: SynthesisResult?
        #expect(throws: Interrupted.self) {
            _ = try net.styleTransfer(from: style, targets: targets, settings: settings, interruption: interruption,
                                      progress: { p in if p.step == 3 { interruption.request() } }, partial: { kept = $0 })
        }
        #expect(kept?.stepsTaken == 3)
    }

    @Test func originalColorsKeepTheContentsChrominance() {
        let output = Tensor(shape: [1, 3, 1, 2], data: [0.2, 0.9, 0.2, 0.9, 0.2, 0.9])  // gray pixels
        let content = Tensor(shape: [1, 3, 1, 2], data: [1, 1, 0, 0, 0, 0])  // red
        let mixed = output.withOriginalColors(from: content)
        // Luminance of the output is kept, the content's hue comes back: red stays the largest channel.
        let y = 0.299 * mixed[0, 0, 0, 0] + 0.587 * mixed[0, 1, 0, 0] + 0.114 * mixed[0, 2, 0, 0]
        #expect(abs(y - 0.2) < 1e-4)
        #expect(mixed[0, 0, 0, 1] > mixed[0, 1, 0, 1] && mixed[0, 0, 0, 1] > mixed[0, 2, 0, 1])
    }

    @Test func bilinearZoomMatchesScipyOrderOne() {
        // scipy.ndimage.zoom([[0, 1], [2, 3]], 1.5, order=1) on 2×2 → 3×3 aligns corners.
        let t = Tensor(shape: [1, 1, 2, 2], data: [0, 1, 2, 3])
        #expect(t.resizedBilinear(height: 3, width: 3).scalars == [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3])
    }
}
