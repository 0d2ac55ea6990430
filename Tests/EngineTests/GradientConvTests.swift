import Engine
import TestSupport
import Testing

/// Finite-difference checks of Conv's backward for every attribute variant (input, weight and bias).
@Suite struct GradientConvTests {
    struct Case: CustomStringConvertible, Sendable {
        var input: [Int]
        var weight: [Int]
        var strides = [1, 1]
        var pads = [0, 0, 0, 0]
        var dilations = [1, 1]
        var group = 1
        var bias = true
        var autoPad: AutoPad = .notSet
        var description: String {
            "x\(input) w\(weight) s\(strides) p\(pads) d\(dilations) g\(group) bias:\(bias) \(autoPad.rawValue)"
        }
        var op: Conv { Conv(strides: strides, pads: pads, dilations: dilations, group: group, autoPad: autoPad) }
    }

    static let cases: [Case] = [
        Case(input: [2, 3, 7, 6], weight: [4, 3, 3, 3]),
        Case(input: [1, 3, 7, 7], weight: [2, 3, 3, 3], strides: [2, 2], pads: [1, 1, 1, 1]),
        Case(input: [2, 2, 8, 7], weight: [3, 2, 3, 2], strides: [2, 1], pads: [0, 1, 2, 0]),  // asymmetric
        Case(input: [1, 2, 9, 9], weight: [2, 2, 3, 3], pads: [2, 2, 2, 2], dilations: [2, 2]),
        Case(input: [2, 4, 6, 6], weight: [6, 2, 3, 3], pads: [1, 1, 1, 1], group: 2),
        Case(input: [1, 4, 6, 5], weight: [4, 1, 3, 3], strides: [2, 2], pads: [1, 1, 1, 1], group: 4),  // depthwise
        Case(input: [2, 5, 4, 4], weight: [3, 5, 1, 1]),  // pointwise: plain GEMM
        Case(input: [2, 4, 4, 3], weight: [6, 2, 1, 1], group: 2, bias: false),  // grouped pointwise
        Case(input: [1, 3, 5, 5], weight: [2, 3, 1, 1], strides: [2, 2]),  // 1×1 strided: im2col path
        Case(input: [1, 2, 7, 5], weight: [3, 2, 3, 3], strides: [2, 2], autoPad: .sameUpper),
        Case(input: [1, 2, 6, 6], weight: [3, 2, 2, 2], strides: [1, 1], autoPad: .sameLower),
        Case(input: [1, 1, 5, 5], weight: [1, 1, 5, 5], pads: [1, 0, 0, 1], bias: false),
    ]

    @Test(arguments: cases)
    func convBackwardMatchesFiniteDifferences(_ c: Case) throws {
        let op = c.op
        let x = TestSupport.randn(c.input, seed: 1)
        let w = TestSupport.randn(c.weight, seed: 2, std: 0.5)
        let b: Tensor? = c.bias ? TestSupport.randn([c.weight[0]], seed: 3) : nil
        let check = try GradientCheck.run(op, inputs: [x, w, b], eps: 1e-2)
        #expect(check.passed, "\(check)")
    }

    @Test func convForwardMatchesDirectSum() throws {
        // Direct definition with asymmetric padding, stride, dilation and groups.
        let op = Conv(strides: [2, 1], pads: [1, 0, 0, 2], dilations: [1, 2], group: 2)
        let x = TestSupport.randn([2, 4, 6, 5], seed: 4)
        let w = TestSupport.randn([4, 2, 2, 3], seed: 5)
        let b = TestSupport.randn([4], seed: 6)
        let y = try op.forward([x, w, b])[0]
        #expect(y.shape == [2, 4, 3, 3])
        for n in 0..<2 {
            for m in 0..<4 {
                let g = m / 2
                for oh in 0..<3 {
                    for ow in 0..<3 {
                        var s = b[m]
                        for c in 0..<2 {
                            for kh in 0..<2 {
                                for kw in 0..<3 {
                                    let ih = oh * 2 - 1 + kh
                                    let iw = ow - 0 + kw * 2
                                    if ih >= 0 && ih < 6 && iw >= 0 && iw < 5 {
                                        s += x[n, g * 2 + c, ih, iw] * w[m, c, kh, kw]
                                    }
                                }
                            }
                        }
                        #expect(abs(y[n, m, oh, ow] - s) < 1e-4)
                    }
                }
            }
        }
    }

    @Test func weightGradientSkippedWhenNotNeeded() throws {
        let op = Conv(pads: [1, 1, 1, 1])
        let x = TestSupport.randn([1, 2, 4, 4], seed: 1)
        let w = TestSupport.randn([3, 2, 3, 3], seed: 2)
        let y = try op.forward([x, w, nil])[0]
        let grads = try op.backward(
            BackwardContext(
                inputs: [x, w, nil], outputs: [y], outputGradients: [y],
                needsInputGradient: [true, false, false]))
        #expect(grads[0] != nil)
        #expect(grads[1] == nil)
    }

    @Test func batchSplitAcrossCoresMatchesImageByImage() throws {
        let op = Conv(strides: [2, 2], pads: [1, 1, 1, 1], group: 2)
        let x = TestSupport.randn([5, 4, 9, 9], seed: 1)
        let w = TestSupport.randn([6, 2, 3, 3], seed: 2)
        let b = TestSupport.randn([6], seed: 3)
        let y = try op.forward([x, w, b])[0]
        let dy = TestSupport.randn(y.shape, seed: 4)
        func grads(_ x: Tensor, _ dy: Tensor) throws -> [Tensor?] {
            try op.backward(
                BackwardContext(
                    inputs: [x, w, b], outputs: [Tensor.zeros([0])], outputGradients: [dy],
                    needsInputGradient: [true, true, true], outputShapes: [dy.shape]))
        }
        let all = try grads(x, dy)
        #expect(try grads(x, dy)[1] == all[1])  // deterministic reduction order
        var dwSum = Tensor.zeros(w.shape)
        for n in 0..<5 {
            let xn = try x.slice(axis: 0, n..<(n + 1))
            let dyn = try dy.slice(axis: 0, n..<(n + 1))
            #expect(try op.forward([xn, w, b])[0] == (try y.slice(axis: 0, n..<(n + 1))))
            let one = try grads(xn, dyn)
            #expect(one[0] == (try all[0]!.slice(axis: 0, n..<(n + 1))))
            dwSum.add(one[1]!)
        }
        #expect(allClose(all[1]!, dwSum, rtol: 1e-5, atol: 1e-5))
    }

    @Test func badShapesThrow() {
        let op = Conv(group: 2)
        #expect(throws: ShapeError.self) {
            try op.forward([Tensor.zeros([1, 3, 4, 4]), Tensor.zeros([2, 1, 3, 3]), nil])
        }
        #expect(throws: ShapeError.self) {
            try Conv().forward([Tensor.zeros([1, 1, 2, 2]), Tensor.zeros([1, 1, 3, 3])])
        }
    }
}
