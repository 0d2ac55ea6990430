import Foundation
import Testing
import TestSupport
import Engine

/// torchvision architectures written node by node with seeded random weights, for timing the engine.
/// Runs only with FOVEA_BENCH=1 (build with `-c release`); prints seconds per case.
enum BenchmarkNets {
    final class Builder {
        var graph: Graph
        var seed: UInt64 = 100
        init(input: [Int?]) throws { graph = try Graph(inputs: [.init(name: "x", shape: input)]) }

        func conv(_ name: String, _ input: String, _ cin: Int, _ cout: Int, k: Int, s: Int = 1, p: Int = 0) throws -> String {
            seed += 2
            let std = (2 / Float(cin * k * k)).squareRoot()
            graph.addInitializer("\(name).weight", TestSupport.randn([cout, cin, k, k], seed: seed, std: std), trainable: true)
            graph.addInitializer("\(name).bias", TestSupport.randn([cout], seed: seed + 1, std: 0.01), trainable: true)
            try graph.addNode(name, Conv(strides: [s, s], pads: [p, p, p, p]), inputs: [input, "\(name).weight", "\(name).bias"])
            try graph.addNode("\(name).relu", Relu(), inputs: [name])
            return "\(name).relu"
        }

        func linear(_ name: String, _ input: String, _ cin: Int, _ cout: Int, relu: Bool) throws -> String {
            seed += 2
            graph.addInitializer("\(name).weight", TestSupport.randn([cout, cin], seed: seed, std: (1 / Float(cin)).squareRoot()), trainable: true)
            graph.addInitializer("\(name).bias", TestSupport.randn([cout], seed: seed + 1, std: 0.01), trainable: true)
            try graph.addNode(name, Gemm(transB: true), inputs: [input, "\(name).weight", "\(name).bias"])
            if !relu { return name }
            try graph.addNode("\(name).relu", Relu(), inputs: [name])
            return "\(name).relu"
        }

        func maxPool(_ name: String, _ input: String, k: Int, s: Int, ceil: Bool = false) throws -> String {
            try graph.addNode(name, MaxPool(kernelShape: [k, k], strides: [s, s], ceilMode: ceil), inputs: [input])
            return name
        }
    }

    static func squeezenet11() throws -> Graph {
        let b = try Builder(input: [nil, 3, 224, 224])
        var x = try b.conv("features.0", "x", 3, 64, k: 3, s: 2)
        x = try b.maxPool("features.2", x, k: 3, s: 2, ceil: true)
        var channels = 64
        func fire(_ i: Int, _ s: Int, _ e: Int) throws {
            let sq = try b.conv("features.\(i).squeeze", x, channels, s, k: 1)
            let e1 = try b.conv("features.\(i).expand1x1", sq, s, e, k: 1)
            let e3 = try b.conv("features.\(i).expand3x3", sq, s, e, k: 3, p: 1)
            try b.graph.addNode("features.\(i).cat", Concat(axis: 1), inputs: [e1, e3])
            x = "features.\(i).cat"
            channels = 2 * e
        }
        try fire(3, 16, 64); try fire(4, 16, 64)
        x = try b.maxPool("features.5", x, k: 3, s: 2, ceil: true)
        try fire(6, 32, 128); try fire(7, 32, 128)
        x = try b.maxPool("features.8", x, k: 3, s: 2, ceil: true)
        try fire(9, 48, 192); try fire(10, 48, 192); try fire(11, 64, 256); try fire(12, 64, 256)
        x = try b.conv("classifier.1", x, 512, 1000, k: 1)
        try b.graph.addNode("pool", GlobalAveragePool(), inputs: [x])
        try b.graph.addNode("logits", Flatten(axis: 1), inputs: ["pool"])
        b.graph.outputs = ["logits"]
        return b.graph
    }

    static func vgg16() throws -> Graph {
        let b = try Builder(input: [nil, 3, 224, 224])
        var x = "x", channels = 3, index = 0
        for v in [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0] {
            if v == 0 {
                x = try b.maxPool("features.\(index)", x, k: 2, s: 2)
                index += 1
            } else {
                x = try b.conv("features.\(index)", x, channels, v, k: 3, p: 1)
                channels = v
                index += 2
            }
        }
        try b.graph.addNode("flatten", Flatten(axis: 1), inputs: [x])
        x = try b.linear("classifier.0", "flatten", 25088, 4096, relu: true)
        x = try b.linear("classifier.3", x, 4096, 4096, relu: true)
        x = try b.linear("classifier.6", x, 4096, 1000, relu: false)
        b.graph.outputs = [x]
        return b.graph
    }
}

@Suite(.enabled(if: ProcessInfo.processInfo.environment["FOVEA_BENCH"] == "1"))
struct GraphBenchmarkTests {
    func time(_ label: String, repeats: Int = 3, _ body: () throws -> Void) rethrows {
        try body()  // warm-up
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print(String(format: "BENCH %-34@ %.4f s", label as NSString, best))
    }

    @Test func squeezenetAndVGG() throws {
        BLAS.threadCount = 2
        let squeeze = try BenchmarkNets.squeezenet11()
        let x1 = TestSupport.randn([1, 3, 224, 224], seed: 1)
        let x32 = TestSupport.randn([32, 3, 224, 224], seed: 2)
        try time("squeezenet1_1 forward b1", repeats: 5) { _ = try squeeze.run(["x": x1]) }
        try time("squeezenet1_1 forward b32") { _ = try squeeze.run(["x": x32]) }
        try time("squeezenet1_1 saliency b1", repeats: 5) {
            let pass = try squeeze.forward(["x": x1], capture: [])
            var seed = Tensor.zeros([1, 1000])
            seed[0, 3] = 1
            _ = try pass.backward(from: "logits", gradient: seed)
        }
        let vgg = try BenchmarkNets.vgg16()
        try time("vgg16 forward b1", repeats: 2) { _ = try vgg.run(["x": x1]) }
        try time("vgg16 saliency b1", repeats: 2) {
            let pass = try vgg.forward(["x": x1], capture: [])
            var seed = Tensor.zeros([1, 1000])
            seed[0, 3] = 1
            _ = try pass.backward(gradient: seed)
        }
    }
}
