import Foundation
import Testing
import Engine

@Suite struct EmbeddingGradientTests {
    static func affinities(count: Int, dims: Int, perplexity: Double, seed: UInt64) throws -> SparseAffinities {
        let (x, _) = EmbeddingFixtures.blobs(count: count, clusters: 5, dims: dims, seed: seed, separation: 4)
        let k = min(count - 1, Int(3 * perplexity))
        let graph = try NearestNeighbors.exact(x, rows: count, cols: dims, k: k)
        return PerplexityAffinities.compute(neighbors: graph, perplexity: perplexity)
    }

    @Test func affinitiesAreSymmetricAndNormalised() throws {
        let p = try Self.affinities(count: 200, dims: 5, perplexity: 10, seed: 1)
        var total = 0.0
        var entries = [Int: Double]()
        for i in 0..<p.count {
            for e in p.rowStart[i]..<p.rowStart[i + 1] {
                total += p.values[e]
                entries[i * p.count + Int(p.columns[e])] = p.values[e]
                #expect(Int(p.columns[e]) != i)
            }
        }
        #expect(abs(total - 1) < 1e-12)
        for (key, v) in entries { #expect(abs((entries[(key % p.count) * p.count + key / p.count] ?? -1) - v) < 1e-15) }
    }

    @Test(arguments: [1.0, 0.6])
    func exactGradientMatchesFiniteDifferences(dof: Double) throws {
        let n = 30
        let p = try Self.affinities(count: n, dims: 3, perplexity: 5, seed: 2)
        var rng = EmbeddingTestRNG(9)
        let y = (0..<(2 * n)).map { _ in rng.gaussian() }
        let (g, _) = TSNE.gradient(affinities: p, embedding: y, method: .exact, dof: dof)
        let h = 1e-5
        var worst = 0.0, scale = 0.0
        for t in 0..<(2 * n) {
            var plus = y, minus = y
            plus[t] += h; minus[t] -= h
            let fd = (TSNE.exactKL(affinities: p, embedding: plus, dof: dof)
                - TSNE.exactKL(affinities: p, embedding: minus, dof: dof)) / (2 * h)
            worst = max(worst, abs(fd - 4 * g[t]))  // openTSNE's gradient omits the factor 4
            scale = max(scale, abs(fd))
        }
        #expect(scale > 1e-3)
        #expect(worst <= 1e-5 * max(1, scale))
    }

    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        var num = 0.0, den = 0.0
        for t in 0..<a.count { num += (a[t] - b[t]) * (a[t] - b[t]); den += b[t] * b[t] }
        return (num / den).squareRoot()
    }

    /// A spread-out 2-D state like mid-optimisation: clusters of different sizes over a ±30 range.
    static func spreadEmbedding(count: Int, seed: UInt64) -> [Double] {
        var rng = EmbeddingTestRNG(seed)
        let centres = (0..<8).map { _ in (20 * rng.gaussian(), 20 * rng.gaussian()) }
        var y = [Double]()
        for i in 0..<count {
            let c = centres[i % 8], s = 1 + Double(i % 8) / 2
            y.append(c.0 + s * rng.gaussian()); y.append(c.1 + s * rng.gaussian())
        }
        return y
    }

    /// Relative error ‖g̃ − g‖/‖g‖ of the full gradient on N = 2,000 spread-out states. At openTSNE's settings
    /// (θ = 0.5; 3 interpolation points, 1 box per unit) both stay under 2.5 %; with tighter settings
    /// (θ = 0.25; half-unit boxes) both are within 1 %, showing they converge to the exact gradient.
    @Test(arguments: [TSNEGradientMethod.barnesHut, .fft])
    func approximateGradientsMatchExact(method: TSNEGradientMethod) throws {
        let n = 2_000
        let p = try Self.affinities(count: n, dims: 10, perplexity: 30, seed: 4)
        for (seed, dof, scale) in [(UInt64(11), 1.0, 1.0), (12, 1.0, 0.5), (13, 0.7, 1.0)] {
            let y = Self.spreadEmbedding(count: n, seed: seed).map { $0 * scale }
            let (exact, _) = TSNE.gradient(affinities: p, embedding: y, method: .exact, dof: dof)
            let (approx, _) = TSNE.gradient(affinities: p, embedding: y, method: method, dof: dof)
            let (tight, _) = TSNE.gradient(affinities: p, embedding: y, method: method, dof: dof, theta: 0.25,
                                           intsInInterval: 0.5)
            let err = Self.relativeError(approx, exact), tightErr = Self.relativeError(tight, exact)
            #expect(err < 0.025, "\(method) dof \(dof) scale \(scale): relative error \(err)")
            #expect(tightErr < 0.01, "\(method) dof \(dof) scale \(scale), tight: relative error \(tightErr)")
            #expect(tightErr < err)
        }
    }

    @Test(arguments: [TSNEGradientMethod.barnesHut, .fft])
    func klEstimateMatchesExactEvaluator(method: TSNEGradientMethod) throws {
        let n = 1_000
        let p = try Self.affinities(count: n, dims: 10, perplexity: 30, seed: 6)
        let y = Self.spreadEmbedding(count: n, seed: 21)
        let (_, estimate) = TSNE.gradient(affinities: p, embedding: y, method: method, evaluateKL: true)
        let exact = TSNE.exactKL(affinities: p, embedding: y)
        #expect(abs(estimate - exact) < 0.01 * exact, "estimate \(estimate) vs exact \(exact)")
    }
}
