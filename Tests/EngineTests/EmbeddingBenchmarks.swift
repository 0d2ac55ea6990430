import Foundation
import Testing
import Engine

/// bench/tsne, Swift side: FOVEA_BENCH=1 swift test -c release --filter EmbeddingBenchmarks.
/// Prints timings and quality; the openTSNE/scipy side is bench/tsne/reference.py.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["FOVEA_BENCH"] == "1"))
struct EmbeddingBenchmarks {
    static func time<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
        let start = Date()
        let value = try body()
        print(String(format: "BENCH %@: %.3f s", label, Date().timeIntervalSince(start)))
        return value
    }

    @Test func pcaAndNeighborsAt70k() throws {
        let (pixels, _) = try EmbeddingFashionData.load(count: 70_000)
        let pca = try Self.time("PCA 70000x784 -> 50") { try PCA.fit(pixels, rows: 70_000, cols: 784, dimensions: 50) }
        _ = try Self.time("exact 90-NN of 70000x50") { try NearestNeighbors.exact(pca.projected, rows: 70_000, cols: 50, k: 90) }
    }

    @Test(arguments: [10_000, 70_000])
    func tsneFashion(count: Int) throws {
        let (pixels, labels) = try EmbeddingFashionData.load(count: count)
        let x = try PCA.fit(pixels, rows: count, cols: 784, dimensions: 50).projected
        let methods: [TSNEGradientMethod] = count == 10_000 ? [.auto, .fft, .barnesHut] : [.auto]
        let graph = try NearestNeighbors.exact(x, rows: count, cols: 50, k: 90)
        let p = PerplexityAffinities.compute(neighbors: graph, perplexity: 30)
        for method in methods {
            var options = TSNEOptions()
            options.method = method
            let result = try Self.time("t-SNE \(count) \(method)") { try TSNE.embed(x, rows: count, cols: 50, options: options) }
            let kl = TSNE.exactKL(affinities: p, embedding: result.embedding)
            let acc = EmbeddingQuality.knnAccuracy(result.embedding, rows: count, cols: 2, labels: labels)
            print("BENCH t-SNE \(count) \(result.method): exact KL \(kl), 5-NN accuracy \(acc), estimate \(result.kl)")
        }
    }

    @Test func gridAssignment() throws {
        let ref = try EmbeddingFixtures.json("embedding_lap1024.json")
        let points = (ref["points"] as! [[Double]]).flatMap { $0 }
        for (n, side, pts) in [(1024, 32, points), (2025, 45, Self.random(2025, side: 45))] {
            var cost = [Double](repeating: 0, count: n * n)
            for i in 0..<n {
                for c in 0..<n {
                    let dx = pts[2 * i] - (Double(c % side) + 0.5), dy = pts[2 * i + 1] - (Double(c / side) + 0.5)
                    cost[i * n + c] = dx * dx + dy * dy
                }
            }
            let (_, total) = try Self.time("JV assignment \(n)") { try LinearAssignment.solve(cost: cost, rows: n, cols: n) }
            print("BENCH JV \(n) cost \(total)")
        }
        var rng = EmbeddingTestRNG(5)
        let big = (0..<(2 * 10_000)).map { _ in Float(rng.gaussian()) }
        let g = try Self.time("grid split 10000") { try GridLayout.assign(points: big, cols: 100) }
        print("BENCH grid 10000 split: cost \(g.cost), lower bound \(g.lowerBound), ratio \(g.ratio)")
    }

    /// The same 2,025 points as bench/tsne/reference.py (numpy default_rng(8) uniform on [0, 45)²) are not
    /// reproducible in Swift, so both sides use this closed-form quasi-random set instead.
    static func random(_ n: Int, side: Int) -> [Double] {
        (0..<n).flatMap { i -> [Double] in
            let a = Double(i) * 0.6180339887498949, b = Double(i) * 0.7548776662466927
            return [(a - a.rounded(.down)) * Double(side), (b - b.rounded(.down)) * Double(side)]
        }
    }
}
