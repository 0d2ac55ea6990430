import Foundation
import TestSupport
import Testing

@testable import Engine

/// The Winograd F(2×2, 3×3) path of `Conv` (3×3, stride 1): forward and input gradient against the definition
/// summed in double precision, finite differences, and results that do not depend on the batch around an image.
@Suite struct ConvWinogradTests {
    struct Case: CustomStringConvertible, Sendable {
        var input: [Int]
        var outChannels: Int
        var pads: [Int]
        var description: String { "x\(input) → \(outChannels) p\(pads)" }
    }

    /// Odd and even extents (tiles hanging over the edge), asymmetric pads 0…2, one or several tile blocks.
    static let cases: [Case] = [
        Case(input: [2, 64, 28, 28], outChannels: 64, pads: [1, 1, 1, 1]),
        Case(input: [1, 64, 29, 31], outChannels: 64, pads: [2, 0, 1, 2]),
        Case(input: [1, 64, 30, 30], outChannels: 96, pads: [0, 0, 0, 0]),
    ]

    static func window(_ c: Case) throws -> Window2D {
        try Window2D(
            inH: c.input[2], inW: c.input[3], kernel: [3, 3], strides: [1, 1], pads: c.pads, dilations: [1, 1],
            autoPad: .notSet)
    }

    /// Calls `body(xIndex, wIndex, yIndex)` for every product x[n, c, oh − padTop + kh, ow − padLeft + kw] ·
    /// w[m, c, kh, kw] of the definition that lands in y[n, m, oh, ow] (flat indices; padding skipped).
    static func forEachTap(images: Int, channels c: Int, outChannels m: Int, _ win: Window2D,
                           _ body: (Int, Int, Int) -> Void) {
        for i in 0..<images {
            for o in 0..<m {
                for oh in 0..<win.outH {
                    for ow in 0..<win.outW {
                        let y = ((i * m + o) * win.outH + oh) * win.outW + ow
                        for ch in 0..<c {
                            for kh in 0..<3 {
                                let ih = oh - win.padTop + kh
                                if ih < 0 || ih >= win.inH { continue }
                                for kw in 0..<3 {
                                    let iw = ow - win.padLeft + kw
                                    if iw < 0 || iw >= win.inW { continue }
                                    body(((i * c + ch) * win.inH + ih) * win.inW + iw, ((o * c + ch) * 3 + kh) * 3 + kw, y)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// y = the convolution by its definition, in Double.
    static func directForward(_ x: Tensor, _ w: Tensor, _ win: Window2D) -> [Double] {
        let xs = x.scalars, ws = w.scalars
        var y = [Double](repeating: 0, count: x.shape[0] * w.shape[0] * win.outH * win.outW)
        forEachTap(images: x.shape[0], channels: x.shape[1], outChannels: w.shape[0], win) { xi, wi, yi in
            y[yi] += Double(xs[xi]) * Double(ws[wi])
        }
        return y
    }

    /// Its adjoint, dx[n, c, ih, iw] = Σ dy[n, m, oh, ow] · w[m, c, kh, kw], in Double.
    static func directInputGradient(_ dy: Tensor, _ w: Tensor, _ win: Window2D, channels c: Int) -> [Double] {
        let gs = dy.scalars, ws = w.scalars
        var dx = [Double](repeating: 0, count: dy.shape[0] * c * win.inH * win.inW)
        forEachTap(images: dy.shape[0], channels: c, outChannels: w.shape[0], win) { xi, wi, yi in
            dx[xi] += Double(gs[yi]) * Double(ws[wi])
        }
        return dx
    }

    /// max |a − b| / max |b|.
    static func relativeError(_ a: Tensor, _ b: [Double]) -> Double {
        let s = a.scalars
        #expect(s.count == b.count)
        var diff = 0.0, scale = 0.0
        for (p, q) in zip(s, b) {
            diff = max(diff, abs(Double(p) - q))
            scale = max(scale, abs(q))
        }
        return diff / max(scale, 1e-30)
    }

    static func inputGradient(_ op: Conv, _ x: Tensor, _ w: Tensor, _ dy: Tensor) throws -> Tensor {
        let grads = try op.backward(
            BackwardContext(
                inputs: [x, w, nil], outputs: [Tensor.zeros([0])], outputGradients: [dy],
                needsInputGradient: [true, false, false], outputShapes: [dy.shape]))
        return try #require(grads[0])
    }

    @Test(arguments: cases)
    func forwardAndInputGradientMatchTheDefinition(_ c: Case) throws {
        let win = try Self.window(c)
        #expect(Winograd3x3.applies(win, group: 1, inChannels: c.input[1], outChannels: c.outChannels))
        #expect(Winograd3x3.appliesToInputGradient(win, group: 1, inChannels: c.input[1], outChannels: c.outChannels))
        let op = Conv(pads: c.pads)
        let x = TestSupport.randn(c.input, seed: 1)
        let w = TestSupport.randn([c.outChannels, c.input[1], 3, 3], seed: 2, std: 0.2)
        let y = try op.forward([x, w, nil])[0]
        #expect(y.shape == [c.input[0], c.outChannels, win.outH, win.outW])
        let forwardError = Self.relativeError(y, Self.directForward(x, w, win))
        #expect(forwardError < 1e-5, "forward \(forwardError)")
        let dy = TestSupport.randn(y.shape, seed: 3)
        let dx = try Self.inputGradient(op, x, w, dy)
        #expect(dx.shape == x.shape)
        let backwardError = Self.relativeError(dx, Self.directInputGradient(dy, w, win, channels: c.input[1]))
        #expect(backwardError < 1e-5, "input gradient \(backwardError)")
    }

    /// Pads beyond 2 have no Winograd input gradient (its pads would be negative): im2col takes over.
    @Test func widePaddingFallsBackForTheInputGradient() throws {
        let c = Case(input: [1, 64, 28, 28], outChannels: 64, pads: [3, 1, 0, 3])
        let win = try Self.window(c)
        #expect(Winograd3x3.applies(win, group: 1, inChannels: 64, outChannels: 64))
        #expect(!Winograd3x3.appliesToInputGradient(win, group: 1, inChannels: 64, outChannels: 64))
        let op = Conv(pads: c.pads)
        let x = TestSupport.randn(c.input, seed: 4)
        let w = TestSupport.randn([64, 64, 3, 3], seed: 5, std: 0.2)
        let y = try op.forward([x, w, nil])[0]
        #expect(Self.relativeError(y, Self.directForward(x, w, win)) < 1e-5)
        let dy = TestSupport.randn(y.shape, seed: 6)
        let dx = try Self.inputGradient(op, x, w, dy)
        #expect(Self.relativeError(dx, Self.directInputGradient(dy, w, win, channels: 64)) < 1e-5)
    }

    /// Small layers stay on im2col (as fast there, and their rounding unchanged): few channels, small maps,
    /// strides, dilations, groups.
    @Test func smallOrOtherConvolutionsKeepIm2col() throws {
        func window(_ size: Int, stride: Int = 1, dilation: Int = 1) throws -> Window2D {
            try Window2D(
                inH: size, inW: size, kernel: [3, 3], strides: [stride, stride], pads: [1, 1, 1, 1],
                dilations: [dilation, dilation], autoPad: .notSet)
        }
        #expect(Winograd3x3.applies(try window(28), group: 1, inChannels: 64, outChannels: 64))
        #expect(!Winograd3x3.applies(try window(14), group: 1, inChannels: 512, outChannels: 512))
        #expect(!Winograd3x3.applies(try window(55), group: 1, inChannels: 16, outChannels: 64))
        #expect(!Winograd3x3.applies(try window(56), group: 1, inChannels: 3, outChannels: 64))
        #expect(!Winograd3x3.appliesToInputGradient(try window(224), group: 1, inChannels: 3, outChannels: 64))
        #expect(!Winograd3x3.applies(try window(56, stride: 2), group: 1, inChannels: 64, outChannels: 64))
        #expect(!Winograd3x3.applies(try window(56, dilation: 2), group: 1, inChannels: 64, outChannels: 64))
        #expect(!Winograd3x3.applies(try window(56), group: 2, inChannels: 64, outChannels: 64))
    }

    @Test func finiteDifferencesThroughTheWinogradPath() throws {
        let op = Conv(pads: [1, 0, 2, 1])
        let x = TestSupport.randn([1, 64, 28, 29], seed: 7)
        let w = TestSupport.randn([64, 64, 3, 3], seed: 8, std: 0.05)
        let b = TestSupport.randn([64], seed: 9)
        #expect(Winograd3x3.applies(try op.plan(x.shape, w.shape, b.shape).window, group: 1, inChannels: 64, outChannels: 64))
        let check = try GradientCheck.run(op, inputs: [x, w, b], wrt: [0], eps: 1e-2, samples: 24)
        #expect(check.passed, "\(check)")
    }

    /// Each image's output and input gradient are the same bytes alone, in a batch, and beside other images:
    /// the work items are fixed by the shape (here several tile blocks per image), never by the batch.
    @Test(arguments: [[3, 64, 66, 66], [3, 64, 28, 29]])
    func imagesGiveTheSameBytesWhateverTheBatch(_ shape: [Int]) throws {
        let op = Conv(pads: [1, 1, 1, 1])
        let x = TestSupport.randn(shape, seed: 10)
        let w = TestSupport.randn([64, 64, 3, 3], seed: 11, std: 0.2)
        let win = try Window2D(
            inH: shape[2], inW: shape[3], kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1],
            autoPad: .notSet)
        #expect(Winograd3x3.applies(win, group: 1, inChannels: 64, outChannels: 64))
        let blocking = Winograd3x3.Blocking(outH: win.outH, outW: win.outW, inChannels: 64, outChannels: 64)
        #expect(blocking.tileBlocks * blocking.channelBlocks > 1, "several work items per image")
        let y = try op.forward([x, w, nil])[0]
        let dy = TestSupport.randn(y.shape, seed: 12)
        let dx = try Self.inputGradient(op, x, w, dy)
        for n in 0..<shape[0] {
            let xn = try x.slice(axis: 0, n..<(n + 1))
            let dyn = try dy.slice(axis: 0, n..<(n + 1))
            #expect(try op.forward([xn, w, nil])[0] == (try y.slice(axis: 0, n..<(n + 1))))
            #expect(try Self.inputGradient(op, xn, w, dyn) == (try dx.slice(axis: 0, n..<(n + 1))))
        }
        // Reversed batch order: the same bytes per image.
        let reversed = try Tensor.concatenate((0..<shape[0]).reversed().map { try x.slice(axis: 0, $0..<($0 + 1)) }, axis: 0)
        let yr = try op.forward([reversed, w, nil])[0]
        #expect(try yr.slice(axis: 0, 0..<1) == (try y.slice(axis: 0, (shape[0] - 1)..<shape[0])))
    }
}
