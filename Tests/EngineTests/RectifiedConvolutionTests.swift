@testable import Engine
import TestSupport
import Testing

/// A Conv whose output only a Relu reads runs with the rectifier fused in (`Graph.rectifiedConvolutions`): the
/// values, the gradients and what can be captured must be exactly those of the two ops run in turn.
@Suite struct RectifiedConvolutionTests {
    /// conv1 (3×3, pad 1) → relu1 → conv2 (1×1) → relu2 and conv3 (3×3) → relu3 → concat (a fire module), then
    /// conv4 read by both relu4 and the output sum (so conv4 cannot be fused). `channels` ≥ 64 on 28×28 takes the
    /// Winograd path for conv3.
    static func fireNet(channels: Int, size: Int) throws -> Graph {
        var g = try Graph(inputs: [.init(name: "x", shape: [nil, 3, size, size])], outputs: ["out"])
        g.addInitializer("w1", TestSupport.randn([channels, 3, 3, 3], seed: 1, std: 0.4))
        g.addInitializer("b1", TestSupport.randn([channels], seed: 2, std: 0.1))
        g.addInitializer("w2", TestSupport.randn([channels, channels, 1, 1], seed: 3, std: 0.2))
        g.addInitializer("b2", TestSupport.randn([channels], seed: 4, std: 0.1))
        g.addInitializer("w3", TestSupport.randn([channels, channels, 3, 3], seed: 5, std: 0.1))
        g.addInitializer("b3", TestSupport.randn([channels], seed: 6, std: 0.1))
        g.addInitializer("w4", TestSupport.randn([4, 2 * channels, 1, 1], seed: 7, std: 0.2))
        try g.addNode("conv1", Conv(pads: [1, 1, 1, 1]), inputs: ["x", "w1", "b1"])
        try g.addNode("relu1", Relu(), inputs: ["conv1"])
        try g.addNode("conv2", Conv(), inputs: ["relu1", "w2", "b2"])
        try g.addNode("relu2", Relu(), inputs: ["conv2"])
        try g.addNode("conv3", Conv(pads: [1, 1, 1, 1]), inputs: ["relu1", "w3", "b3"])
        try g.addNode("relu3", Relu(), inputs: ["conv3"])
        try g.addNode("concat", Concat(axis: 1), inputs: ["relu2", "relu3"])
        try g.addNode("conv4", Conv(), inputs: ["concat", "w4", ""])
        try g.addNode("relu4", Relu(), inputs: ["conv4"])
        try g.addNode("out", Add(), inputs: ["relu4", "conv4"])
        return g
    }

    @Test(arguments: [(8, 9, 1), (8, 9, 3), (64, 28, 1)])
    func fusedPassGivesTheSameBytes(channels: Int, size: Int, batch: Int) throws {
        let g = try Self.fireNet(channels: channels, size: size)
        #expect(Set(g.rectifiedConvolutions(in: Array(g.nodes.indices), keeping: []).keys.map { g.nodes[$0].name })
                == ["conv1", "conv2", "conv3"])
        let x = TestSupport.randn([batch, 3, size, size], seed: 8)
        let everything = try g.forward(["x": x])  // keeps every value: nothing fused
        let pruned = try g.forward(["x": x], capture: [])
        #expect(everything["conv1"] != nil && pruned["conv1"] == nil)
        #expect(pruned["out"]!.scalars.map(\.bitPattern) == everything["out"]!.scalars.map(\.bitPattern))
        #expect(pruned["relu3"]!.scalars.map(\.bitPattern) == everything["relu3"]!.scalars.map(\.bitPattern))
        let inference = try g.run(["x": x])["out"]!
        #expect(inference.scalars.map(\.bitPattern) == everything["out"]!.scalars.map(\.bitPattern))
        let seed = TestSupport.randn(everything["out"]!.shape, seed: 9)
        for rule in [ReluBackwardRule.plain, .guided] {
            let a = try everything.backward(from: "out", gradient: seed, rule: rule, capture: ["conv3", "relu1"])
            let b = try pruned.backward(from: "out", gradient: seed, rule: rule, capture: ["conv3", "relu1"])
            for name in ["x", "conv3", "relu1"] {
                #expect(a[name]!.scalars.map(\.bitPattern) == b[name]!.scalars.map(\.bitPattern), "\(name) \(rule)")
            }
        }
    }

    /// The gradient through a Concat of ReLU outputs is split and gated in one pass (`RectifiedConcatBackward`);
    /// asking for the ReLU outputs' gradients turns that off, and both must give the same bytes. The second graph
    /// concatenates a ReLU output that other nodes read too (a plain piece) beside a fused one.
    @Test(arguments: [false, true])
    func gatedConcatGradientGivesTheSameBytes(mixed: Bool) throws {
        var g = try Self.fireNet(channels: 8, size: 9)
        if mixed {
            var h = try Graph(inputs: g.inputs, outputs: ["out"])
            for (name, value) in g.initializers { h.addInitializer(name, value) }
            h.addInitializer("w5", TestSupport.randn([8, 16, 1, 1], seed: 10, std: 0.2))
            for node in g.nodes where node.name != "concat" && !["conv4", "relu4", "out"].contains(node.name) {
                try h.addNode(node.name, node.op, inputs: node.inputs)
            }
            try h.addNode("concat", Concat(axis: 1), inputs: ["relu3", "relu1"])
            try h.addNode("conv5", Conv(), inputs: ["concat", "w5", ""])
            try h.addNode("out", Add(), inputs: ["conv5", "relu2"])
            g = h
        }
        let x = TestSupport.randn([2, 3, 9, 9], seed: 8)
        let pass = try g.forward(["x": x], capture: [])
        let seed = TestSupport.randn(pass["out"]!.shape, seed: 9)
        for rule in [ReluBackwardRule.plain, .guided, .deconvnet] {
            let fused = try pass.backward(from: "out", gradient: seed, rule: rule, capture: ["conv2"])
            let plain = try pass.backward(from: "out", gradient: seed, rule: rule, capture: ["conv2", "relu2", "relu3"])
            for name in ["x", "conv2"] {
                #expect(fused[name]!.scalars.map(\.bitPattern) == plain[name]!.scalars.map(\.bitPattern), "\(name) \(rule)")
            }
        }
        #expect(!RectifiedConcatBackward.plan(pass, ValueUses(pass), wanted: []).isEmpty)
        #expect(RectifiedConcatBackward.plan(pass, ValueUses(pass), wanted: ["relu2", "relu3"]).isEmpty)
    }

    /// A max pool over a ReLU's output alone (overlapping 3×3 windows, stride 2, ceil mode: SqueezeNet's) gates its
    /// scattered gradient itself and skips the Relu node: the same bytes at the input under every rule, where a
    /// position picked by several windows is gated on their sum.
    @Test func gatedPoolGradientGivesTheSameBytes() throws {
        var g = try Graph(inputs: [.init(name: "x", shape: [nil, 3, 11, 11])], outputs: ["out"])
        g.addInitializer("w1", TestSupport.randn([8, 3, 3, 3], seed: 11, std: 0.4))
        g.addInitializer("b1", Tensor(shape: [8], repeating: -3))  // most outputs rectified: all-zero windows too
        g.addInitializer("w2", TestSupport.randn([5, 8, 3, 3], seed: 13, std: 0.3))
        try g.addNode("conv1", Conv(pads: [1, 1, 1, 1]), inputs: ["x", "w1", "b1"])
        try g.addNode("relu1", Relu(), inputs: ["conv1"])
        try g.addNode("pool", MaxPool(kernelShape: [3, 3], strides: [2, 2], ceilMode: true), inputs: ["relu1"])
        try g.addNode("out", Conv(pads: [1, 1, 1, 1]), inputs: ["pool", "w2", ""])
        let x = TestSupport.randn([2, 3, 11, 11], seed: 14)
        let pass = try g.forward(["x": x], capture: [])
        let seed = TestSupport.randn(pass["out"]!.shape, seed: 15)
        #expect(RectifiedPoolBackward.plan(pass, ValueUses(pass), wanted: []) == [2: 1])
        #expect(RectifiedPoolBackward.plan(pass, ValueUses(pass), wanted: ["relu1"]).isEmpty)
        for rule in [ReluBackwardRule.plain, .guided, .deconvnet] {
            let fused = try pass.backward(from: "out", gradient: seed, rule: rule)
            let plain = try pass.backward(from: "out", gradient: seed, rule: rule, capture: ["relu1"])
            #expect(fused["x"]!.scalars.map(\.bitPattern) == plain["x"]!.scalars.map(\.bitPattern), "\(rule)")
            #expect(fused["x"]!.scalars.contains { $0 != 0 })
        }
    }

    @Test func capturedConvolutionOutputIsNotFused() throws {
        let g = try Self.fireNet(channels: 8, size: 9)
        let x = TestSupport.randn([1, 3, 9, 9], seed: 8)
        let pass = try g.forward(["x": x], capture: ["conv3"])
        let conv3 = try #require(pass["conv3"])
        #expect(conv3.scalars.contains { $0 < 0 }, "the captured value is the convolution's, before its ReLU")
        #expect(try g.run(["x": x], fetch: ["conv2"])["conv2"]!.scalars.contains { $0 < 0 })
    }
}
