import Foundation
import Testing
import Engine

@Suite struct EmbeddingTSNETests {
    static func smallOptions() -> TSNEOptions {
        var o = TSNEOptions()
        o.perplexity = 10
        o.earlyExaggerationIterations = 60
        o.iterations = 60
        o.minIntervals = 20  // a small FFT grid keeps this debug-mode test quick
        return o
    }

    @Test(arguments: [TSNEGradientMethod.barnesHut, .fft])
    func separatesClustersDeterministically(method: TSNEGradientMethod) throws {
        let (x, labels) = EmbeddingFixtures.blobs(count: 300, clusters: 4, dims: 8, seed: 31)
        var options = Self.smallOptions()
        options.method = method
        var reports = [TSNEProgress]()
        let a = try TSNE.embed(x, rows: 300, cols: 8, options: options) { reports.append($0) }
        let b = try TSNE.embed(x, rows: 300, cols: 8, options: options)
        #expect(a.embedding == b.embedding)
        #expect(a.iterations == 120 && !a.interrupted && a.method == method)
        #expect(reports.count == 12 && reports.last?.iteration == 120)
        #expect(EmbeddingQuality.knnAccuracy(a.embedding, rows: 300, cols: 2, labels: labels) == 1)
        // The KL estimate tracks the exact evaluator.
        let graph = try NearestNeighbors.exact(x, rows: 300, cols: 8, k: 30)
        let exact = TSNE.exactKL(affinities: PerplexityAffinities.compute(neighbors: graph, perplexity: 10),
                                 embedding: a.embedding)
        #expect(abs(a.kl - exact) < 0.02 * exact, "estimate \(a.kl) exact \(exact)")
        // Other seeds give other (jittered) starts.
        options.seed = 1
        let c = try TSNE.embed(x, rows: 300, cols: 8, options: options)
        #expect(c.embedding != a.embedding)
    }

    @Test func interruptionKeepsCurrentEmbedding() throws {
        let (x, _) = EmbeddingFixtures.blobs(count: 200, clusters: 3, dims: 5, seed: 8)
        let stop = Interruption()
        let result = try TSNE.embed(x, rows: 200, cols: 5, options: Self.smallOptions(), interruption: stop) {
            if $0.iteration == 40 { stop.request() }
        }
        #expect(result.interrupted && result.iterations == 40)
        #expect(result.embedding.count == 400 && result.embedding.allSatisfy { $0.isFinite })
    }

    @Test func rejectsBadInput() {
        #expect(throws: TSNEError.self) { try TSNE.embed([1, 2, 3], rows: 2, cols: 2) }
        #expect(throws: TSNEError.tooFewPoints(3)) { try TSNE.embed([1, 2, 3], rows: 3, cols: 1) }
    }
}
