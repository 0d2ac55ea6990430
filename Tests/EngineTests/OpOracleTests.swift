import Foundation
import Testing
import TestSupport
import Engine

/// Outputs and gradients against PyTorch (and Captum's guided backprop / deconvolution), read from
/// Fixtures/ops/ops_oracle.json written by Fixtures/ops/make_op_fixtures.py.
@Suite struct OpOracleTests {
    struct StoredTensor: Decodable {
        var shape: [Int]
        var data: [Float]
        var tensor: Tensor { Tensor(shape: shape, data: data) }
    }

    struct Case: Decodable {
        var name: String
        var op: String
        var attrs: [String: AttributeValue]
        var inputs: [StoredTensor]
        var output: StoredTensor
        var upstream: StoredTensor
        var grads: [StoredTensor?]
    }

    enum AttributeValue: Decodable {
        case number(Double), list([Int])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let list = try? c.decode([Int].self) { self = .list(list) } else { self = .number(try c.decode(Double.self)) }
        }
        var list: [Int] { if case let .list(l) = self { return l } else { return [] } }
        var number: Double { if case let .number(n) = self { return n } else { return .nan } }
    }

    struct Captum: Decodable {
        var params: [String: StoredTensor]
        var input: StoredTensor
        var target: Int
        var logits: StoredTensor
        var guided: StoredTensor
        var deconvnet: StoredTensor
        var plain: StoredTensor
    }

    struct Oracle: Decodable {
        var cases: [Case]
        var captum: Captum
    }

    static func load() throws -> Oracle {
        let url = try #require(Bundle.module.url(forResource: "ops_oracle", withExtension: "json", subdirectory: "Fixtures/ops"))
        return try JSONDecoder().decode(Oracle.self, from: Data(contentsOf: url))
    }

    static func makeOperator(_ c: Case) throws -> any Operator {
        let a = c.attrs
        switch c.op {
        case "Conv":
            return Conv(strides: a["strides"]!.list, pads: a["pads"]!.list, dilations: a["dilations"]!.list,
                        group: Int(a["group"]!.number))
        case "MaxPool":
            return MaxPool(kernelShape: a["kernel_shape"]!.list, strides: a["strides"]!.list, pads: a["pads"]!.list,
                           ceilMode: a["ceil_mode"]!.number == 1)
        case "AveragePool":
            return AveragePool(kernelShape: a["kernel_shape"]!.list, strides: a["strides"]!.list, pads: a["pads"]!.list,
                               ceilMode: a["ceil_mode"]!.number == 1, countIncludePad: a["count_include_pad"]!.number == 1)
        case "LRN":
            return LRN(size: Int(a["size"]!.number), alpha: Float(a["alpha"]!.number), beta: Float(a["beta"]!.number),
                       bias: Float(a["bias"]!.number))
        case "BatchNormalization": return BatchNormalization(epsilon: Float(a["epsilon"]!.number))
        case "Clip": return Clip(min: Float(a["min"]!.number), max: Float(a["max"]!.number))
        case "Softmax": return Softmax(axis: Int(a["axis"]!.number))
        case "Gemm": return Gemm(transB: a["transB"]!.number == 1)
        default: throw ShapeError("no test mapping for \(c.op)")
        }
    }

    @Test func everyCaseMatchesPyTorch() throws {
        let oracle = try Self.load()
        #expect(oracle.cases.count == 11)
        for c in oracle.cases {
            let op = try Self.makeOperator(c)
            let inputs: [Tensor?] = c.inputs.map(\.tensor)
            let outputs = try op.forward(inputs)
            let closeOut = closeness(outputs[0], c.output.tensor, rtol: 1e-4, atol: 1e-5)
            #expect(closeOut.passed, "\(c.name) forward: \(closeOut)")
            let grads = try op.backward(BackwardContext(inputs: inputs, outputs: outputs,
                                                        outputGradients: [c.upstream.tensor],
                                                        needsInputGradient: c.grads.map { $0 != nil }))
            for (k, expected) in c.grads.enumerated() {
                guard let expected else { continue }
                let got = try #require(grads[k], "\(c.name): no gradient for input \(k)")
                let close = closeness(got, expected.tensor, rtol: 1e-4, atol: 1e-5)
                #expect(close.passed, "\(c.name) grad \(k): \(close)")
            }
        }
    }

    @Test func reluRulesMatchCaptum() throws {
        let captum = try Self.load().captum
        let p = captum.params.mapValues(\.tensor)
        var g = try Graph(inputs: [.init(name: "x", shape: [nil, 2, 8, 8])], outputs: ["fc"])
        for (name, value) in p { g.addInitializer(name, value, trainable: true) }
        try g.addNode("conv1", Conv(pads: [1, 1, 1, 1]), inputs: ["x", "conv1.weight", "conv1.bias"])
        try g.addNode("relu1", Relu(), inputs: ["conv1"])
        try g.addNode("pool", MaxPool(kernelShape: [2, 2], strides: [2, 2]), inputs: ["relu1"])
        try g.addNode("conv2", Conv(pads: [1, 1, 1, 1]), inputs: ["pool", "conv2.weight", "conv2.bias"])
        try g.addNode("relu2", Relu(), inputs: ["conv2"])
        try g.addNode("flatten", Flatten(axis: 1), inputs: ["relu2"])
        try g.addNode("fc", Gemm(transB: true), inputs: ["flatten", "fc.weight", "fc.bias"])
        let pass = try g.forward(["x": captum.input.tensor], capture: [])
        #expect(closeness(pass["fc"]!, captum.logits.tensor, rtol: 1e-4, atol: 1e-5).passed)
        var seed = Tensor.zeros([2, 3])
        for n in 0..<2 { seed[n, captum.target] = 1 }
        for (rule, expected) in [(ReluBackwardRule.plain, captum.plain), (.guided, captum.guided), (.deconvnet, captum.deconvnet)] {
            let grad = try #require(try pass.backward(from: "fc", gradient: seed, rule: rule)["x"])
            let close = closeness(grad, expected.tensor, rtol: 1e-4, atol: 1e-5)
            #expect(close.passed, "\(rule): \(close)")
        }
    }
}
