import Testing
@testable import Engine

/// Integrated gradients walked from the first convolution's output (`AffineStem`) against the same path walked
/// through the whole model, point by point.
struct AffineStemTests {
    static func image(seed: UInt64, shape: [Int]) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in generator.nextNormal() })
    }

    /// (x − x₀) · Σᵢ wᵢ ∇score(x₀ + αᵢ(x − x₀)) through the whole model: the definition the stem shortcuts.
    static func integratedThroughWholeModel(_ model: Model, _ x: Tensor, baseline x0: Tensor, target: Int,
                                            steps: Int) throws -> Tensor {
        let summed = try model.weightedPathGradient(from: x0, to: x, target: target, path: trapezoidRule(points: steps),
                                                    batchSize: 7, interruption: nil, progress: { _ in })
        return (x - x0) * summed
    }

    static func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        let scale = b.scalars.map(abs).max() ?? 0
        return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()! / max(scale, 1e-30)
    }

    @Test(arguments: [Float(0), 0.3])
    func integratedGradientsThroughTheStemEqualTheWholeModelsPath(baselineValue: Float) throws {
        let model = try Model.architecture("fashion-cnn", seed: 3)
        #expect(AffineStem(model) != nil)
        let x = Self.image(seed: 11, shape: [2, 1, 28, 28])
        var options = SaliencyOptions()
        options.steps = 20
        options.baseline = Tensor(shape: x.shape, repeating: baselineValue)
        let targets = [4, 7]
        let viaStem = try model.integratedGradients(x, targets: targets, options: options, interruption: nil, progress: nil)
        for row in 0..<2 {
            let xr = try x.slice(axis: 0, row..<(row + 1))
            let expected = try Self.integratedThroughWholeModel(
                model, xr, baseline: Tensor(shape: xr.shape, repeating: baselineValue), target: targets[row], steps: 20)
            let error = Self.relativeError(try viaStem.slice(axis: 0, row..<(row + 1)), expected)
            #expect(error < 1e-5, "row \(row): \(error)")
            #expect(expected.scalars.contains { $0 != 0 })
        }
    }

    @Test func aModelNotStartingWithAConvolutionHasNoStem() throws {
        #expect(AffineStem(try Model.architecture("mlp", seed: 1)) == nil)
    }

    @Test func theStemSplitsAtTheFirstConvolution() throws {
        let model = try Model.architecture("fashion-cnn", seed: 3)
        let split = try #require(AffineStem(model))
        #expect(split.stem.graph.nodes.count == 1)
        #expect(split.rest.graph.nodes.count == model.graph.nodes.count - 1)
        let x = Self.image(seed: 5, shape: [3, 1, 28, 28])
        let whole = try model.outputLogits(x)
        let twoParts = try split.rest.outputLogits(try split.forward(x, interruption: nil))
        #expect(whole.scalars == twoParts.scalars)
    }
}
