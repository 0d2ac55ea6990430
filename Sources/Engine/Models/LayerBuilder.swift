import Foundation

/// Appends PyTorch-style layers to a `Graph`, initialising parameters as PyTorch's defaults do with a
/// seeded generator: `kaiming_uniform_(a=√5)` for weights, i.e. U(−1/√fan_in, 1/√fan_in), and the same
/// bound for biases (Conv2d and Linear `reset_parameters`). Parameters are named `<layer>.weight` and
/// `<layer>.bias`, like a PyTorch state dict, and marked trainable.
struct LayerBuilder {
    var graph: Graph
    var generator: SeededGenerator
    /// The value the next layer reads.
    var current: String

    init(input: String, shape: [Int?], seed: UInt64) throws {
        graph = try Graph(inputs: [.init(name: input, shape: shape)])
        generator = SeededGenerator(seed: seed)
        current = input
    }

    /// U(−bound, bound) with bound = 1/√fan_in (PyTorch default for weights and biases alike).
    private mutating func uniform(_ shape: [Int], fanIn: Int) -> Tensor {
        let bound = 1 / Float(fanIn).squareRoot()
        return Tensor.random(shape, .uniform(low: -bound, high: bound), using: &generator)
    }

    /// Conv2d(in, out, k, padding) with bias. Reads `from` (default: the previous layer).
    @discardableResult
    mutating func conv(_ name: String, from source: String? = nil, _ inChannels: Int, _ outChannels: Int, kernel: Int,
                       padding: Int = 0, stride: Int = 1) throws -> String {
        let fanIn = inChannels * kernel * kernel
        graph.addInitializer("\(name).weight", uniform([outChannels, inChannels, kernel, kernel], fanIn: fanIn), trainable: true)
        graph.addInitializer("\(name).bias", uniform([outChannels], fanIn: fanIn), trainable: true)
        try graph.addNode(name, Conv(strides: [stride, stride], pads: [padding, padding, padding, padding]),
                          inputs: [source ?? current, "\(name).weight", "\(name).bias"])
        current = name
        return name
    }

    /// Linear(in, out): Gemm with transB, weight stored [out, in] as in PyTorch.
    @discardableResult
    mutating func linear(_ name: String, _ inFeatures: Int, _ outFeatures: Int) throws -> String {
        graph.addInitializer("\(name).weight", uniform([outFeatures, inFeatures], fanIn: inFeatures), trainable: true)
        graph.addInitializer("\(name).bias", uniform([outFeatures], fanIn: inFeatures), trainable: true)
        try graph.addNode(name, Gemm(transB: true), inputs: [current, "\(name).weight", "\(name).bias"])
        current = name
        return name
    }

    @discardableResult
    mutating func relu(_ name: String, from source: String? = nil) throws -> String {
        try graph.addNode(name, Relu(), inputs: [source ?? current])
        current = name
        return name
    }

    @discardableResult
    mutating func maxPool(_ name: String, size: Int = 2) throws -> String {
        try graph.addNode(name, MaxPool(kernelShape: [size, size], strides: [size, size]), inputs: [current])
        current = name
        return name
    }

    @discardableResult
    mutating func flatten(_ name: String) throws -> String {
        try graph.addNode(name, Flatten(axis: 1), inputs: [current])
        current = name
        return name
    }

    /// Marks `current` as the graph output and returns the finished graph.
    func finished(outputs: [String]? = nil) throws -> Graph {
        var g = graph
        g.outputs = outputs ?? [current]
        try g.validate()
        return g
    }
}
