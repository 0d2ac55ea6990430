import Foundation
import TestSupport
import Testing
@testable import Engine

/// Fast style transfer: the new ops (finite differences, known values), the transformer network (shapes,
/// export), training (the perceptual loss falls, runs repeat, interrupts keep the network) and L-BFGS style
/// transfer on the sample pictures.
@Suite struct StylizerTests {
    @Test func instanceNormalizationGradients() throws {
        let x = TestSupport.randn([2, 3, 4, 5], seed: 21)
        let scale = TestSupport.randn([3], seed: 22)
        let bias = TestSupport.randn([3], seed: 23)
        let check = try GradientCheck.run(InstanceNormalization(epsilon: 1e-3), inputs: [x, scale, bias], eps: 1e-3)
        #expect(check.passed, "\(check)")
        #expect(check.checked > 0)
    }

    @Test func instanceNormalizationNormalisesEveryPlane() throws {
        let x = TestSupport.randn([2, 3, 4, 5], seed: 24) * 3 + 1
        let y = try InstanceNormalization().forward([x, Tensor.ones([3]), Tensor(shape: [3], data: [0, 0, 2])])[0]
        for plane in 0..<6 {
            let values = Array(y.scalars[(plane * 20)..<((plane + 1) * 20)])
            let mean = values.reduce(0, +) / 20
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20
            #expect(abs(mean - (plane % 3 == 2 ? 2 : 0)) < 1e-5 && abs(variance - 1) < 1e-3, "plane \(plane): \(mean), \(variance)")
        }
    }

    @Test func nearestResizeRepeatsAndItsGradientSums() throws {
        let x = Tensor(shape: [1, 1, 2, 2], data: [1, 2, 3, 4])
        let y = try Resize(scales: [1, 1, 2, 3]).forward([x])[0]
        #expect(y.shape == [1, 1, 4, 6])
        #expect(y.scalars == [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4])
        let check = try GradientCheck.run(Resize(scales: [1, 2, 2, 1]), inputs: [TestSupport.randn([2, 3, 3, 2], seed: 25)])
        #expect(check.passed && check.checked > 0, "\(check)")
        #expect(throws: ShapeError.self) { try Resize(scales: [2, 2]).forward([x]) }
    }

    @Test func transformerKeepsTheSizeAndStartsNearTheIdentity() throws {
        let graph = try StylizerArchitecture(widths: [4, 8, 8], residualBlocks: 2).graph(seed: 1)
        let x = Tensor.random([2, 3, 16, 12], .uniform(low: 0, high: 1), seed: 2)
        let y = try #require(try graph.run([StylizerArchitecture.input: x])[StylizerArchitecture.output])
        #expect(y.shape == x.shape)
        let change = (y - x).abs().max()
        #expect(change > 0 && change < 0.5, "initial output moves pixels by at most \(change)")
        #expect(graph.nodes.contains { $0.op is InstanceNormalization } && graph.nodes.contains { $0.op is Resize })
    }

    static func smallSettings(_ net: Model, steps: Int, seed: UInt64 = 3) -> StylizerSettings {
        let d = net.synthesisDefaults
        var s = StylizerSettings()
        s.steps = steps
        s.size = 32
        s.batchSize = 2
        s.learningRate = 1e-2
        s.architecture = StylizerArchitecture(widths: [4, 8, 16], residualBlocks: 1)
        s.loss.weighting = d.weighting
        s.loss.contentLayer = d.contentLayer
        s.loss.contentWeight = d.contentWeight
        s.loss.styleLayers = ["relu3", "relu5", "relu7"]
        s.loss.styleWeights = [1, 1, 1]
        s.loss.tvWeight = d.tvWeight
        s.seed = seed
        return s
    }

    static func trainingImages() throws -> [Image] {
        try ["astronaut", "coffee"].map { try SampleImages.load($0).resized(shorterSide: 48) }
    }

    @Test func trainingLowersThePerceptualLossAndRepeats() throws {
        let net = try Model.named("random-multiscale")
        let style = try SynthesisOptimisationTests.sample("gravel", side: 32, for: net)
        let settings = Self.smallSettings(net, steps: 40)
        let a = try net.trainStylizer(style: style, images: try Self.trainingImages(), settings: settings)
        #expect(a.stepsTaken == 40 && a.losses.count == 40)
        let start = a.losses.prefix(3).map(\.total).reduce(0, +) / 3
        let end = a.losses.suffix(5).map(\.total).reduce(0, +) / 5
        #expect(end < 0.5 * start, "perceptual loss \(start) → \(end)")
        let b = try net.trainStylizer(style: style, images: try Self.trainingImages(), settings: settings)
        #expect(a.model.parameters == b.model.parameters)
        let content = Tensor.random([1, 3, 18, 21], .uniform(low: 0, high: 1), seed: 4)
        let stylized = try a.stylize(content)
        #expect(stylized.shape == content.shape && stylized.min() >= 0 && stylized.max() <= 1)
        #expect(try b.stylize(content).scalars == stylized.scalars)
    }

    @Test func interruptKeepsTheStylizerTrainedSoFar() throws {
        let net = try Model.named("random-multiscale")
        let style = try SynthesisOptimisationTests.sample("gravel", side: 32, for: net)
        let interruption = Interruption()
        var kept: Stylizer?
        #expect(throws: Interrupted.self) {
            _ = try net.trainStylizer(style: style, images: try Self.trainingImages(), settings: Self.smallSettings(net, steps: 20),
                                      interruption: interruption, progress: { p in if p.step == 2 { interruption.request() } },
                                      partial: { kept = $0 })
        }
        #expect(kept?.stepsTaken == 2)
        let untrained = try StylizerArchitecture(widths: [4, 8, 16], residualBlocks: 1).graph(seed: 3)
        #expect(kept?.model.graph.initializers["conv1.weight"] != untrained.initializers["conv1.weight"])
    }

    @Test func styleTransferWithLBFGSFallsBelowATenthOfTheStart() throws {
        let net = try Model.named("random-multiscale")
        let content = try SynthesisOptimisationTests.sample("chelsea", side: 32, for: net)
        let style = try SynthesisOptimisationTests.sample("rocket", side: 32, for: net)
        let d = net.synthesisDefaults
        var settings = SynthesisOptimisationTests.styleSettings(d)
        settings.optimizer = .lbfgs
        settings.learningRate = 1
        settings.steps = 40
        let targets = try net.synthesisTargets(content: content, contentLayer: d.contentLayer, styles: [style], styleLayers: d.styleLayers)
        var reported: [Float] = []
        let result = try net.styleTransfer(from: content, targets: targets, settings: settings, progress: { reported.append($0.values[3].value) })
        #expect(result.finalLoss.total < 0.1 * result.initialLoss.total, "L-BFGS loss \(result.initialLoss) → \(result.finalLoss) \(reported)")
        #expect(result.stepsTaken == 40 && reported.count >= 40, "one report per loss evaluation")
    }

    /// With FOVEA_ONNX_EXPORT_DIR set, writes a (briefly trained) stylizer, an input and Fovea's output for
    /// `tools/oracle/check_export.py`, which runs it in onnxruntime.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FOVEA_ONNX_EXPORT_DIR"] != nil))
    func writeStylizerForOnnxruntime() throws {
        let directory = URL(fileURLWithPath: try #require(ProcessInfo.processInfo.environment["FOVEA_ONNX_EXPORT_DIR"]))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let net = try Model.named("random-multiscale")
        let style = try SynthesisOptimisationTests.sample("gravel", side: 32, for: net)
        let stylizer = try net.trainStylizer(style: style, images: try Self.trainingImages(), settings: Self.smallSettings(net, steps: 5))
        try ONNXModel(graph: stylizer.model.graph, description: ModelDescription()).write(to: directory.appendingPathComponent("stylizer.onnx"))
        let x = Tensor.random([2, 3, 24, 20], .uniform(low: 0, high: 1), seed: 5)
        let y = try #require(try stylizer.model.graph.run([StylizerArchitecture.input: x])[StylizerArchitecture.output])
        try ONNXExportBuiltGraphTests().writeNpy(x, to: directory.appendingPathComponent("stylizer.input.npy"))
        try ONNXExportBuiltGraphTests().writeNpy(y, to: directory.appendingPathComponent("stylizer.output.npy"))
    }

    @Test func exportedStylizerImportsBackWithTheSameOutput() throws {
        let graph = try StylizerArchitecture(widths: [4, 8, 8], residualBlocks: 1).graph(seed: 6)
        let data = try ONNXModel(graph: graph, description: ModelDescription()).serialized()
        let reread = try ONNXModel.decode(data)
        let x = Tensor.random([1, 3, 12, 16], .uniform(low: 0, high: 1), seed: 7)
        let before = try #require(try graph.run([StylizerArchitecture.input: x])[StylizerArchitecture.output])
        let after = try #require(try reread.graph.run([reread.inputName: x]).values.first)
        #expect(after.scalars == before.scalars)
    }
}
