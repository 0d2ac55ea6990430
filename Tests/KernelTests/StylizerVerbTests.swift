import Engine
import Foundation
import Protocol
import Testing
@testable import Kernel

/// `stylizer`, `stylize` and `style_transfer(optimizer="lbfgs")` through the language: argument errors, a tiny
/// end-to-end training run with live progress, export to ONNX and repeatability.
@Suite struct StylizerVerbTests {
    /// A session with `net` (random-multiscale), `gravel` (style) and `train` (two small training pictures).
    func session() -> (FoveaSession, URL) {
        let (session, dir) = makeSession()
        let (outcome, _) = session.run("""
            net = model("random-multiscale")
            gravel = image("sample:gravel", size=32)
            train = [image("sample:astronaut", size=40), image("sample:coffee", size=40)]
            """)
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        return (session, dir)
    }

    static let tiny = "steps=6, size=32, batch=1, width=4, blocks=1, style_layers=[\"relu3\", \"relu5\"], seed=1"

    @Test func argumentErrorsNameTheParameter() {
        let (s, _) = session()
        let notMultiple = s.run("stylizer(net, gravel, train, size=30)").0.error
        #expect(notMultiple?.ename == "ValueError")
        #expect(notMultiple?.evalue.contains("multiple of 4") == true)
        let folder = s.run("stylizer(net, gravel, \"no/such/folder\")").0.error
        #expect(folder?.ename == "FileError")
        #expect(folder?.evalue.contains("not a folder") == true)
        let empty = s.run("stylizer(net, gravel, [])").0.error
        #expect(empty?.evalue.contains("no training pictures") == true)
        #expect(s.run("stylizer(net, gravel, 3)").0.error?.ename == "TypeError")
        let layer = s.run("stylizer(net, gravel, train, style_layers=[\"relu4\"])").0.error
        #expect(layer?.evalue.contains("unknown layer \"relu4\"") == true)
        #expect(s.run("stylize(gravel, gravel)").0.error?.ename == "TypeError")
        #expect(s.run("stylizer(net, gravel, train, blocks=-1)").0.error?.ename == "ValueError")
    }

    @Test func tinyStylizerTrainsShowsProgressStylizesAndSavesAsONNX() throws {
        let (s, dir) = session()
        let (outcome, sink) = s.run("st = stylizer(net, gravel, train, \(Self.tiny))\nst")
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        #expect(outcome.plainResult?.hasPrefix("Stylizer: widths 4/8/16, 1 residual blocks") == true, "\(outcome.plainResult ?? "")")
        #expect(outcome.result?.data["image/png"] != nil)
        let lines = sink.events.compactMap { event -> String? in
            if case .display(let bundle, _, _) = event, case .string(let text)? = bundle.data["text/plain"] { return text }
            return nil
        }
        #expect(lines.last?.hasPrefix("training stylizer on 2 images: 6/6") == true, "live progress: \(lines)")
        let value = try #require(s.interpreter.names["st"]?.object(as: StylizerValue.self))
        #expect(value.stylizer.stepsTaken == 6 && value.stylizer.losses.count == 6)

        let styled = s.run("out = stylize(st, image(\"sample:chelsea\", size=30))\nout.shape").0
        #expect(styled.error == nil, "\(String(describing: styled.error))")
        let picture = try #require(s.interpreter.names["out"]?.object(as: ImageValue.self)).image
        #expect(picture.height == 30 && picture.channels == 3)

        #expect(s.run("save(st, \"st.onnx\")").0.error == nil)
        let model = try ONNXModel.load(contentsOf: dir.appendingPathComponent("st.onnx"))
        let x = Tensor.random([1, 3, 16, 16], .uniform(low: 0, high: 1), seed: 2)
        let mine = try value.stylizer.model.graph.run([StylizerArchitecture.input: x])[StylizerArchitecture.output]
        #expect(try model.graph.run([model.inputName: x]).values.first == mine)
        #expect(s.run("save(st, \"st.png\")").0.error?.evalue.contains(".onnx") == true)

        // Same seed, same bytes.
        #expect(s.run("st2 = stylizer(net, gravel, train, \(Self.tiny))").0.error == nil)
        let again = try #require(s.interpreter.names["st2"]?.object(as: StylizerValue.self))
        #expect(again.stylizer.model.parameters == value.stylizer.model.parameters)
    }

    @Test func styleTransferTakesLBFGS() throws {
        let (s, _) = session()
        let (outcome, sink) = s.run("""
            r = style_transfer(net, image("sample:chelsea", size=24), gravel, size=24, steps=8, optimizer="lbfgs", seed=0)
            [r.initial_loss, r.loss, r.steps]
            """)
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        let result = try #require(s.interpreter.names["r"]?.object(as: ExperimentResult.self))
        let initial = try #require(result.extras.first { $0.0 == "initial_loss" }?.1.number)
        let final = try #require(result.extras.first { $0.0 == "loss" }?.1.number)
        #expect(final < initial, "L-BFGS lowered the loss \(initial) → \(final)")
        // Progress counts loss evaluations, at most PyTorch's max_eval = 8·5/4 with the line search.
        let lines = sink.events.compactMap { event -> String? in
            if case .display(let bundle, _, _) = event, case .string(let text)? = bundle.data["text/plain"] { return text }
            return nil
        }
        #expect(lines.last?.hasPrefix("style transfer: ") == true && lines.last?.contains("/10 [") == true, "\(lines)")
        let wrong = s.run("style_transfer(net, gravel, gravel, optimizer=\"sgd\")").0.error
        #expect(wrong?.evalue.contains("lbfgs") == true)
    }
}
