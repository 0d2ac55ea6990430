import Testing
import TestSupport
import Engine

/// Finite-difference checks for every non-convolutional op, with their attribute variants.
@Suite struct GradientOpTests {
    func expectGradient(_ op: any Operator, _ inputs: [Tensor?], wrt: [Int]? = nil, rule: ReluBackwardRule = .plain,
                        eps: Float = 1e-2, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let check = try GradientCheck.run(op, inputs: inputs, wrt: wrt, rule: rule, eps: eps)
        #expect(check.passed, "\(op.opType): \(check)", sourceLocation: sourceLocation)
        #expect(check.checked > 0, sourceLocation: sourceLocation)
    }

    @Test func activations() throws {
        let x = TestSupport.distinct([2, 3, 4], seed: 1, spacing: 0.05)
        try expectGradient(Relu(), [x], eps: 1e-2)
        try expectGradient(LeakyRelu(alpha: 0.2), [x])
        try expectGradient(LeakyRelu(), [x])
        try expectGradient(Sigmoid(), [TestSupport.randn([3, 5], seed: 2)])
        try expectGradient(Tanh(), [TestSupport.randn([3, 5], seed: 3)])
        try expectGradient(Identity(), [x])
        try expectGradient(Dropout(ratio: 0.3), [x])
    }

    @Test func clipWithAttributesAndInputs() throws {
        let x = TestSupport.distinct([4, 6], seed: 4, spacing: 0.3)  // spans about [−3.6, 3.6]
        try expectGradient(Clip(min: 0, max: 6), [x], eps: 1e-2)
        try expectGradient(Clip(min: -1, max: 1), [x], eps: 1e-2)
        try expectGradient(Clip(), [x, Tensor(scalar: -0.5), Tensor(scalar: 2)], wrt: [0], eps: 1e-2)
        try expectGradient(Clip(), [x, nil, Tensor(scalar: 1)], wrt: [0], eps: 1e-2)
        let y = try Clip().forward([x, Tensor(scalar: -0.5), Tensor(scalar: 2)])[0]
        #expect(y.min() == -0.5 && y.max() == 2)
    }

    @Test(arguments: [
        ([2, 3, 4], [2, 3, 4]), ([2, 3, 4], [4]), ([2, 1, 4], [3, 1]), ([1], [2, 3]), ([3, 1, 5], [1, 4, 1]), ([], [2, 2]),
    ])
    func broadcastingArithmetic(_ a: [Int], _ b: [Int]) throws {
        let x = TestSupport.randn(a, seed: 5)
        let y = TestSupport.randn(b, seed: 6).map { $0 >= 0 ? $0 + 0.5 : $0 - 0.5 }  // keep divisors away from 0
        for op in [Add(), Sub(), Mul(), Div()] as [any Operator] { try expectGradient(op, [x, y], eps: 1e-3) }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemm(_ transA: Bool, _ transB: Bool) throws {
        let a = TestSupport.randn(transA ? [4, 3] : [3, 4], seed: 7)
        let b = TestSupport.randn(transB ? [5, 4] : [4, 5], seed: 8)
        for c in [TestSupport.randn([5], seed: 9), TestSupport.randn([3, 5], seed: 10), TestSupport.randn([3, 1], seed: 11)] {
            try expectGradient(Gemm(alpha: 0.7, beta: 1.3, transA: transA, transB: transB), [a, b, c])
        }
        try expectGradient(Gemm(transA: transA, transB: transB), [a, b, nil])
    }

    @Test func gemmForwardIsLinear() throws {
        // PyTorch Linear: x W^T + b.
        let x = Tensor(shape: [1, 2], data: [1, 2])
        let w = Tensor(shape: [3, 2], data: [1, 0, 0, 1, 1, 1])
        let b = Tensor(shape: [3], data: [10, 20, 30])
        #expect(try Gemm(transB: true).forward([x, w, b])[0].scalars == [11, 22, 33])
    }

    @Test(arguments: [([3, 4], [4, 5]), ([2, 3, 4], [4, 2]), ([2, 1, 3, 4], [3, 4, 2]), ([4], [4, 3]), ([2, 3, 4], [4])])
    func matmul(_ a: [Int], _ b: [Int]) throws {
        try expectGradient(MatMul(), [TestSupport.randn(a, seed: 12), TestSupport.randn(b, seed: 13)])
    }

    @Test func batchNormalization() throws {
        let x = TestSupport.randn([2, 3, 4, 2], seed: 14)
        let scale = TestSupport.randn([3], seed: 15), bias = TestSupport.randn([3], seed: 16)
        let mean = TestSupport.randn([3], seed: 17)
        let variance = Tensor.random([3], .uniform(low: 0.5, high: 2), seed: 18)
        try expectGradient(BatchNormalization(epsilon: 1e-3), [x, scale, bias, mean, variance], eps: 1e-3)
        try expectGradient(BatchNormalization(), [TestSupport.randn([4, 3], seed: 19), scale, bias, mean, variance], eps: 1e-3)
    }

    @Test(arguments: [1, 2, 3, 5])
    func lrn(_ size: Int) throws {
        let x = TestSupport.randn([2, 6, 3, 2], seed: 20)
        try expectGradient(LRN(size: size, alpha: 0.3, beta: 0.75, bias: 1.5), [x], eps: 1e-3)
    }

    @Test func lrnMatchesPyTorchWindow() throws {
        // torch.nn.LocalResponseNorm(3, alpha=3, beta=1, k=1) on channels [1, 2, 3, 4] (1×4×1×1):
        // x / (1 + Σ window x² ) with windows {1,2}, {1,2,3}, {2,3,4}, {3,4}.
        let x = Tensor(shape: [1, 4, 1, 1], data: [1, 2, 3, 4])
        let y = try LRN(size: 3, alpha: 3, beta: 1, bias: 1).forward([x])[0]
        let expected: [Float] = [1.0 / 6, 2.0 / 15, 3.0 / 30, 4.0 / 26]
        #expect(allClose(y, Tensor(shape: [1, 4, 1, 1], data: expected), rtol: 1e-6))
    }

    @Test(arguments: [0, 1, -1, 2])
    func softmax(_ axis: Int) throws {
        let x = TestSupport.randn([2, 3, 4], seed: 21)
        try expectGradient(Softmax(axis: axis), [x], eps: 1e-3)
        try expectGradient(LogSoftmax(axis: axis), [x], eps: 1e-3)
        let y = try Softmax(axis: axis).forward([x])[0]
        let sums = y.sum(alongAxes: [axis])
        #expect(allClose(sums, Tensor.ones(sums.shape), rtol: 1e-5))
    }

    @Test func legacySoftmaxFlattensTail() throws {
        let x = TestSupport.randn([2, 3, 4], seed: 22)
        try expectGradient(Softmax(axis: 1, legacyFlatten: true), [x], eps: 1e-3)
        let y = try Softmax(axis: 1, legacyFlatten: true).forward([x])[0]
        #expect(abs(y.sum(alongAxes: [1, 2]).scalars[0] - 1) < 1e-5)
    }

    @Test func shapeOps() throws {
        let x = TestSupport.randn([2, 3, 4], seed: 23)
        try expectGradient(Flatten(axis: 1), [x])
        try expectGradient(Flatten(axis: 0), [x])
        try expectGradient(Flatten(axis: -1), [x])
        try expectGradient(Reshape(shape: [0, -1]), [x])
        try expectGradient(Reshape(), [x, Tensor(shape: [3], data: [4, 0, -1])], wrt: [0])
        try expectGradient(Transpose(perm: [2, 0, 1]), [x])
        try expectGradient(Transpose(), [x])
        try expectGradient(Unsqueeze(axes: [0, -1]), [x])
        try expectGradient(Unsqueeze(), [x, Tensor(shape: [1], data: [1])], wrt: [0])
        try expectGradient(Squeeze(axes: [1]), [TestSupport.randn([2, 1, 3], seed: 24)])
        try expectGradient(Squeeze(), [TestSupport.randn([1, 2, 1, 3], seed: 25)])
        try expectGradient(Concat(axis: 1), [x, TestSupport.randn([2, 2, 4], seed: 26), TestSupport.randn([2, 1, 4], seed: 27)])
        try expectGradient(Concat(axis: -1), [x, TestSupport.randn([2, 3, 1], seed: 28)])
        #expect(try Reshape(shape: [0, -1]).forward([x])[0].shape == [2, 12])
        #expect(try Reshape(shape: [0, 0], allowZero: true).forward([Tensor.zeros([0, 3])])[0].shape == [0, 0])
        #expect(try Unsqueeze(axes: [0, -1]).forward([x])[0].shape == [1, 2, 3, 4, 1])
        #expect(try Flatten(axis: 0).forward([x])[0].shape == [1, 24])
    }

    @Test func gather() throws {
        let x = TestSupport.randn([3, 4, 2], seed: 29)
        // Repeated and negative indices: gradients must add up.
        let idx = Tensor(shape: [2, 2], data: [0, -1, 2, 0])
        try expectGradient(Gather(axis: 1), [x, idx], wrt: [0])
        try expectGradient(Gather(axis: 0), [x, Tensor(scalar: 1)], wrt: [0])
        let y = try Gather(axis: 1).forward([x, idx])[0]
        #expect(y.shape == [3, 2, 2, 2])
        #expect(y[1, 0, 1, 1] == x[1, 3, 1])
        #expect(throws: ShapeError.self) { try Gather().forward([x, Tensor(scalar: 3)]) }
    }

    @Test(arguments: [PadMode.constant, .reflect, .edge])
    func pad(_ mode: PadMode) throws {
        let x = TestSupport.randn([1, 2, 4, 5], seed: 30)
        try expectGradient(Pad(mode: mode, pads: [0, 0, 1, 2, 0, 0, 3, 1], value: 0.5), [x])
        try expectGradient(Pad(mode: mode), [x, Tensor(shape: [4], data: [2, 1, 0, 3]), nil, Tensor(shape: [2], data: [2, 3])],
                           wrt: [0])
    }

    @Test func padValuesMatchNumPy() throws {
        let x = Tensor(shape: [4], data: [1, 2, 3, 4])
        // np.pad([1,2,3,4], (2,3), mode) for reflect / edge / constant 9.
        #expect(try Pad(mode: .reflect, pads: [2, 3]).forward([x])[0].scalars == [3, 2, 1, 2, 3, 4, 3, 2, 1])
        #expect(try Pad(mode: .edge, pads: [2, 3]).forward([x])[0].scalars == [1, 1, 1, 2, 3, 4, 4, 4, 4])
        #expect(try Pad(pads: [2, 3], value: 9).forward([x])[0].scalars == [9, 9, 1, 2, 3, 4, 9, 9, 9])
        #expect(try Pad(pads: [-1, 1]).forward([x])[0].scalars == [2, 3, 4, 0])
    }

    @Test func softmaxCrossEntropy() throws {
        let logits = TestSupport.randn([4, 5], seed: 31)
        let labels = Tensor(shape: [4], data: [0, 4, 2, 2])
        try expectGradient(SoftmaxCrossEntropy(), [logits, labels], wrt: [0], eps: 1e-3)
        // F.cross_entropy(torch.tensor([[1., 2., 3.]]), torch.tensor([2])) = 0.40760596
        let (loss, _) = try SoftmaxCrossEntropy.evaluate(logits: Tensor(shape: [1, 3], data: [1, 2, 3]),
                                                         labels: Tensor(shape: [1], data: [2]))
        #expect(abs(loss - 0.40760596) < 1e-6)
        #expect(throws: ShapeError.self) {
            try SoftmaxCrossEntropy.evaluate(logits: logits, labels: Tensor(shape: [4], data: [0, 5, 1, 1]))
        }
    }

    @Test func constantAndShape() throws {
        let c = Tensor(shape: [2], data: [3, 4])
        #expect(try Constant(c).forward([])[0] == c)
        #expect(try Shape().forward([Tensor.zeros([2, 3, 5])])[0].scalars == [2, 3, 5])
        #expect(try Shape(start: 1, end: -1).forward([Tensor.zeros([2, 3, 5])])[0].scalars == [3])
    }
}

/// The checker itself must catch a wrong gradient, or every test above proves nothing.
@Suite struct GradientCheckerTests {
    /// y = x², with a backward that forgets the factor 2.
    struct BrokenSquare: Operator {
        var opType: String { "BrokenSquare" }
        func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] { [try shapes.required(0)] }
        func forward(_ inputs: [Tensor?]) throws -> [Tensor] { [try inputs.required(0).map { $0 * $0 }] }
        func backward(_ c: BackwardContext) throws -> [Tensor?] {
            [c.outputGradient().zipMap(try c.input(0)) { g, x in g * x }]
        }
    }

    @Test func wrongBackwardFails() throws {
        let check = try GradientCheck.run(BrokenSquare(), inputs: [TestSupport.randn([3, 4], seed: 1)])
        #expect(!check.passed)
    }

    @Test func wrongReluRuleFails() throws {
        // The guided rule is not the true gradient: the checker must see the difference.
        let x = TestSupport.distinct([4, 5], seed: 2, spacing: 0.05)
        #expect(try !GradientCheck.run(Relu(), inputs: [x], rule: .guided).passed)
        #expect(try GradientCheck.run(Relu(), inputs: [x], rule: .plain).passed)
    }
}
