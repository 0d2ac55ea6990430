import Foundation
import Testing
@testable import Engine

/// A diagnostic, not a check: with `FOVEA_LAYER_DUMP=<model>:<directory>` (a model of tools/oracle/out),
/// writes every node's activation (`act.<node>.npy`) and the gradient of the target score arriving at it
/// (`grad.<node>.npy`) for the batch-1 oracle input, so tools/oracle/compare_layers.py can find where Fovea
/// and PyTorch part ways.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["FOVEA_LAYER_DUMP"] != nil))
struct ONNXLayerDump {
    @Test func dumpActivationsAndGradients() throws {
        let setting = try #require(ProcessInfo.processInfo.environment["FOVEA_LAYER_DUMP"])
        let parts = setting.split(separator: ":", maxSplits: 1).map(String.init)
        try #require(parts.count == 2, "FOVEA_LAYER_DUMP=<model>:<directory>")
        let (name, directory) = (parts[0], parts[1])
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let model = try ONNXModel.load(contentsOf: ONNXOracle.largeDirectory.appendingPathComponent("\(name).onnx"))
        let c = try ONNXOracle.load(name, batch: 1, in: ONNXOracle.largeDirectory)
        let pass = try model.graph.forward([model.inputName: c.input])
        let logits = try #require(pass.outputs.first)
        var seed = Tensor.zeros(logits.shape)
        seed[0, c.targets[0]] = 1
        let nodes = model.graph.nodes.map(\.name)
        let gradients = try pass.backward(gradient: seed, capture: nodes)
        for node in nodes {
            if let a = pass[node] { try NpyArray(shape: a.shape, floats: a.scalars).write(to: "\(directory)/act.\(node).npy") }
            if let g = gradients[node] { try NpyArray(shape: g.shape, floats: g.scalars).write(to: "\(directory)/grad.\(node).npy") }
        }
        if let g = gradients[model.inputName] {
            try NpyArray(shape: g.shape, floats: g.scalars).write(to: "\(directory)/grad.input.npy")
        }
        let order = nodes.map { node in
            let n = model.graph.nodes.first { $0.name == node }!
            return "\(node)\t\(type(of: n.op))\t\(n.inputs.joined(separator: ","))\t\(n.outputs.joined(separator: ","))"
        }
        try order.joined(separator: "\n").write(toFile: "\(directory)/nodes.tsv", atomically: true, encoding: .utf8)
    }
}
