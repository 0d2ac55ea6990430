import Engine
import Foundation
import Protocol
import Testing
@testable import Kernel

/// The embedding verbs driven through the language, on 300 Fashion-MNIST test images.
@Suite struct EmbeddingVerbTests {
    /// A session with `data` = 300 labelled Fashion-MNIST test images.
    func session() -> FoveaSession {
        let (session, _) = makeSession()
        let (outcome, _) = session.run("data = dataset(\"fashion-mnist\", limit=300, seed=0)")
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        return session
    }

    func tensor(_ session: FoveaSession, _ name: String) throws -> Tensor {
        let value = try #require(session.interpreter.names[name])
        if let t = value.object(as: TensorValue.self) { return t.tensor }
        return try #require(value.object(as: ExperimentResult.self)).values
    }

    func svg(_ outcome: ExecuteOutcome) -> String? {
        if case .string(let s)? = outcome.result?.data["image/svg+xml"] { return s }
        return nil
    }

    @Test func pcaOfADatasetMatchesTheEngineAndShowsALegend() throws {
        let s = session()
        let (outcome, _) = s.run("p = pca(data)\np")
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        #expect(outcome.result?.data["image/png"] != nil)
        let picture = try #require(svg(outcome))
        let data = try #require(s.interpreter.names["data"]?.object(as: DatasetValue.self)).dataset
        for c in Set(data.labels) { #expect(picture.contains(data.classNames[c])) }
        let values = try tensor(s, "p")
        #expect(values.shape == [300, 2])
        let fit = try PCA.fit(data.pixels, rows: 300, cols: 784, dimensions: 2)
        #expect(values.scalars == fit.projected)
        let explained = try #require(s.run("p.explained").0.plainResult)
        #expect(explained == Repr.str(.list(fit.explainedVarianceRatio.map { .double(Double($0)) })))
        #expect(fit.explainedVarianceRatio[0] >= fit.explainedVarianceRatio[1])
        #expect(outcome.plainResult?.contains("PCA of 300 points (784-D)") == true)
    }

    @Test func pcaOfFeaturesHasNoLegendUnlessLabelsAreGiven() throws {
        let s = session()
        #expect(s.run("x = pca(data, dims=20)").0.error == nil)
        #expect(try tensor(s, "x").shape == [300, 20])
        let bare = s.run("pca(x.values, dims=3, whiten=true)").0
        #expect(bare.error == nil, "\(String(describing: bare.error))")
        #expect(svg(bare)?.contains("Sneaker") == false)
        let whitened = try tensor(s, "_")
        #expect(whitened.shape == [300, 3])
        // Whitened components have unit variance.
        for j in 0..<3 {
            let column = stride(from: j, to: 900, by: 3).map { Double(whitened.scalars[$0]) }
            let mean = column.reduce(0, +) / 300
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 299
            #expect(abs(variance - 1) < 0.02, "component \(j) variance \(variance)")
        }
        let labelled = s.run("pca(x.values, labels=data)").0
        #expect(svg(labelled)?.contains("Sneaker") == true)
        let listed = s.run("pca(x.values, labels=data.labels)").0
        #expect(listed.error == nil)
    }

    @Test func pcaArgumentErrors() {
        let s = session()
        let tooMany = s.run("pca(data, dims=785)").0.error
        #expect(tooMany?.ename == "ValueError")
        #expect(tooMany?.evalue.contains("dims=785 but the points only have 784 coordinates") == true)
        #expect(s.run("pca(tensor([1, 2, 3]))").0.error?.ename == "ShapeError")
        let wrongCount = s.run("pca(data, labels=[0, 1, 2])").0.error
        #expect(wrongCount?.ename == "ShapeError")
        #expect(wrongCount?.evalue.contains("3 labels for 300 points") == true)
        #expect(s.run("pca(\"pixels\")").0.error?.ename == "TypeError")
        #expect(s.run("pca(data, dims=0)").0.error != nil)
    }

    @Test func tsneIsDeterministicWithASeedAndLabelled() throws {
        let s = session()
        let (first, sink) = s.run("a = tsne(pca(data, dims=30).values, iterations=300, seed=3, labels=data)\na")
        #expect(first.error == nil, "\(String(describing: first.error))")
        #expect(s.run("b = tsne(pca(data, dims=30).values, iterations=300, seed=3, labels=data)").0.error == nil)
        #expect(s.run("c = tsne(pca(data, dims=30).values, iterations=300, seed=4)").0.error == nil)
        let (a, b, c) = (try tensor(s, "a"), try tensor(s, "b"), try tensor(s, "c"))
        #expect(a.shape == [300, 2])
        #expect(a.scalars == b.scalars)
        #expect(a.scalars != c.scalars)
        #expect(svg(first)?.contains("Sneaker") == true)
        let kl = try #require(s.interpreter.names["a"]?.object(as: ExperimentResult.self)?.attribute("kl")?.number)
        #expect(kl > 0 && kl < 5)
        #expect(first.plainResult?.contains("t-SNE of 300 points: KL") == true)
        // The live display showed progress lines with KL and the scatter picture.
        let live = sink.events.compactMap { e -> MimeBundle? in if case .display(let b, _, _) = e { return b } else { return nil } }
        #expect(live.contains { if case .string(let t)? = $0.data["text/plain"] { return t.contains("KL") } else { return false } })
        #expect(live.contains { $0.data["image/png"] != nil })
    }

    @Test func tsneArgumentErrors() {
        let s = session()
        let big = s.run("tsne(data[0:20], perplexity=30)").0.error
        #expect(big?.evalue.contains("perplexity 30.0 is too large for 20 points") == true || big?.evalue.contains("too large for 20 points") == true)
        #expect(s.run("tsne(data, learning_rate=\"fast\")").0.error?.evalue.contains("\"auto\"") == true)
        #expect(s.run("tsne(data, init=\"spectral\")").0.error != nil)
        #expect(s.run("tsne(data[0:3])").0.error?.ename == "ShapeError")
    }

    @Test func tsneGridGivesEveryImageItsOwnCell() throws {
        let s = session()
        let (outcome, _) = s.run("e = pca(data)\ng = tsne_grid(e, data[0:300], cols=20, thumb=10)\ng")
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        #expect(outcome.plainResult?.contains("cost ratio 1.000") == true)
        let cells = try tensor(s, "g")
        #expect(cells.shape == [300, 2])
        let pairs = (0..<300).map { [Int(cells.scalars[2 * $0]), Int(cells.scalars[2 * $0 + 1])] }
        #expect(Set(pairs).count == 300)
        #expect(pairs.allSatisfy { $0[0] >= 0 && $0[0] < 15 && $0[1] >= 0 && $0[1] < 20 })
        let picture = try #require(s.interpreter.names["g"]?.object(as: ExperimentResult.self)?.figure.panels.first)
        if case .image(let img) = picture.content { #expect(img.width == 200 && img.height == 150) } else { Issue.record("no image panel") }
        let approximate = s.run("tsne_grid(e, data, cols=20, thumb=10, exact=false)").0
        #expect(approximate.plainResult?.contains("to a lower bound") == true)
        #expect(s.run("tsne_grid(e, data[0:10])").0.error?.ename == "ShapeError")
    }

    @Test func neighborsMatchBruteForceInPixelSpace() throws {
        let s = session()
        let (outcome, _) = s.run("n = neighbors(pca(data, dims=50).values, data, [0, 7], k=4)\nn")
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        let values = try tensor(s, "n")
        #expect(values.shape == [2, 4])
        let data = try #require(s.interpreter.names["data"]?.object(as: DatasetValue.self)).dataset
        let pixel = try #require(s.interpreter.names["n"]?.object(as: ExperimentResult.self)?.attribute("pixel")?.object(as: TensorValue.self)).tensor
        for (row, q) in [0, 7].enumerated() {
            let distances = (0..<300).filter { $0 != q }.map { j -> (Float, Int) in
                (zip(data.imagePixels(q), data.imagePixels(j)).map { ($0 - $1) * ($0 - $1) }.reduce(0, +), j)
            }.sorted { $0 < $1 }
            let expected = distances.prefix(4).map { Float($0.1) }
            #expect(Array(pixel.scalars[(row * 4)..<((row + 1) * 4)]) == expected)
            #expect(!values.scalars[(row * 4)..<((row + 1) * 4)].contains(Float(q)))
        }
        #expect(s.run("neighbors(data.labels, data, 0)").0.error != nil)
        #expect(s.run("neighbors(pca(data).values, data, 300)").0.error?.evalue.contains("out of range") == true)
        #expect(s.run("neighbors(pca(data).values, data[0:10], 0)").0.error?.ename == "ShapeError")
        let one = s.run("neighbors(pca(data).values, data, 5, k=2, space=\"pixel\")").0
        #expect(one.error == nil)
        #expect(try tensor(s, "_").shape == [1, 2])
    }

    /// The lecture's picture: a test image and its nearest training images — a query from outside `data`.
    @Test func aNewImageIsSearchedInBothSpaces() throws {
        let s = session()
        let setup = "net = model(\"lenet\")\nq = data[7]\nn = neighbors(net, data[0:100], q, k=3, layer=\"fc1\")\nm = neighbors(net, data[0:100], 7, k=2, layer=\"fc1\")"
        #expect(s.run(setup).0.error == nil)
        let result = try #require(s.interpreter.names["n"]?.object(as: ExperimentResult.self))
        let byIndex = try #require(s.interpreter.names["m"]?.object(as: ExperimentResult.self))
        for space in ["feature", "pixel"] {
            let found = try #require(result.attribute(space)?.object(as: TensorValue.self)).tensor
            let others = try #require(byIndex.attribute(space)?.object(as: TensorValue.self)).tensor
            // Image 7 of data is itself at distance 0; an index query leaves itself out.
            #expect(found.shape == [1, 3])
            #expect(found.scalars[0] == 7, "\(space)")
            #expect(Array(found.scalars[1...]) == others.scalars, "\(space)")
        }
        let pixelsOnly = s.run("neighbors(pca(data[0:100]).values, data[0:100], data[3], k=2, space=\"pixel\").pixel").0
        #expect(pixelsOnly.error == nil)
        #expect(try tensor(s, "_").scalars.first == 3)
        let features = s.run("neighbors(pca(data[0:100]).values, data[0:100], data[3], k=2)").0.error
        #expect(features?.evalue.hasPrefix("a new image can only be searched in feature space with the model") == true)
        let shape = s.run("neighbors(net, data, tensor([1, 2, 3]), layer=\"fc1\")").0.error
        #expect(shape?.ename == "ShapeError")
        #expect(shape?.evalue == "a Tensor query must have data's sample shape [1, 28, 28] (or [1] + that); got [3]")
    }
}
