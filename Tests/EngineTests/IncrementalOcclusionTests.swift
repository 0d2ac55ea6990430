import Foundation
import Testing
import TestSupport
@testable import Engine

/// Occlusion by exact incremental inference: every occluded copy's output, computed from boxes of the
/// unoccluded activations, equals the full forward pass of that copy.
@Suite struct IncrementalOcclusionTests {
    /// The occluded copies `[positions.count, C, H, W]` of row `row` (the reference the boxes must reproduce).
    static func occludedCopies(_ x: Tensor, row: Int, windows: [ActivationBox], fill: Float) -> Tensor {
        let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        var out = Tensor.zeros([windows.count, c, h, w])
        out.withUnsafeMutableBufferPointer { o in
            x.withUnsafeBufferPointer { xs in
                for (s, box) in windows.enumerated() {
                    for i in 0..<(c * h * w) { o[s * c * h * w + i] = xs[row * c * h * w + i] }
                    for ch in 0..<c {
                        for y in box.top..<box.bottom {
                            for xx in box.left..<box.right { o[((s * c + ch) * h + y) * w + xx] = fill }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Runs the incremental pass for every window on `row` and the full pass on the occluded copies.
    static func compare(_ model: Model, _ x: Tensor, row: Int, window: (Int, Int), stride: (Int, Int),
                        fill: Float = 0) throws -> (incremental: Tensor, full: Tensor, plan: IncrementalInference) {
        let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        var windows: [ActivationBox] = []
        // Captum's positions: ⌈(D − w)/s⌉ + 1 per axis.
        let rows = (h - window.0 + stride.0 - 1) / stride.0 + 1, columns = (w - window.1 + stride.1 - 1) / stride.1 + 1
        for y0 in (0..<rows).map({ $0 * stride.0 }) {
            for x0 in (0..<columns).map({ $0 * stride.1 }) {
                windows.append(ActivationBox(top: y0, left: x0, bottom: min(h, y0 + window.0), right: min(w, x0 + window.1)))
            }
        }
        let boxes = windows.map { $0.extended(toHeight: window.0, width: window.1, mapHeight: h, mapWidth: w) }
        let pass = try model.graph.forward([model.input: x], fetch: [model.output])
        let plan = try IncrementalInference(graph: model.graph, input: model.input, output: model.output,
                                            clean: pass.values, inputBoxes: boxes)
        let copies = occludedCopies(x, row: row, windows: windows, fill: fill)
        var region = Tensor.zeros([windows.count, c, window.0, window.1])
        region.withUnsafeMutableBufferPointer { r in
            copies.withUnsafeBufferPointer { full in
                for (s, box) in boxes.enumerated() {
                    for ch in 0..<c {
                        for y in box.top..<box.bottom {
                            for xx in box.left..<box.right {
                                r[((s * c + ch) * window.0 + y - box.top) * window.1 + xx - box.left] =
                                    full[((s * c + ch) * h + y) * w + xx]
                            }
                        }
                    }
                }
            }
        }
        let incremental = try plan.runParallel(rows: Array(repeating: row, count: windows.count),
                                               perturbations: Array(windows.indices), inputRegion: region)
        let full = try model.graph.run([model.input: copies], fetch: [model.output])[model.output]!
        return (incremental, full, plan)
    }

    static func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        let scale = max(b.scalars.map(abs).max() ?? 0, 1e-30)
        return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()! / scale
    }

    @Test func boxGrowsByTheReceptiveFieldAndIsClippedToTheMap() throws {
        // 3×3, stride 2, pad 1 over 10 → 5 outputs; output o reads inputs 2o − 1 … 2o + 1.
        let w = try Window2D(inH: 10, inW: 10, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1],
                             dilations: [1, 1], autoPad: .notSet)
        for lo in 0..<10 {
            for hi in (lo + 1)...10 {
                let reads = (0..<5).filter { o in (2 * o - 1...2 * o + 1).contains { (lo..<hi).contains($0) } }
                let box = ActivationBox(top: lo, left: 0, bottom: hi, right: 1).through(w)
                #expect(box.top == reads.first! && box.bottom == reads.last! + 1, "rows \(lo)..<\(hi)")
            }
        }
        let grown = ActivationBox(top: 8, left: 0, bottom: 10, right: 3).extended(toHeight: 4, width: 4, mapHeight: 10,
                                                                                   mapWidth: 10)
        #expect(grown == ActivationBox(top: 6, left: 0, bottom: 10, right: 4))
    }

    /// A graph using every op incremental inference computes by boxes: padded, strided and dilated
    /// convolutions, BatchNormalization, a channel Concat, an Add of a per-channel constant and of two
    /// branches, padded ceil-mode max pooling, average pooling; then Flatten and Gemm on whole maps.
    static func mixedModel() throws -> Model {
        var g = try Graph(inputs: [.init(name: "x", shape: [nil, 3, 17, 15])])
        var seed: UInt64 = 40
        func add(_ name: String, _ shape: [Int]) {
            seed += 1
            g.addInitializer(name, TestSupport.randn(shape, seed: seed, std: 0.3))
        }
        add("c1.w", [6, 3, 3, 3]); add("c1.b", [6])
        for p in ["scale", "bias", "mean"] { add("bn.\(p)", [6]) }
        g.addInitializer("bn.var", Tensor(shape: [6], repeating: 0.7))
        add("a.w", [4, 6, 1, 1]); add("b.w", [4, 6, 3, 3]); add("shift", [1, 8, 1, 1])
        add("d.w", [8, 8, 3, 3]); add("fc.w", [5, 8 * 5 * 2]); add("fc.b", [5])
        g.addInitializer("flat", Tensor(shape: [2], data: [0, -1]))
        try g.addNode("c1", Conv(strides: [1, 2], pads: [1, 0, 2, 1]), inputs: ["x", "c1.w", "c1.b"])
        try g.addNode("bn", BatchNormalization(), inputs: ["c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"])
        try g.addNode("r1", Relu(), inputs: ["bn"])
        try g.addNode("a", Conv(), inputs: ["r1", "a.w"])
        try g.addNode("b", Conv(pads: [2, 2, 2, 2], dilations: [2, 2]), inputs: ["r1", "b.w"])
        try g.addNode("cat", Concat(axis: 1), inputs: ["a", "b"])
        try g.addNode("shifted", Add(), inputs: ["cat", "shift"])
        try g.addNode("pool", MaxPool(kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true),
                      inputs: ["shifted"])
        try g.addNode("d", Conv(pads: [1, 1, 1, 1]), inputs: ["pool", "d.w"])
        try g.addNode("sum", Add(), inputs: ["d", "pool"])
        try g.addNode("avg", AveragePool(kernelShape: [2, 2], strides: [2, 2]), inputs: ["sum"])
        try g.addNode("flatten", Reshape(), inputs: ["avg", "flat"])
        try g.addNode("fc", Gemm(transB: true), inputs: ["flatten", "fc.w", "fc.b"])
        g.outputs = ["fc"]
        let pre = Preprocessing(channels: 3, inputHeight: 17, inputWidth: 15, mean: [0, 0, 0], std: [1, 1, 1],
                                classNames: [])
        return Model(name: "mixed", graph: g, preprocessing: pre, input: "x", output: "fc")
    }

    @Test(arguments: [((3, 3), (2, 2)), ((5, 4), (3, 4)), ((1, 1), (1, 1))])
    func mixedGraphMatchesFullForward(window: (Int, Int), stride: (Int, Int)) throws {
        let model = try Self.mixedModel()
        let x = TestSupport.randn([2, 3, 17, 15], seed: 7)
        let (incremental, full, plan) = try Self.compare(model, x, row: 1, window: window, stride: stride, fill: 0.5)
        #expect(Self.relativeError(incremental, full) <= 1e-6)
        // Everything up to the last pooling is computed by boxes; Reshape and Gemm on whole maps.
        let byBoxes = plan.steps.filter { if case .dense = $0.rule { return false } else { return true } }
            .map { model.graph.nodes[$0.node].name }
        #expect(byBoxes.prefix(6) == ["c1", "bn", "r1", "a", "b", "cat"], "\(byBoxes)")
        #expect(!byBoxes.contains("fc") && !byBoxes.contains("flatten"))
    }

    /// Captum's definition computed the slow way: every occluded copy through the full graph.
    static func referenceOcclusion(_ model: Model, _ x: Tensor, target: Int, window: (Int, Int), stride: (Int, Int),
                                   kind: ScoreKind) throws -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let rows = (h - window.0 + stride.0 - 1) / stride.0 + 1, columns = (w - window.1 + stride.1 - 1) / stride.1 + 1
        let windows = (0..<(rows * columns)).map { p in
            let (y0, x0) = ((p / columns) * stride.0, (p % columns) * stride.1)
            return ActivationBox(top: y0, left: x0, bottom: min(h, y0 + window.0), right: min(w, x0 + window.1))
        }
        var out = Tensor.zeros([n, c, h, w])
        for row in 0..<n {
            let base = scores(of: try model.outputLogits(try x.slice(axis: 0, row..<(row + 1))), targets: [target], kind: kind)[0]
            let occluded = scores(of: try model.outputLogits(occludedCopies(x, row: row, windows: windows, fill: 0)),
                                  targets: Array(repeating: target, count: windows.count), kind: kind)
            var total = [Double](repeating: 0, count: h * w), count = [Double](repeating: 0, count: h * w)
            for (box, score) in zip(windows, occluded) {
                for y in box.top..<box.bottom {
                    for xx in box.left..<box.right {
                        total[y * w + xx] += Double(base - score)
                        count[y * w + xx] += 1
                    }
                }
            }
            out.withUnsafeMutableBufferPointer { o in
                for ch in 0..<c { for i in 0..<(h * w) { o[(row * c + ch) * h * w + i] = Float(total[i] / count[i]) } }
            }
        }
        return out
    }

    @Test(arguments: [ScoreKind.logit, .probability])
    func occlusionEqualsEveryCopyThroughTheFullGraph(kind: ScoreKind) throws {
        let model = try Self.mixedModel()
        let x = TestSupport.randn([2, 3, 17, 15], seed: 11)
        let settings = OcclusionSettings(window: (4, 3), stride: (2, 3), fill: [0], score: kind, batchSize: 5)
        let result = try model.occlusion(x, target: 3, settings: settings)
        let expected = try Self.referenceOcclusion(model, x, target: 3, window: (4, 3), stride: (2, 3), kind: kind)
        #expect(Self.relativeError(result.attributions, expected) <= 1e-5)
    }

    /// A fully convolutional classifier (squeezenet's head): conv, ReLU, 1×1 conv to 5 classes, ReLU, global
    /// average pooling, Flatten.
    static func convolutionalClassifier() throws -> Model {
        var g = try Graph(inputs: [.init(name: "x", shape: [nil, 3, 9, 9])])
        g.addInitializer("c.w", TestSupport.randn([6, 3, 3, 3], seed: 61, std: 0.4))
        g.addInitializer("k.w", TestSupport.randn([5, 6, 1, 1], seed: 62, std: 0.4))
        g.addInitializer("k.b", TestSupport.randn([5], seed: 63, std: 0.4))
        try g.addNode("c", Conv(pads: [1, 1, 1, 1]), inputs: ["x", "c.w"])
        try g.addNode("r", Relu(), inputs: ["c"])
        try g.addNode("k", Conv(), inputs: ["r", "k.w", "k.b"])
        try g.addNode("kr", Relu(), inputs: ["k"])
        try g.addNode("gap", GlobalAveragePool(), inputs: ["kr"])
        try g.addNode("flat", Flatten(), inputs: ["gap"])
        g.outputs = ["flat"]
        let pre = Preprocessing(channels: 3, inputHeight: 9, inputWidth: 9, mean: [0, 0, 0], std: [1, 1, 1], classNames: [])
        return Model(name: "fully-convolutional", graph: g, preprocessing: pre, input: "x", output: "flat")
    }

    @Test func singleLogitGraphComputesOnlyTheTargetLogit() throws {
        let model = try Self.convolutionalClassifier()
        let x = TestSupport.randn([3, 3, 9, 9], seed: 5)
        let pass = try model.graph.forward([model.input: x], fetch: [model.output])
        let logits = pass.values[model.output]!
        for k in [0, 4] {
            let single = try #require(SingleLogitGraph(model.graph, output: model.output, shapes: pass.shapes, keeping: k))
            #expect(single.graph.initializers[single.graph.node(named: "k")!.inputs[1]]?.shape == [1, 6, 1, 1])
            let one = try single.graph.run([model.input: x], fetch: [model.output])[model.output]!
            #expect(one.shape == [3, 1])
            #expect(Self.relativeError(one, try logits.slice(axis: 1, k..<(k + 1))) <= 1e-6, "logit \(k)")
        }
        // Gemm classifiers are left whole; a softmax output mixes the classes.
        let mixed = try Self.mixedModel()
        var g = mixed.graph
        try g.addNode("softmax", Softmax(), inputs: ["fc"])
        let shapes = try g.forward(["x": TestSupport.randn([1, 3, 17, 15], seed: 1)], fetch: ["softmax"]).shapes
        #expect(SingleLogitGraph(g, output: "fc", shapes: shapes, keeping: 0) == nil)
        #expect(SingleLogitGraph(g, output: "softmax", shapes: shapes, keeping: 0) == nil)
    }

    @Test func occlusionOfAConvolutionalClassifierIsTheSameForEveryScoreAndBatchSize() throws {
        let model = try Self.convolutionalClassifier()
        let x = TestSupport.randn([2, 3, 9, 9], seed: 8)
        for kind in [ScoreKind.logit, .probability] {
            let expected = try Self.referenceOcclusion(model, x, target: 2, window: (3, 3), stride: (2, 2), kind: kind)
            var reference: Tensor?
            for batchSize in [1, 4, 64] {
                let settings = OcclusionSettings(window: (3, 3), stride: (2, 2), fill: [0], score: kind, batchSize: batchSize)
                let result = try model.occlusion(x, target: 2, settings: settings)
                #expect(Self.relativeError(result.attributions, expected) <= 1e-5, "\(kind)")
                if let reference { #expect(result.attributions == reference, "\(kind) batch size \(batchSize)") }
                reference = result.attributions
            }
        }
    }

    @Test func strideLongerThanThePatchIsRefused() throws {
        let model = try Self.mixedModel()
        let settings = OcclusionSettings(window: (2, 2), stride: (3, 1), fill: [0], score: .logit)
        #expect(throws: ExperimentError.self) { try model.occlusion(TestSupport.randn([1, 3, 17, 15], seed: 1), settings: settings) }
    }

    @Test func occlusionIsIdenticalForEveryBatchSizeOnFashionCNN() throws {
        let (model, input, targets) = try AttributionCaptumTests.fashion()
        let x = try input.slice(axis: 0, 0..<2)
        var reference: Tensor?
        for batchSize in [1, 7, 64] {
            let settings = OcclusionSettings(window: (5, 5), stride: (3, 3), fill: [0], score: .logit, batchSize: batchSize)
            let result = try model.occlusion(x, target: targets[0], settings: settings)
            if let reference { #expect(result.attributions == reference, "batch size \(batchSize)") }
            reference = result.attributions
        }
    }

    @Test func fashionCNNMatchesFullForward() throws {
        let (model, input, _) = try AttributionCaptumTests.fashion()
        let (incremental, full, _) = try Self.compare(model, input, row: 2, window: (7, 7), stride: (3, 3))
        #expect(Self.relativeError(incremental, full) <= 1e-6)
    }

    static let squeezeNet = ONNXOracle.largeDirectory.appendingPathComponent("squeezenet1_1.onnx")

    @Test(.enabled(if: FileManager.default.fileExists(atPath: squeezeNet.path), "needs tools/oracle/make_fixtures.py --large"))
    func squeezeNetMatchesFullForwardAndStopsBoxesWhereTheyCoverTheMap() throws {
        let model = Model(onnx: try ONNXModel.load(contentsOf: Self.squeezeNet), name: "squeezenet1_1")
        let x = TestSupport.randn([1, 3, 224, 224], seed: 3)
        let (incremental, full, plan) = try Self.compare(model, x, row: 0, window: (32, 32), stride: (48, 48))
        #expect(Self.relativeError(incremental, full) <= 1e-6)
        // Boxes of an interior 32×32 window: conv 3×3/2 → 17 of 111 (grown to the largest, 17); max-pool 3×3/2
        // → 9 of 55; each fire's 3×3 expand adds 2; the map is covered by fire 8 (13 × 13).
        func size(_ layer: String) throws -> [Int]? {
            try plan.boxes[model.graph.valueName(for: layer)].map { [$0[0].height, $0[0].width] }
        }
        #expect(try size("features.0") == [17, 17])
        #expect(try size("features.2") == [9, 9])
        #expect(try size("features.3") == [11, 11])
        #expect(try size("features.10") == [11, 11], "fire 7")
        #expect(try size("features.11") == nil, "fire 8 runs on whole maps")
        // The logit score needs one row of the 1000-class 1×1 classifier convolution.
        let single = try #require(SingleLogitGraph(model.graph, output: model.output, shapes: plan.clean.mapValues(\.shape),
                                                   keeping: 7))
        let classifier = single.graph.node(named: "classifier.1")!
        #expect(single.graph.initializers[classifier.inputs[1]]?.shape == [1, 512, 1, 1])
    }
}

extension IncrementalOcclusionTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: squeezeNet.path), "needs tools/oracle/make_fixtures.py --large"))
    func squeezeNetOcclusionIsIdenticalForEveryBatchSize() throws {
        let model = Model(onnx: try ONNXModel.load(contentsOf: Self.squeezeNet), name: "squeezenet1_1")
        let x = TestSupport.randn([1, 3, 224, 224], seed: 4)
        var reference: Tensor?
        for batchSize in [1, 6, 25] {
            let settings = OcclusionSettings(window: (48, 48), stride: (32, 48), fill: [0], score: .logit, batchSize: batchSize)
            let result = try model.occlusion(x, target: 5, settings: settings)
            if let reference { #expect(result.attributions == reference, "batch size \(batchSize)") }
            reference = result.attributions
        }
    }
}
