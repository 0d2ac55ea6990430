import Foundation
import Testing
import Engine

/// The issue's acceptance check at N = 10,000 against openTSNE's committed figures
/// (tools/oracle/embedding/reference_10000.json, made by tsne_reference.py). Slow: FOVEA_SLOW_TESTS=1,
/// run in release mode (`swift test -c release --filter EmbeddingFashionQualityTests`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["FOVEA_SLOW_TESTS"] == "1"))
struct EmbeddingFashionQualityTests {
    @Test(arguments: [TSNEGradientMethod.fft, .barnesHut])
    func tenThousandMatchesOpenTSNE(method: TSNEGradientMethod) throws {
        let reference = try EmbeddingFixtures.json("reference_10000.json", in: EmbeddingFixtures.oracleDirectory)
        let ref = reference[method == .fft ? "fft" : "bh"] as! [String: Any]
        let (pixels, labels) = try EmbeddingFashionData.load(count: 10_000)
        let n = 10_000
        let x = try PCA.fit(pixels, rows: n, cols: 784, dimensions: 50).projected
        var options = TSNEOptions()
        options.method = method
        options.seed = 0
        let start = Date()
        let result = try TSNE.embed(x, rows: n, cols: 50, options: options)
        let seconds = Date().timeIntervalSince(start)
        let graph = try NearestNeighbors.exact(x, rows: n, cols: 50, k: 90)
        let p = PerplexityAffinities.compute(neighbors: graph, perplexity: 30)
        let kl = TSNE.exactKL(affinities: p, embedding: result.embedding)
        let accuracy = EmbeddingQuality.knnAccuracy(result.embedding, rows: n, cols: 2, labels: labels)
        let high10 = try NearestNeighbors.exact(x, rows: n, cols: 50, k: 10)
        let low10 = try NearestNeighbors.exact(result.embedding, rows: n, cols: 2, k: 10)
        let preservation = EmbeddingQuality.neighborPreservation(high: high10, low: low10)
        let trust = EmbeddingQuality.trustworthiness(high: x, rows: n, cols: 50, highNeighbors: high10, lowNeighbors: low10)
        print("fashion10k \(result.method): \(String(format: "%.2f", seconds)) s, KL exact \(kl) (openTSNE \(ref["kl_exact"]!)), 5-NN acc \(accuracy) (\(ref["knn5_accuracy"]!)), 10-NN pres \(preservation) (\(ref["knn10_preservation"]!)), trust \(trust) (\(ref["trustworthiness10"]!)), KL estimate \(result.kl)")
        #expect(accuracy >= (ref["knn5_accuracy"] as! Double) - 0.01)
        #expect(kl <= (ref["kl_exact"] as! Double) * 1.03)
        #expect(preservation >= (ref["knn10_preservation"] as! Double) - 0.02)
        #expect(trust >= 0.99)
    }
}
