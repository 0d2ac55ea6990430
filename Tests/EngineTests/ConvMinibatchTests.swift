import Foundation
import Testing
import TestSupport
@testable import Engine

/// The training step's convolution kernels (`ConvMinibatch`): the same convolution as the per-image path, up to
/// rounding, checked by finite differences and against that path, and only where a training step allows them.
@Suite struct ConvMinibatchTests {
    /// Ungrouped, non-pointwise variants with several images (the only ones the minibatch path takes).
    static let cases: [GradientConvTests.Case] = [
        .init(input: [3, 3, 7, 6], weight: [4, 3, 3, 3]),
        .init(input: [2, 3, 7, 7], weight: [2, 3, 3, 3], strides: [2, 2], pads: [1, 1, 1, 1]),
        .init(input: [5, 2, 8, 7], weight: [3, 2, 3, 2], strides: [2, 1], pads: [0, 1, 2, 0]),
        .init(input: [2, 2, 9, 9], weight: [2, 2, 3, 3], pads: [2, 2, 2, 2], dilations: [2, 2]),
        .init(input: [4, 3, 5, 5], weight: [2, 3, 1, 1], strides: [2, 2], bias: false),
        .init(input: [2, 1, 6, 6], weight: [5, 1, 3, 3], pads: [1, 1, 1, 1]),  // fashion-cnn's conv1, small
        .init(input: [3, 2, 5, 7], weight: [3, 2, 5, 5], pads: [2, 2, 2, 2]),  // same width, wider than tall
        .init(input: [2, 2, 6, 4], weight: [2, 2, 3, 3], pads: [0, 2, 1, 0], bias: false),  // same width, one-sided
    ]

    static func inputs(_ c: GradientConvTests.Case) -> [Tensor?] {
        [TestSupport.randn(c.input, seed: 1), TestSupport.randn(c.weight, seed: 2, std: 0.5),
         c.bias ? TestSupport.randn([c.weight[0]], seed: 3) : nil]
    }

    @Test(arguments: cases)
    func backwardMatchesFiniteDifferences(_ c: GradientConvTests.Case) throws {
        let op = c.op
        let plan = try op.plan(c.input, c.weight, c.bias ? [c.weight[0]] : nil)
        #expect(TrainingKernels.allowing { ConvMinibatch.applies(op, plan) })
        let check = try TrainingKernels.allowing { try GradientCheck.run(op, inputs: Self.inputs(c), eps: 1e-2) }
        #expect(check.passed, "\(check)")
    }

    /// Forward and every gradient agree with the per-image path to float rounding; with columns wider than the
    /// chunk budget (a worker's images then go through the weight-gradient GEMM in several chunks) too.
    @Test(arguments: cases + [.init(input: [5, 16, 122, 122], weight: [8, 16, 3, 3])])
    func agreesWithThePerImagePath(_ c: GradientConvTests.Case) throws {
        let op = c.op
        let inputs = Self.inputs(c)
        func pass() throws -> [Tensor?] {
            let y = try op.forward(inputs)[0]
            let dy = TestSupport.randn(y.shape, seed: 4)
            let ctx = BackwardContext(inputs: inputs, outputs: [y], outputGradients: [dy],
                                      needsInputGradient: inputs.map { $0 != nil })
            return [y] + (try op.backward(ctx))
        }
        let perImage = try pass()
        let minibatch = try TrainingKernels.allowing { try pass() }
        #expect(perImage.count == minibatch.count)
        for (i, (a, b)) in zip(perImage, minibatch).enumerated() {
            guard let a, let b else {
                #expect(a == nil && b == nil, "output \(i)")
                continue
            }
            let scale = Double(a.scalars.map(abs).max() ?? 0)
            let difference = Double(zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0)
            #expect(a.shape == b.shape && difference <= 1e-5 * max(scale, 1), "output \(i): max |Δ| \(difference)")
        }
    }

    /// The same-width unfolding writes exactly im2col's columns, and its fold adds exactly what col2imAdd adds.
    @Test(arguments: [([5, 6], [3, 3], [1, 1, 1, 1]), ([4, 7], [5, 5], [2, 2, 2, 2]), ([6, 4], [3, 3], [0, 2, 1, 0]),
                      ([3, 3], [5, 5], [2, 2, 2, 2]), ([2, 5], [3, 1], [1, 0, 1, 0]), ([7, 5], [4, 2], [2, 1, 1, 0])])
    func sameWidthColumnsAreIm2col(size: [Int], kernel: [Int], pads: [Int]) throws {
        let w = try Window2D(inH: size[0], inW: size[1], kernel: kernel, strides: [1, 1], pads: pads, dilations: [1, 1],
                             autoPad: .notSet)
        #expect(SameWidthColumns.apply(w))
        let channels = 3
        let x = TestSupport.randn([channels, size[0], size[1]], seed: 5).scalars
        let rows = channels * kernel[0] * kernel[1], planeOut = w.outH * w.outW
        var expected = [Float](repeating: .nan, count: rows * planeOut), unfolded = expected
        im2col(x, channels: channels, w, into: &expected)
        SameWidthColumns.unfold(x, channels: channels, w, into: &unfolded, rowStride: planeOut)
        #expect(unfolded == expected)
        let dcol = TestSupport.randn([rows, planeOut], seed: 6).scalars
        var reference = TestSupport.randn([channels, size[0], size[1]], seed: 7).scalars, folded = reference
        col2imAdd(dcol, channels: channels, w, into: &reference)
        var scratch = dcol
        SameWidthColumns.foldAdd(&scratch, channels: channels, w, into: &folded)
        #expect(folded == reference)
    }

    @Test func onlyATrainingStepWithSeveralImagesTakesIt() throws {
        let op = Conv(pads: [1, 1, 1, 1])
        let plan = try op.plan([4, 2, 8, 8], [3, 2, 3, 3], nil)
        #expect(!ConvMinibatch.applies(op, plan))
        #expect(TrainingKernels.allowing { ConvMinibatch.applies(op, plan) })
        #expect(!TrainingKernels.allowing { ConvMinibatch.applies(op, try! op.plan([1, 2, 8, 8], [3, 2, 3, 3], nil)) })
        let pointwise = Conv()
        #expect(!TrainingKernels.allowing { ConvMinibatch.applies(pointwise, try! pointwise.plan([4, 2, 8, 8], [3, 2, 1, 1], nil)) })
        let grouped = Conv(pads: [1, 1, 1, 1], group: 2)
        #expect(!TrainingKernels.allowing { ConvMinibatch.applies(grouped, try! grouped.plan([4, 2, 8, 8], [4, 1, 3, 3], nil)) })
    }
}
