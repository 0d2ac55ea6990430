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

    /// Odd and even extents (tiles hanging over the edge), maps smaller than a tile, asymmetric pads 0…2.
    static let cases: [Case] = [
        Case(input: [2, 16, 9, 8], outChannels: 32, pads: [1, 1, 1, 1]),
        Case(input: [1, 32, 7, 7], outChannels: 16, pads: [0, 0, 0, 0]),
        Case(input: [1, 32, 6, 11], outChannels: 16, pads: [2, 0, 1, 2]),
        Case(input: [3, 32, 3, 3], outChannels: 64, pads: [1, 1, 1, 1]),  // one tile block: channels split in two
        Case(input: [1, 32, 1, 5], outChannels: 16, pads: [1, 1, 1, 1]),
        Case(input: [1, 16, 17, 16], outChannels: 16, pads: [2, 2, 2, 2]),
    ]

    static func window(_ c: Case) throws -> Window2D {
        try Window2D(
            inH: c.input[2], inW: c.input[3], kernel: [3, 3], strides: [1, 1], pads: c.pads, dilations: [1, 1],
            autoPad: .notSet)
    }

    /// y[n, m, oh, ow] = Σ x[n, c, oh − padTop + kh, ow − padLeft + kw] · w[m, c, kh, kw], in Double.
    static func directForward(_ x: Tensor, _ w: Tensor, _ win: Window2D) -> [Double] {
        let (n, c, m) = (x.shape[0], x.shape[1], w.shape[0])
        let xs = x.scalars, ws = w.scalars
        var y = [Double](repeating: 0, count: n * m * win.outH * win.outW)
        for i in 0..<n {
            for o in 0..<m {
                for oh in 0..<win.outH {
                    for ow in 0..<win.outW {
                        var s = 0.0
                        for ch in 0..<c {
                            for kh in 0..<3 {
                                let ih = oh - win.padTop + kh
                                if ih < 0 || ih >= win.inH { continue }
                                for kw in 0..<3 {
                                    let iw = ow - win.padLeft + kw
                                    if iw < 0 || iw >= win.inW { continue }
                                    s += Double(xs[((i * c + ch) * win.inH + ih) * win.inW + iw])
                                        * Double(ws[((o * c + ch) * 3 + kh) * 3 + kw])
                                }
                            }
                        }
                        y[((i * m + o) * win.outH + oh) * win.outW + ow] = s
                    }
                }
            }
        }
        return y
    }

    /// The adjoint of `directForward`: dx[n, c, ih, iw] = Σ dy[n, m, oh, ow] · w[m, c, kh, kw], in Double.
    static func directInputGradient(_ dy: Tensor, _ w: Tensor, _ win: Window2D, channels c: Int) -> [Double] {
        let (n, m) = (dy.shape[0], w.shape[0])
        let gs = dy.scalars, ws = w.scalars
        var dx = [Double](repeating: 0, count: n * c * win.inH * win.inW)
        for i in 0..<n {
            for o in 0..<m {
                for oh in 0..<win.outH {
                    for ow in 0..<win.outW {
                        let g = Double(gs[((i * m + o) * win.outH + oh) * win.outW + ow])
                        for ch in 0..<c {
                            for kh in 0..<3 {
                                let ih = oh - win.padTop + kh
                                if ih < 0 || ih >= win.inH { continue }
                                for kw in 0..<3 {
                                    let iw = ow - win.padLeft + kw
                                    if iw < 0 || iw >= win.inW { continue }
                                    dx[((i * c + ch) * win.inH + ih) * win.inW + iw] +=
                                        g * Double(ws[((o * c + ch) * 3 + kh) * 3 + kw])
                                }
                            }
                        }
                    }
                }
            }
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
        #expect(
            Winograd3x3.appliesToInputGradient(win, group: 1, inChannels: c.input[1], outChannels: c.outChannels)
                == (c.input[1] >= 32))
        let op = Conv(pads: c.pads)
        let x = TestSupport.randn(c.input, seed: 1)
        let w = TestSupport.randn([c.outChannels, c.input[1], 3, 3], seed: 2, std: 0.2)
        let y = try op.forward([x, w, nil])[0]
        #expect(y.shape == [c.input[0], c.outChannels, win.outH, win.outW])
        let forwardError = Self.relativeError(y, Self.directForward(x, w, win))
        #expect(forwardError < 2e-6, "forward \(forwardError)")
        let dy = TestSupport.randn(y.shape, seed: 3)
        let dx = try Self.inputGradient(op, x, w, dy)
        #expect(dx.shape == x.shape)
        let backwardError = Self.relativeError(dx, Self.directInputGradient(dy, w, win, channels: c.input[1]))
        #expect(backwardError < 2e-6, "input gradient \(backwardError)")
    }

    /// Pads beyond 2 have no Winograd input gradient (its pads would be negative): im2col takes over.
    @Test func widePaddingFallsBackForTheInputGradient() throws {
        let c = Case(input: [1, 32, 5, 6], outChannels: 16, pads: [3, 1, 0, 3])
        let win = try Self.window(c)
        #expect(Winograd3x3.applies(win, group: 1, inChannels: 32, outChannels: 16))
        #expect(!Winograd3x3.appliesToInputGradient(win, group: 1, inChannels: 32, outChannels: 16))
        let op = Conv(pads: c.pads)
        let x = TestSupport.randn(c.input, seed: 4)
        let w = TestSupport.randn([16, 32, 3, 3], seed: 5, std: 0.2)
        let y = try op.forward([x, w, nil])[0]
        #expect(Self.relativeError(y, Self.directForward(x, w, win)) < 2e-6)
        let dy = TestSupport.randn(y.shape, seed: 6)
        let dx = try Self.inputGradient(op, x, w, dy)
        #expect(Self.relativeError(dx, Self.directInputGradient(dy, w, win, channels: 32)) < 2e-6)
    }

    @Test func finiteDifferencesThroughTheWinogradPath() throws {
        let op = Conv(pads: [1, 0, 2, 1])
        let x = TestSupport.randn([2, 32, 5, 4], seed: 7)
        let w = TestSupport.randn([16, 32, 3, 3], seed: 8, std: 0.2)
        let b = TestSupport.randn([16], seed: 9)
        let check = try GradientCheck.run(op, inputs: [x, w, b], eps: 1e-2)
        #expect(check.passed, "\(check)")
    }

    /// Each image's output and input gradient are the same bytes alone, in a batch, and beside other images:
    /// the work items are fixed by the shape (here several tile blocks per image), never by the batch.
    @Test(arguments: [[3, 32, 66, 66], [3, 32, 6, 7]])
    func imagesGiveTheSameBytesWhateverTheBatch(_ shape: [Int]) throws {
        let op = Conv(pads: [1, 1, 1, 1])
        let x = TestSupport.randn(shape, seed: 10)
        let w = TestSupport.randn([64, 32, 3, 3], seed: 11, std: 0.2)
        let win = try Window2D(
            inH: shape[2], inW: shape[3], kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1],
            autoPad: .notSet)
        let blocking = Winograd3x3.Blocking(outH: win.outH, outW: win.outW, inChannels: 32, outChannels: 64)
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
