@testable import Engine
import TestSupport
import Testing

/// Finite-difference checks of the pooling ops for every attribute variant, plus exact forward values.
@Suite struct GradientPoolTests {
    struct Case: CustomStringConvertible, Sendable {
        var input: [Int]
        var kernel: [Int]
        var strides: [Int]? = nil
        var pads = [0, 0, 0, 0]
        var ceil = false
        var countIncludePad = false
        var dilations: [Int]? = nil
        var description: String {
            "x\(input) k\(kernel) s\(strides ?? [1, 1]) p\(pads) ceil:\(ceil) cip:\(countIncludePad) d\(dilations ?? [1, 1])"
        }
    }

    static let cases: [Case] = [
        Case(input: [2, 2, 6, 6], kernel: [2, 2], strides: [2, 2]),
        Case(input: [1, 3, 7, 7], kernel: [3, 3], strides: [2, 2], ceil: true),  // squeezenet style
        Case(input: [1, 2, 6, 5], kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]),
        Case(
            input: [1, 2, 6, 6], kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil: true, countIncludePad: true),
        Case(input: [1, 2, 5, 6], kernel: [2, 3], strides: [1, 2], pads: [0, 1, 1, 0], countIncludePad: true),
        Case(input: [1, 1, 5, 5], kernel: [3, 3], strides: nil),
        Case(input: [1, 2, 8, 8], kernel: [3, 3], strides: [3, 3], pads: [1, 1, 1, 1], ceil: true),
        // Rows of ≥ 8 interior windows: the written-out 3×3 stride-2 scan, with ceil mode's clipped last row.
        Case(input: [1, 2, 22, 41], kernel: [3, 3], strides: [2, 2], ceil: true),
    ]

    @Test(arguments: cases)
    func maxPoolBackward(_ c: Case) throws {
        let op = MaxPool(kernelShape: c.kernel, strides: c.strides, pads: c.pads, ceilMode: c.ceil)
        let check = try GradientCheck.run(op, inputs: [TestSupport.distinct(c.input, seed: 3)], eps: 1e-3)
        #expect(check.passed, "\(check)")
    }

    @Test(arguments: cases)
    func averagePoolBackward(_ c: Case) throws {
        let op = AveragePool(
            kernelShape: c.kernel, strides: c.strides, pads: c.pads, ceilMode: c.ceil,
            countIncludePad: c.countIncludePad)
        let check = try GradientCheck.run(op, inputs: [TestSupport.randn(c.input, seed: 3)])
        #expect(check.passed, "\(check)")
    }

    @Test func maxPoolWithDilationBackward() throws {
        let op = MaxPool(kernelShape: [2, 2], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [2, 2])
        let check = try GradientCheck.run(op, inputs: [TestSupport.distinct([1, 2, 6, 6], seed: 5)], eps: 1e-3)
        #expect(check.passed, "\(check)")
    }

    /// Exact ties and NaNs on planes wide enough for the vector scans: values and routed gradients against a scalar
    /// scan of each window in row-major order (first maximum wins, a NaN wins and the last NaN is kept).
    @Test(arguments: [(3, 2, true), (3, 2, false), (2, 2, false), (3, 1, false)])
    func maxPoolTiesFollowRowMajorOrder(kernel: Int, stride: Int, ceil: Bool) throws {
        let (h, w) = (22, 45)  // ceil mode: the last row of windows has two rows
        var generator = SeededGenerator(seed: 9)
        var values = (0..<(2 * h * w)).map { _ in Float(Int(generator.nextNormal() * 2)) }  // few distinct values
        values[5 * w + 17] = .nan
        values[h * w + 9 * w + 30] = .nan
        values[h * w + 9 * w + 31] = .nan
        let x = Tensor(shape: [1, 2, h, w], data: values)
        let op = MaxPool(kernelShape: [kernel, kernel], strides: [stride, stride], ceilMode: ceil)
        let (outputs, state) = try op.forwardRecordingState([x])
        let y = outputs[0]
        let (outH, outW) = (y.shape[2], y.shape[3])
        let ones = Tensor(shape: y.shape, data: [Float](repeating: 1, count: y.count))
        let dx = try op.backward(BackwardContext(
            inputs: [x], outputs: [y], handoff: GradientHandoff([ones]), needsInputGradient: [true], reluRule: .plain,
            inputShapes: [x.shape], outputShapes: [y.shape], state: state))[0]!
        var expectedY = [Float](), expectedDx = [Float](repeating: 0, count: x.count)
        for plane in 0..<2 {
            for oh in 0..<outH {
                for ow in 0..<outW {
                    var best = -Float.infinity, pick = -1
                    for kh in 0..<kernel where oh * stride + kh < h {
                        for kw in 0..<kernel where ow * stride + kw < w {
                            let i = plane * h * w + (oh * stride + kh) * w + ow * stride + kw
                            if pick < 0 || values[i] > best || values[i].isNaN { (best, pick) = (values[i], i) }
                        }
                    }
                    expectedY.append(best)
                    expectedDx[pick] += 1
                }
            }
        }
        #expect(y.scalars.map(\.bitPattern) == expectedY.map(\.bitPattern))
        #expect(dx.scalars == expectedDx)
        // Without the recorded picks (a context built by hand) backward scans the windows again: the same routes.
        let rescanned = try op.backward(BackwardContext(
            inputs: [x], outputs: [y], outputGradients: [ones], needsInputGradient: [true]))[0]!
        #expect(rescanned.scalars == expectedDx)
    }

    /// Eight planes are summed side by side; every mean is still its plane's sum in order, divided by its size.
    @Test func globalAveragePoolSumsEachPlaneInOrder() throws {
        let x = TestSupport.randn([2, 19, 13, 13], seed: 4)
        let y = try GlobalAveragePool().forward([x])[0]
        let expected = (0..<38).map { p -> Float in
            var sum: Float = 0
            for j in 0..<169 { sum += x.scalars[p * 169 + j] }
            return sum / 169
        }
        #expect(y.shape == [2, 19, 1, 1])
        #expect(y.scalars.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test func globalAveragePoolBackward() throws {
        let check = try GradientCheck.run(GlobalAveragePool(), inputs: [TestSupport.randn([2, 3, 4, 5], seed: 1)])
        #expect(check.passed, "\(check)")
    }

    @Test func ceilModeDropsWindowStartingInPadding() throws {
        // PyTorch: MaxPool2d(3, 2, ceil_mode=True) on 6×6 → 3×3 (not 3 windows + 1 starting past the edge).
        let y = try MaxPool(kernelShape: [3, 3], strides: [2, 2], ceilMode: true).forward([Tensor.zeros([1, 1, 6, 6])])[
            0]
        #expect(y.shape == [1, 1, 3, 3])
        // With padding 1 and ceil on 5×5, k 2, s 2: ⌈(5 + 2 − 2)/2⌉ + 1 = 4, but the last start 6 ≥ 5 + 1 → 3
        // (torch.nn.functional.max_pool2d gives [1, 1, 3, 3]).
        let z = try MaxPool(kernelShape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true)
            .forward([Tensor.zeros([1, 1, 5, 5])])[0]
        #expect(z.shape == [1, 1, 3, 3])
    }

    @Test func averagePoolDivisorsMatchPyTorch() throws {
        // Values printed by torch.nn.functional.avg_pool2d(torch.arange(16.).view(1,1,4,4), 3, 2, padding=1,
        // ceil_mode=True, count_include_pad=True / False).
        let x = Tensor(shape: [1, 1, 4, 4], data: (0..<16).map(Float.init))
        let inc = try AveragePool(
            kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true,
            countIncludePad: true
        ).forward([x])[0]
        let expectedInc: [Float] = [10.0 / 9, 24.0 / 9, 15.0 / 9, 51.0 / 9, 10, 5.5, 25.0 / 6, 7, 3.75]
        #expect(allClose(inc, Tensor(shape: [1, 1, 3, 3], data: expectedInc), rtol: 1e-5))
        let exc = try AveragePool(
            kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true,
            countIncludePad: false
        ).forward([x])[0]
        let expectedExc: [Float] = [2.5, 4, 5, 8.5, 10, 11, 12.5, 14, 15]
        #expect(allClose(exc, Tensor(shape: [1, 1, 3, 3], data: expectedExc), rtol: 1e-5))
    }

    @Test func maxPoolTiesGoToFirstElement() throws {
        let x = Tensor(shape: [1, 1, 2, 2], data: [1, 1, 1, 1])
        let op = MaxPool(kernelShape: [2, 2])
        let y = try op.forward([x])
        let g = try op.backward(
            BackwardContext(
                inputs: [x], outputs: y, outputGradients: [Tensor.ones([1, 1, 1, 1])],
                needsInputGradient: [true]))
        #expect(g[0]?.scalars == [1, 0, 0, 0])
    }
}

/// MaxPool pools separably (column maxima first); this checks the backward pass routes each gradient to exactly
/// the element a plain row-major scan of each window picks — the first maximum, or the last NaN — and the
/// forward value is that element's, on inputs full of ties and NaNs (−0.0 and 0.0 count as equal), whether the
/// picks are found again by backward or recorded by the forward pass.
@Suite struct MaxPoolSelectionTests {
    /// The reference rule, element by element: (value, input index) per output, −1 for an all-padding window.
    static func scan(_ x: [Float], h: Int, w: Int, k: [Int], s: [Int], p: [Int], d: [Int], outH: Int, outW: Int) -> [(Float, Int)] {
        var result: [(Float, Int)] = []
        for oh in 0..<outH {
            for ow in 0..<outW {
                var best = -Float.infinity, index = -1
                for kh in 0..<k[0] {
                    let r = oh * s[0] - p[0] + kh * d[0]
                    guard r >= 0, r < h else { continue }
                    for kw in 0..<k[1] {
                        let c = ow * s[1] - p[1] + kw * d[1]
                        guard c >= 0, c < w else { continue }
                        let v = x[r * w + c]
                        if index < 0 || v > best || v.isNaN { (best, index) = (v, r * w + c) }
                    }
                }
                result.append((best, index))
            }
        }
        return result
    }

    @Test(arguments: [
        ([3, 3], [2, 2], [0, 0, 0, 0], [1, 1], true),
        ([3, 3], [2, 2], [1, 1, 1, 1], [1, 1], false),
        ([2, 3], [1, 2], [0, 1, 1, 0], [1, 1], false),
        ([2, 2], [1, 1], [1, 1, 1, 1], [2, 2], false),
        ([3, 2], [3, 1], [1, 0, 1, 0], [1, 2], true),
        ([2, 2], [2, 2], [0, 0, 0, 0], [1, 1], false),
        ([3, 3], [2, 2], [0, 0, 0, 0], [1, 1], true),
        ([3, 3], [1, 1], [1, 1, 1, 1], [1, 1], false),
    ])
    func picksTheElementARowMajorScanPicks(kernel: [Int], strides: [Int], pads: [Int], dilations: [Int], ceil: Bool) throws {
        // 11 columns exercise the edge and narrow paths, 40 the eight-wide vector blocks.
        for (h, w) in [(9, 11), (6, 40)] {
            try checkSelection(h: h, w: w, kernel: kernel, strides: strides, pads: pads, dilations: dilations, ceil: ceil)
        }
    }

    func checkSelection(h: Int, w: Int, kernel: [Int], strides: [Int], pads: [Int], dilations: [Int], ceil: Bool) throws {
        var generator = SeededGenerator(seed: 7)
        // Values from {−1, 0, 1, 2} so that most windows hold ties, −0.0 next to 0.0, and a few NaNs.
        let x: [Float] = (0..<(2 * h * w)).map { _ in
            let r = generator.nextInt(below: 40)
            if r == 0 { return .nan }
            if r == 1 { return -0.0 }
            return Float(r % 4) - 1
        }
        let input = Tensor(shape: [1, 2, h, w], data: x)
        let op = MaxPool(kernelShape: kernel, strides: strides, pads: pads, dilations: dilations, ceilMode: ceil)
        let y = try op.forward([input])[0]
        let (outH, outW) = (y.shape[2], y.shape[3])
        let gradient = Tensor(shape: y.shape, data: (0..<y.count).map { Float($0 + 1) })
        let dx = try #require(try op.backward(BackwardContext(inputs: [input], outputs: [y], outputGradients: [gradient],
                                                             needsInputGradient: [true]))[0])
        // A recorded forward pass (`Graph.forward`) keeps the picks, and backward scatters them without scanning:
        // the same values and the same gradient as the scan above.
        let (recorded, state) = try op.forwardRecordingState([input])
        #expect(state is MaxPoolPicks)
        #expect(recorded[0].scalars.map(\.bitPattern) == y.scalars.map(\.bitPattern))
        var context = BackwardContext(inputs: [input], outputs: recorded, outputGradients: [gradient], needsInputGradient: [true])
        context.state = state
        let dxRecorded = try #require(try op.backward(context)[0])
        #expect(dxRecorded.scalars.map(\.bitPattern) == dx.scalars.map(\.bitPattern))
        for plane in 0..<2 {
            let xs = Array(x[(plane * h * w)..<((plane + 1) * h * w)])
            let expected = Self.scan(xs, h: h, w: w, k: kernel, s: strides, p: [pads[0], pads[1]], d: dilations, outH: outH, outW: outW)
            var expectedDx = [Float](repeating: 0, count: h * w)
            for (o, (value, index)) in expected.enumerated() {
                let actual = y.scalars[plane * outH * outW + o]
                #expect(actual == value || (actual.isNaN && value.isNaN), "output \(o): \(actual) vs \(value)")
                if index >= 0 { expectedDx[index] += gradient.scalars[plane * outH * outW + o] }
            }
            #expect(Array(dx.scalars[(plane * h * w)..<((plane + 1) * h * w)]) == expectedDx)
        }
    }
}
