import Engine
import TestSupport
import Testing

/// A small CNN: conv1 → relu1 → pool1 → conv2 → relu2 (Clip 0…6) → gap → flatten → fc (+ a residual Add).
func makeTinyNet(seed: UInt64 = 1) throws -> Graph {
    var g = try Graph(inputs: [.init(name: "x", shape: [nil, 2, 8, 8])], outputs: ["fc"])
    g.addInitializer("conv1.weight", TestSupport.randn([4, 2, 3, 3], seed: seed, std: 0.5), trainable: true)
    g.addInitializer("conv1.bias", TestSupport.randn([4], seed: seed + 1, std: 0.1), trainable: true)
    g.addInitializer("conv2.weight", TestSupport.randn([4, 4, 3, 3], seed: seed + 2, std: 0.3), trainable: true)
    g.addInitializer("fc.weight", TestSupport.randn([3, 4], seed: seed + 3), trainable: true)
    g.addInitializer("fc.bias", TestSupport.randn([3], seed: seed + 4), trainable: true)
    try g.addNode("conv1", Conv(pads: [1, 1, 1, 1]), inputs: ["x", "conv1.weight", "conv1.bias"])
    try g.addNode("relu1", Relu(), inputs: ["conv1"])
    try g.addNode("pool1", MaxPool(kernelShape: [2, 2], strides: [2, 2]), inputs: ["relu1"])
    try g.addNode("conv2", Conv(pads: [1, 1, 1, 1]), inputs: ["pool1", "conv2.weight", ""])
    try g.addNode("relu2", Clip(min: 0, max: 6), inputs: ["conv2"])
    try g.addNode("skip", Add(), inputs: ["relu2", "pool1"])
    try g.addNode("gap", GlobalAveragePool(), inputs: ["skip"])
    try g.addNode("flatten", Flatten(axis: 1), inputs: ["gap"])
    try g.addNode("fc", Gemm(transB: true), inputs: ["flatten", "fc.weight", "fc.bias"])
    return g
}

@Suite struct GraphTests {
    @Test func shapeInferenceAndDynamicBatch() throws {
        let g = try makeTinyNet()
        let shapes = try g.inferShapes(batch: 5)
        #expect(shapes["conv1"] == [5, 4, 8, 8])
        #expect(shapes["pool1"] == [5, 4, 4, 4])
        #expect(shapes["fc"] == [5, 3])
        // Batch of 3 gives, row by row, what each image gives alone.
        let x = TestSupport.randn([3, 2, 8, 8], seed: 9)
        let all = try g.run(["x": x])["fc"]!
        for i in 0..<3 {
            let one = try g.run(["x": try x.slice(axis: 0, i..<(i + 1))])["fc"]!
            #expect(allClose(one, try all.slice(axis: 0, i..<(i + 1)), rtol: 1e-5, atol: 1e-6))
        }
    }

    @Test func shapeArithmeticIsFolded() throws {
        // torch's x.view(x.size(0), -1) export: Shape → Gather → Unsqueeze → Concat → Reshape.
        var g = try Graph(inputs: [.init(name: "x", shape: [nil, 2, 3])], outputs: ["flat"])
        g.addInitializer("zero", Tensor(scalar: 0))
        g.addInitializer("minus1", Tensor(shape: [1], data: [-1]))
        try g.addNode("shape", Shape(), inputs: ["x"])
        try g.addNode("batch", Gather(axis: 0), inputs: ["shape", "zero"])
        try g.addNode("batch1", Unsqueeze(axes: [0]), inputs: ["batch"])
        try g.addNode("target", Concat(axis: 0), inputs: ["batch1", "minus1"])
        try g.addNode("flat", Reshape(), inputs: ["x", "target"])
        #expect(try g.inferShapes(batch: 4)["flat"] == [4, 6])
        #expect(try g.run(["x": Tensor.zeros([7, 2, 3])])["flat"]?.shape == [7, 6])
    }

    @Test func tapsCaptureAndRunUpTo() throws {
        let g = try makeTinyNet()
        let x = TestSupport.randn([2, 2, 8, 8], seed: 3)
        let full = try g.run(["x": x], capture: ["relu1", "conv2"])
        #expect(full["relu1"]?.shape == [2, 4, 8, 8])
        #expect(full["relu1"]!.min() >= 0)
        #expect(full["fc"] != nil)
        // Running up to pool1 computes only its ancestors and gives the same activation.
        let upTo = try g.run(["x": x], fetch: ["pool1"])
        #expect(upTo.keys.sorted() == ["pool1"])
        let pass = try g.forward(["x": x])
        #expect(upTo["pool1"] == pass["pool1"])
        #expect(full["relu1"] == pass["relu1"])
        #expect(full["fc"] == pass["fc"])
        // forward(fetch:) stops early too.
        let partial = try g.forward(["x": x], fetch: ["relu1"])
        #expect(partial["relu1"] != nil && partial["fc"] == nil)
    }

    @Test func inputGradientMatchesFiniteDifferences() throws {
        let g = try makeTinyNet()
        let x = TestSupport.randn([2, 2, 8, 8], seed: 4)
        let seed = TestSupport.randn([2, 3], seed: 5)
        let grads = try g.forward(["x": x]).backward(from: "fc", gradient: seed)
        let dx = try #require(grads["x"])
        func objective(_ input: Tensor) throws -> Double {
            let y = try g.run(["x": input])["fc"]!.scalars
            let s = seed.scalars
            return zip(y, s).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        let eps: Float = 1e-2
        for i in stride(from: 0, to: x.count, by: 7) {
            var plus = x
            var minus = x
            plus.withUnsafeMutableBufferPointer { $0[i] += eps }
            minus.withUnsafeMutableBufferPointer { $0[i] -= eps }
            let numeric = (try objective(plus) - objective(minus)) / Double(2 * eps)
            let analytic = Double(dx.scalars[i])
            #expect(abs(numeric - analytic) <= 2e-3 + 2e-2 * abs(numeric), "element \(i): \(numeric) vs \(analytic)")
        }
    }

    @Test func parameterGradientsMatchFiniteDifferences() throws {
        let g = try makeTinyNet()
        let x = TestSupport.randn([3, 2, 8, 8], seed: 6)
        let labels = Tensor(shape: [3], data: [0, 2, 1])
        func loss(_ graph: Graph) throws -> Double {
            Double(try SoftmaxCrossEntropy.evaluate(logits: try graph.run(["x": x])["fc"]!, labels: labels).loss)
        }
        let pass = try g.forward(["x": x])
        let (_, dLogits) = try SoftmaxCrossEntropy.evaluate(logits: pass["fc"]!, labels: labels)
        let grads = try pass.backward(from: "fc", gradient: dLogits!, inputs: false, parameters: true)
        #expect(Set(grads.parameters.keys) == g.trainable)
        #expect(grads["x"] == nil)
        for name in g.trainable.sorted() {
            let w = g.initializers[name]!
            let dw = grads[name]!
            #expect(dw.shape == w.shape)
            for i in stride(from: 0, to: w.count, by: max(1, w.count / 6)) {
                var gp = g
                var gm = g
                // Step 1e-3: 1e-2 lets a pre-activation cross a ReLU/max-pool kink and spoils the difference.
                var wp = w
                var wm = w
                wp.withUnsafeMutableBufferPointer { $0[i] += 1e-3 }
                wm.withUnsafeMutableBufferPointer { $0[i] -= 1e-3 }
                gp.initializers[name] = wp
                gm.initializers[name] = wm
                let numeric = (try loss(gp) - loss(gm)) / 2e-3
                #expect(abs(numeric - Double(dw.scalars[i])) <= 1e-3 + 2e-2 * abs(numeric), "\(name)[\(i)]")
            }
        }
    }

    @Test func injectedGradientAtInnerNode() throws {
        let g = try makeTinyNet()
        let x = TestSupport.randn([1, 2, 8, 8], seed: 7)
        let pass = try g.forward(["x": x])
        // Seeding pool1 directly equals backprop through a graph that ends at pool1.
        let seed = TestSupport.randn([1, 4, 4, 4], seed: 8)
        let injected = try pass.backward(seeds: ["pool1": seed], capture: ["conv1"])
        var sub = g
        sub.outputs = ["pool1"]
        let direct = try sub.forward(["x": x]).backward(from: "pool1", gradient: seed)
        #expect(injected["x"] == direct["x"])
        // The gradient arriving at conv1 (Grad-CAM's tap) has its shape and is nonzero.
        let atConv1 = try #require(injected["conv1"])
        #expect(atConv1.shape == [1, 4, 8, 8])
        #expect(atConv1.max() > 0 || atConv1.min() < 0)
        // Seeds at two nodes add.
        let both = try pass.backward(seeds: ["pool1": seed, "fc": Tensor.ones([1, 3])])
        let fcOnly = try pass.backward(seeds: ["fc": Tensor.ones([1, 3])])
        #expect(allClose(both["x"]!, injected["x"]! + fcOnly["x"]!, rtol: 1e-5, atol: 1e-6))
    }

    @Test(arguments: ReluBackwardRule.allCases)
    func reluRulesAreAppliedAtEveryRectifier(_ rule: ReluBackwardRule) throws {
        let g = try makeTinyNet()
        let x = TestSupport.randn([2, 2, 8, 8], seed: 10)
        let pass = try g.forward(["x": x])
        let grads = try pass.backward(
            from: "fc", gradient: TestSupport.randn([2, 3], seed: 11), rule: rule,
            capture: ["relu1", "conv1", "relu2", "conv2"])
        for (output, input, isClip) in [("relu1", "conv1", false), ("relu2", "conv2", true)] {
            let upstream = grads[output]!.scalars
            let downstream = grads[input]!.scalars
            let pre = pass[input]!.scalars
            for i in 0..<pre.count {
                let active = isClip ? (pre[i] > 0 && pre[i] < 6) : pre[i] > 0
                let g = upstream[i]
                let expected: Float
                switch rule {
                case .plain: expected = active ? g : 0
                case .guided: expected = active && g > 0 ? g : 0
                case .deconvnet: expected = max(g, 0)
                }
                #expect(downstream[i] == expected, "\(input)[\(i)] under \(rule)")
            }
        }
    }

    @Test func guidedDiffersFromPlainExactlyWhereUpstreamIsNegative() throws {
        var g = try Graph(inputs: [.init(name: "x", shape: [1, 4])], outputs: ["y"])
        try g.addNode("y", Relu(), inputs: ["x"])
        let pass = try g.forward(["x": Tensor(shape: [1, 4], data: [1, -1, 2, -2])])
        let seed = Tensor(shape: [1, 4], data: [-3, 5, 7, -1])
        #expect(try pass.backward(from: "y", gradient: seed, rule: .plain)["x"]!.scalars == [-3, 0, 7, 0])
        #expect(try pass.backward(from: "y", gradient: seed, rule: .guided)["x"]!.scalars == [0, 0, 7, 0])
        #expect(try pass.backward(from: "y", gradient: seed, rule: .deconvnet)["x"]!.scalars == [0, 5, 7, 0])
    }

    /// ReLU's backward overwrites the gradient the graph hands it; a gradient the caller captured or seeded
    /// must still come back (and stay) unmasked.
    @Test func inPlaceReluBackwardLeavesCapturedAndSeededGradientsIntact() throws {
        var g = try Graph(inputs: [.init(name: "x", shape: [1, 20])], outputs: ["y"])
        try g.addNode("r", Relu(), inputs: ["x"])
        try g.addNode("y", Identity(), inputs: ["r"])
        let x = Tensor(shape: [1, 20], data: (0..<20).map { Float($0 % 3) - 1 })
        let seed = Tensor(shape: [1, 20], data: (0..<20).map { Float($0) - 9.5 })
        let seedBefore = seed.scalars
        let masked = zip(x.scalars, seed.scalars).map { $0 > 0 ? $1 : 0 }
        let pass = try g.forward(["x": x])
        let captured = try pass.backward(from: "y", gradient: seed, capture: ["r"])
        #expect(captured["r"]?.scalars == seedBefore)
        #expect(captured["x"]?.scalars == masked)
        let seededAtRelu = try pass.backward(seeds: ["r": seed])
        #expect(seededAtRelu["x"]?.scalars == masked)
        #expect(seed.scalars == seedBefore)
    }

    @Test func prunedForwardKeepsOnlyWhatBackwardReads() throws {
        let g = try makeTinyNet()
        let x = TestSupport.randn([2, 2, 8, 8], seed: 12)
        let full = try g.forward(["x": x])
        let pruned = try g.forward(["x": x], capture: ["conv1"])
        #expect(pruned["conv1"] != nil)  // captured
        #expect(pruned["conv2"] == nil)  // only the Clip reads it, and the Clip backward reads its output
        #expect(pruned["relu2"] != nil)  // the Clip's output
        #expect(pruned["gap"] == nil)  // Flatten reads shapes only
        #expect(pruned["fc"] != nil)  // fetched
        #expect(pruned.shapes["conv2"] == [2, 4, 4, 4])
        let seed = TestSupport.randn([2, 3], seed: 13)
        for rule in ReluBackwardRule.allCases {
            let a = try full.backward(from: "fc", gradient: seed, rule: rule, parameters: true, capture: ["conv2"])
            let b = try pruned.backward(from: "fc", gradient: seed, rule: rule, parameters: true, capture: ["conv2"])
            #expect(a.values.keys.sorted() == b.values.keys.sorted())
            for (name, value) in a.values { #expect(b.values[name] == value, "\(name) under \(rule)") }
        }
    }

    /// A pass whose backward stops at an inner layer (Grad-CAM) keeps nothing for the nodes above that layer, and
    /// still gives that layer the same gradient; asking it for the input's gradient is an error, not a crash.
    @Test func forwardForAGradientAtALayerKeepsOnlyWhatIsDownstream() throws {
        let g = try makeTinyNet()
        let x = TestSupport.randn([2, 2, 8, 8], seed: 14)
        let everyNode = try g.forward(["x": x], capture: ["relu2"])
        let downstream = try g.forward(["x": x], capture: ["relu2"], gradientsFrom: ["relu2"])
        #expect(everyNode["relu1"] != nil && everyNode["pool1"] != nil)  // read by relu1's and conv2's backward
        #expect(downstream["relu1"] == nil && downstream["pool1"] == nil)
        #expect(downstream["relu2"] == everyNode["relu2"] && downstream["fc"] == everyNode["fc"])
        let seed = TestSupport.randn([2, 3], seed: 15)
        for rule in ReluBackwardRule.allCases {
            let a = try everyNode.backward(from: "fc", gradient: seed, rule: rule, inputs: false, capture: ["relu2"])
            let b = try downstream.backward(from: "fc", gradient: seed, rule: rule, inputs: false, capture: ["relu2"])
            #expect(b["relu2"] != nil && a["relu2"] == b["relu2"], "under \(rule)")
        }
        #expect(throws: GraphError.self) { try downstream.backward(from: "fc", gradient: seed) }
    }

    @Test func graphErrorsNameTheProblem() throws {
        var g = try Graph(inputs: [.init(name: "x", shape: [nil, 3])], outputs: ["b"])
        try g.addNode("a", Relu(), inputs: ["b"])
        try g.addNode("b", Relu(), inputs: ["a"])
        #expect(throws: GraphError.self) { try g.topologicalOrder() }
        #expect(throws: GraphError.self) { try g.addNode("a", Relu(), inputs: ["x"]) }

        var h = try Graph(inputs: [.init(name: "x", shape: [nil, 3])], outputs: ["r"])
        try h.addNode("r", Relu(), inputs: ["missing"])
        #expect(throws: GraphError.self) { try h.run(["x": Tensor.zeros([1, 3])]) }

        var k = try Graph(inputs: [.init(name: "x", shape: [nil, 3])], outputs: ["m"])
        try k.addNode("m", MatMul(), inputs: ["x", "x"])
        do {
            _ = try k.run(["x": Tensor.zeros([2, 3])])
            Issue.record("expected a GraphError")
        } catch let error as GraphError {
            #expect(error.node == "m" && error.opType == "MatMul")
            #expect(error.description.hasPrefix("node 'm' (MatMul): "))
        }
        #expect(throws: GraphError.self) { try k.run(["x": Tensor.zeros([2, 4, 1])]) }  // wrong rank for input
        #expect(throws: GraphError.self) { try k.run([:]) }  // nothing fed
    }

    @Test func interruptionStopsARun() throws {
        let g = try makeTinyNet()
        let flag = Interruption()
        flag.request()
        #expect(throws: Interrupted.self) { try g.run(["x": Tensor.zeros([1, 2, 8, 8])], interruption: flag) }
    }
}
