import Foundation
import Testing
import TestSupport

@testable import Engine

/// One image's convolution split between the cores (`ConvSingleImage`): the same bytes as that image in a batch
/// (whose workers cut each image into the same parts) and however the parts are scheduled.
@Suite struct ConvSingleImageTests {
    typealias Case = GradientConvTests.Case

    static let cases: [Case] = [
        Case(input: [1, 16, 13, 13], weight: [64, 16, 3, 3], pads: [1, 1, 1, 1]),  // SqueezeNet 3×3 expand, odd rows
        Case(input: [1, 48, 13, 13], weight: [192, 48, 1, 1]),  // pointwise expand
        Case(input: [1, 64, 13, 13], weight: [1000, 64, 1, 1]),  // classifier-like, M not a multiple of the kernels'
        Case(input: [1, 3, 37, 35], weight: [16, 3, 3, 3], strides: [2, 2]),  // SqueezeNet's first layer, smaller
        Case(input: [1, 5, 9, 8], weight: [7, 5, 3, 2], strides: [2, 1], pads: [0, 1, 2, 0]),  // asymmetric
        Case(input: [1, 4, 9, 9], weight: [6, 4, 3, 3], pads: [2, 2, 2, 2], dilations: [2, 2]),
        Case(input: [1, 6, 7, 6], weight: [9, 2, 3, 3], pads: [1, 1, 1, 1], group: 3),
        Case(input: [1, 1, 5, 1], weight: [3, 1, 3, 1]),  // three output rows, one channel: a part left empty
    ]

    static func single(_ op: Conv, _ x: Tensor, _ w: Tensor, _ b: Tensor?) throws -> Tensor {
        #expect(op.runsAsSingleImage(try op.plan(x.shape, w.shape, b?.shape)))
        return try op.forward([x, w, b])[0]
    }

    static func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }

    /// Forward and input gradient of an image alone against the same image in a batch (the batch path), and alone
    /// again with the parts run one after the other inside a batch-parallel region: the same bytes each time.
    @Test(arguments: cases)
    func oneImageMatchesTheBatchPathAndItsPartsAreIndependent(_ c: Case) throws {
        let op = c.op
        let x = TestSupport.randn(c.input, seed: 1)
        let other = TestSupport.randn(c.input, seed: 2)
        let w = TestSupport.randn(c.weight, seed: 3, std: 0.3)
        let b = TestSupport.randn([c.weight[0]], seed: 4)
        let batch = try Tensor.concatenate([other, x], axis: 0)
        let y = try Self.single(op, x, w, b)
        let yBatch = try op.forward([batch, w, b])[0]
        #expect(Self.bits(y) == Self.bits(try yBatch.slice(axis: 0, 1..<2)), "forward")
        let dy = TestSupport.randn(y.shape, seed: 5)
        let dyBatch = try Tensor.concatenate([TestSupport.randn(y.shape, seed: 6), dy], axis: 0)
        let dx = try ConvWinogradTests.inputGradient(op, x, w, dy)
        let dxBatch = try ConvWinogradTests.inputGradient(op, batch, w, dyBatch)
        #expect(Self.bits(dx) == Self.bits(try dxBatch.slice(axis: 0, 1..<2)), "input gradient")
        let (ySerial, dxSerial) = try BatchParallel.withBLASThreads(1) {
            (try Self.single(op, x, w, b), try ConvWinogradTests.inputGradient(op, x, w, dy))
        }
        #expect(Self.bits(ySerial) == Self.bits(y), "forward, parts in turn")
        #expect(Self.bits(dxSerial) == Self.bits(dx), "input gradient, parts in turn")
    }

    /// A single logit's gradient reaches a 1×1 classifier in one channel: the other 999 are skipped (alone and in
    /// a batch), and the result is the full product's: every sum has one nonzero term.
    @Test func zeroOutputGradientChannelsAreSkippedExactly() throws {
        let op = Conv()
        let x = TestSupport.randn([1, 64, 13, 13], seed: 10)
        let w = TestSupport.randn([1000, 64, 1, 1], seed: 11, std: 0.1)
        let other = TestSupport.randn([1, 1000, 13, 13], seed: 12)
        for channels in [[], [7], [0], [999], [3, 500]] {
            var dy = Tensor.zeros([1, 1000, 13, 13])
            for m in channels { for i in 0..<169 { dy[0, m, i / 13, i % 13] = Float(i % 5) - 1.5 } }
            let dx = try ConvWinogradTests.inputGradient(op, x, w, dy)
            let dxBatch = try ConvWinogradTests.inputGradient(op, try Tensor.concatenate([x, x], axis: 0), w,
                                                 try Tensor.concatenate([dy, other], axis: 0))
            #expect(dx == (try dxBatch.slice(axis: 0, 0..<1)), "nonzero channels \(channels)")
            if channels.isEmpty { #expect(dx.scalars.allSatisfy { $0 == 0 }) }
        }
        // A channel nonzero at one position only — in the first block of eight, a later one, or the tail past the
        // last full block (169 = 21·8 + 1) — is found, and each sum is its one product.
        for position in [0, 8, 100, 168] {
            var dy = Tensor.zeros([1, 1000, 13, 13])
            dy[0, 321, position / 13, position % 13] = 0.75
            let dx = try ConvWinogradTests.inputGradient(op, x, w, dy)
            for c in 0..<64 {
                for p in 0..<169 {
                    let expected: Float = p == position ? w[321, c, 0, 0] * 0.75 : 0
                    #expect(dx[0, c, p / 13, p % 13] == expected, "position \(position), channel \(c)")
                }
            }
        }
        // 3×3 padded: the col2im path with one nonzero channel.
        let conv3 = Conv(pads: [1, 1, 1, 1])
        let w3 = TestSupport.randn([32, 8, 3, 3], seed: 13)
        let x3 = TestSupport.randn([1, 8, 11, 10], seed: 14)
        var dy3 = Tensor.zeros([1, 32, 11, 10])
        for i in 0..<110 { dy3[0, 5, i / 10, i % 10] = Float(i) / 50 - 1 }
        let dx3 = try ConvWinogradTests.inputGradient(conv3, x3, w3, dy3)
        let batch3 = try ConvWinogradTests.inputGradient(conv3, try Tensor.concatenate([x3, x3], axis: 0), w3,
                                            try Tensor.concatenate([dy3, dy3], axis: 0))
        #expect(dx3 == (try batch3.slice(axis: 0, 0..<1)))
    }

    /// The same call gives the same bytes every time, also while other threads convolve.
    @Test func repeatedAndConcurrentCallsAgree() throws {
        let op = Conv(pads: [1, 1, 1, 1])
        let x = TestSupport.randn([1, 32, 27, 27], seed: 15)
        let w = TestSupport.randn([128, 32, 3, 3], seed: 16, std: 0.2)
        let reference = Self.bits(try Self.single(op, x, w, nil))
        let dy = TestSupport.randn([1, 128, 27, 27], seed: 17)
        let dxReference = Self.bits(try ConvWinogradTests.inputGradient(op, x, w, dy))
        let lock = NSLock()
        var same: [Bool] = []
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            for _ in 0..<3 {
                let y = (try? Self.single(op, x, w, nil)).map(Self.bits)
                let dx = (try? ConvWinogradTests.inputGradient(op, x, w, dy)).map(Self.bits)
                lock.withLock { same.append(y == reference && dx == dxReference) }
            }
        }
        #expect(same == [Bool](repeating: true, count: 9))
    }

    static let squeezeNet = ONNXOracle.largeDirectory.appendingPathComponent("squeezenet1_1.onnx")

    /// SqueezeNet's saliency (logits and input gradient) of an image alone and beside another: the same bytes.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: squeezeNet.path), "needs tools/oracle/make_fixtures.py --large"))
    func squeezeNetSaliencyIsTheSameAloneAndInABatch() throws {
        let model = try ONNXModel.load(contentsOf: Self.squeezeNet)
        func saliency(_ x: Tensor) throws -> (Tensor, Tensor) {
            let pass = try model.graph.forward([model.inputName: x], capture: [])
            var seed = Tensor.zeros(pass.outputs[0].shape)
            for i in 0..<x.shape[0] { seed[i, 3] = 1 }
            return (pass.outputs[0], try #require(try pass.backward(gradient: seed)[model.inputName]))
        }
        let x = TestSupport.randn([1, 3, 224, 224], seed: 18)
        let (logits, gradient) = try saliency(x)
        let (batchLogits, batchGradient) = try saliency(try Tensor.concatenate([x, TestSupport.randn([1, 3, 224, 224], seed: 19)], axis: 0))
        #expect(Self.bits(logits) == Self.bits(try batchLogits.slice(axis: 0, 0..<1)))
        #expect(Self.bits(gradient) == Self.bits(try batchGradient.slice(axis: 0, 0..<1)))
    }
}
