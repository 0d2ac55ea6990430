import Foundation

/// How the repulsive (normalisation) half of the t-SNE gradient is computed.
public enum TSNEGradientMethod: String, Sendable, CaseIterable {
    /// At each iteration, whichever of Barnes–Hut and FFT interpolation is estimated cheaper for the current
    /// extent: the FFT's cost grows with the area of the embedding (its grid), BH's with N log N. In practice
    /// FFT while the embedding is compact (early exaggeration of large N), BH once it has spread out. Both are
    /// within 1 % of the exact gradient at their default settings, so switching does not change the result's
    /// quality. (openTSNE switches once, by N, at 10,000.)
    case auto
    case barnesHut
    case fft
    /// O(N²); for tests and tiny inputs.
    case exact
}

public enum TSNEInitialization: Sendable {
    /// First two principal components, jittered (σ = 0.01·std) and scaled to std 1e-4 (openTSNE).
    case pca
    /// Isotropic Gaussian with std 1e-4.
    case random
    /// Given N×2 row-major positions, used as they are.
    case given([Float])
}

/// t-SNE settings; the defaults are openTSNE 1.0's.
public struct TSNEOptions: Sendable {
    public var perplexity = 30.0
    public var earlyExaggerationIterations = 250
    public var earlyExaggeration = 12.0
    /// Iterations of the normal phase (after early exaggeration).
    public var iterations = 500
    public var exaggeration = 1.0
    /// nil = "auto": N / exaggeration of the current phase.
    public var learningRate: Double? = nil
    public var initialMomentum = 0.8
    public var finalMomentum = 0.8
    public var minGain = 0.01
    public var maxGradientNorm: Double? = nil
    public var maxStepNorm: Double? = 5
    /// Degrees of freedom α of the Student-t output kernel (1 = Cauchy; < 1 = heavier tails).
    public var dof = 1.0
    /// Barnes–Hut opening angle. 0.8, not openTSNE's 0.5: with quadrupoles and grouped traversal the forces
    /// stay within 0.5 % of the exact ones on the N = 2,000 Fashion states (openTSNE's θ = 0.5: 0.7–1.4 %) at
    /// a third of the cost of θ = 0.5 (bench/tsne/README.md, session 3).
    public var theta = 0.8
    public var method: TSNEGradientMethod = .auto
    /// FFT interpolation nodes per box and axis: 5, not openTSNE's 3, for repulsive forces within 1 % of the
    /// exact ones on converged embeddings (3 gives 3.5 %, 4 gives 1.1 %, 5 gives 0.35 %; bench/tsne/README.md).
    public var interpolationPoints = 5
    /// FFT boxes per axis at least (openTSNE: 50). 20 keeps the error below 1e-5 after early exaggeration on the
    /// N = 2,000 Fashion state (as 50 does) with a 6× smaller FFT during early exaggeration.
    public var minIntervals = 20
    public var intsInInterval = 1.0
    public var initialization: TSNEInitialization = .pca
    public var seed: UInt64 = 0
    /// The progress callback fires every this many iterations (and at the last), with a KL estimate.
    public var progressInterval = 10

    public init() {}
}

public struct TSNEProgress: Sendable {
    /// Iterations done so far (1-based), out of `total`.
    public var iteration: Int
    public var total: Int
    /// openTSNE's cheap KL estimate at this iteration (corrected for exaggeration).
    public var kl: Double
    /// Current N×2 embedding, row-major.
    public var embedding: [Float]
}

public struct TSNEResult: Sendable {
    /// N×2, row-major.
    public var embedding: [Float]
    /// KL estimate at the last iteration (openTSNE's estimate, not the exact evaluator).
    public var kl: Double
    public var iterations: Int
    /// True when stopped early by the interruption flag; `embedding` is then the current state.
    public var interrupted: Bool
    /// The method used for the repulsive forces (for `.auto`, the one chosen at the last iteration).
    public var method: TSNEGradientMethod
}

public enum TSNEError: Error, Equatable, Sendable {
    case badShape(String)
    case tooFewPoints(Int)
    case badParameter(String)
}

public enum TSNE {
    /// Embeds the rows of x (row-major rows×cols) in 2-D: exact 3·perplexity neighbours → perplexity-calibrated
    /// symmetric P → gradient descent from the chosen initialisation.
    /// - Throws: `TSNEError` for bad shapes/parameters, `Interrupted` if stopped before optimisation starts.
    public static func embed(
        _ x: [Float], rows: Int, cols: Int, options: TSNEOptions = TSNEOptions(),
        interruption: Interruption? = nil, progress: ((TSNEProgress) -> Void)? = nil
    ) throws -> TSNEResult {
        guard rows > 0, cols > 0, x.count == rows * cols else {
            throw TSNEError.badShape("\(x.count) values for \(rows)×\(cols)")
        }
        guard rows >= 4 else { throw TSNEError.tooFewPoints(rows) }
        guard options.perplexity > 0, x.allSatisfy({ $0.isFinite }) else {
            throw TSNEError.badParameter("perplexity must be > 0 and the input finite")
        }
        let k = min(rows - 1, Int(3 * options.perplexity))
        let graph = try NearestNeighbors.exact(x, rows: rows, cols: cols, k: max(1, k), interruption: interruption)
        let p = try PerplexityAffinities.compute(neighbors: graph, perplexity: min(options.perplexity, Double(k)),
                                                 interruption: interruption)
        let initial = try initialEmbedding(x, rows: rows, cols: cols, options: options)
        try interruption?.check()
        return optimize(affinities: p, initial: initial, options: options, interruption: interruption,
                        progress: progress)
    }

    static func initialEmbedding(_ x: [Float], rows: Int, cols: Int, options: TSNEOptions) throws -> [Double] {
        var rng = SeededGenerator.embedding(seed: options.seed)
        switch options.initialization {
        case .given(let y):
            guard y.count == 2 * rows else { throw TSNEError.badShape("initial embedding has \(y.count) values, need \(2 * rows)") }
            return y.map(Double.init)
        case .random:
            return rng.gaussians(2 * rows).map { 1e-4 * $0 }
        case .pca:
            var y: [Double]
            if cols >= 2 {
                y = try PCA.fit(x, rows: rows, cols: cols, dimensions: 2).projected.map(Double.init)
            } else {
                y = (0..<rows).flatMap { [Double(x[$0]), 0] }
            }
            let sd0 = standardDeviation(y, column: 0)
            let jitter = 0.01 * (sd0 > 0 ? sd0 : 1)
            let noise = rng.gaussians(y.count)
            for t in 0..<y.count { y[t] += jitter * noise[t] }
            let sd = standardDeviation(y, column: 0)
            let scale = sd > 0 ? 1e-4 / sd : 1
            return y.map { $0 * scale }
        }
    }

    static func standardDeviation(_ y: [Double], column: Int) -> Double {
        let n = y.count / 2
        var mean = 0.0
        for i in 0..<n { mean += y[2 * i + column] }
        mean /= Double(n)
        var v = 0.0
        for i in 0..<n { let d = y[2 * i + column] - mean; v += d * d }
        return (v / Double(n)).squareRoot()
    }

    /// The method `.auto` uses for n points spanning `extent` (the wider axis): FFT when its estimated cost
    /// is below Barnes–Hut's, c·n·log₂n ms with c fitted like `FFTInterpolation.estimatedCost` (tree build +
    /// grouped traversal at θ = 0.8: 58 CPU-ms at n = 70,000 whatever the extent).
    static func autoMethod(count n: Int, extent: Double, fft: FFTInterpolation) -> TSNEGradientMethod {
        let bh = 5e-5 * Double(n) * log2(Double(max(n, 2)))
        return fft.estimatedCost(count: n, extent: extent) < bh ? .fft : .barnesHut
    }

    static func extent(_ y: [Double]) -> Double {
        var lo = Double.infinity, hi = -Double.infinity
        for v in y { lo = min(lo, v); hi = max(hi, v) }
        return hi > lo ? hi - lo : 0
    }

    /// openTSNE's gradient (factor 4 dropped) of KL(P‖Q) with P scaled by `exaggeration`, and optionally its
    /// KL estimate (Σ p log(p/w) + log Z, corrected for exaggeration). embedding is N×2 row-major.
    public static func gradient(
        affinities p: SparseAffinities, embedding y: [Double], method: TSNEGradientMethod = .auto,
        exaggeration: Double = 1, dof: Double = 1, theta: Double = 0.8, evaluateKL: Bool = false,
        interpolationPoints: Int = 5, minIntervals: Int = 20, intsInInterval: Double = 1
    ) -> (gradient: [Double], kl: Double) {
        gradient(affinities: p, embedding: y, method: method, exaggeration: exaggeration, dof: dof, theta: theta,
                 evaluateKL: evaluateKL, interpolationPoints: interpolationPoints, minIntervals: minIntervals,
                 intsInInterval: intsInInterval, workspace: nil)
    }

    /// As above; `workspace` (an FFT interpolation kept across iterations) reuses the FFT plan and the kernel
    /// spectrum; its own settings then replace the interpolation arguments.
    static func gradient(
        affinities p: SparseAffinities, embedding y: [Double], method: TSNEGradientMethod, exaggeration: Double,
        dof: Double, theta: Double, evaluateKL: Bool, interpolationPoints: Int, minIntervals: Int,
        intsInInterval: Double, workspace: FFTInterpolation?
    ) -> (gradient: [Double], kl: Double) {
        let kernel = TSNEKernel(dof: dof)
        let rep: RepulsiveForces
        let fft = workspace ?? FFTInterpolation(interpolationPoints: interpolationPoints, minIntervals: minIntervals,
                                                intsInInterval: intsInInterval)
        let resolved = method == .auto ? autoMethod(count: p.count, extent: extent(y), fft: fft) : method
        switch resolved {
        case .barnesHut: rep = QuadTree(y).repulsive(theta: theta, kernel: kernel)
        case .fft: rep = fft.repulsive(y, kernel: kernel)
        default: rep = TSNEGradient.exactRepulsive(y, kernel: kernel)
        }
        let z = rep.z + Double.ulpOfOne
        var g = rep.forces.map { -$0 / z }
        let klSum = y.withUnsafeBufferPointer { yp in
            g.withUnsafeMutableBufferPointer { gp in
                TSNEGradient.addAttractive(p: p, embedding: yp.baseAddress!, kernel: kernel, scale: exaggeration,
                                           gradient: gp.baseAddress!, evaluateKL: evaluateKL)
            }
        }
        var kl = 0.0
        if evaluateKL {
            kl = (klSum + exaggeration * log(z)) / exaggeration - log(exaggeration)
        }
        return (g, kl)
    }

    /// Gradient descent with momentum and delta-bar-delta gains, openTSNE's two phases (early exaggeration,
    /// then normal), per-point step clipping, and re-centring after each step. Polls `interruption` every
    /// iteration; on interrupt returns the current embedding with `interrupted = true`.
    public static func optimize(
        affinities p: SparseAffinities, initial: [Double], options: TSNEOptions,
        interruption: Interruption? = nil, progress: ((TSNEProgress) -> Void)? = nil
    ) -> TSNEResult {
        let n = p.count
        var y = initial
        var update = [Double](repeating: 0, count: 2 * n)
        var gains = [Double](repeating: 1, count: 2 * n)
        var method = options.method
        let total = options.earlyExaggerationIterations + options.iterations
        let workspace = FFTInterpolation(interpolationPoints: options.interpolationPoints,
                                         minIntervals: options.minIntervals, intsInInterval: options.intsInInterval)
        var kl = Double.nan
        var done = 0
        var interrupted = false
        for iteration in 0..<total {
            if interruption?.isRequested == true { interrupted = true; break }
            let early = iteration < options.earlyExaggerationIterations
            let exaggeration = early ? options.earlyExaggeration : options.exaggeration
            let rate = options.learningRate ?? Double(n) / exaggeration
            let momentum = early ? options.initialMomentum : options.finalMomentum
            let report = progress != nil
                && ((iteration + 1) % max(1, options.progressInterval) == 0 || iteration + 1 == total)
            let evaluate = report || iteration + 1 == total
            if options.method == .auto { method = autoMethod(count: n, extent: extent(y), fft: workspace) }
            var (g, estimate) = gradient(
                affinities: p, embedding: y, method: method, exaggeration: exaggeration, dof: options.dof,
                theta: options.theta, evaluateKL: evaluate, interpolationPoints: options.interpolationPoints,
                minIntervals: options.minIntervals, intsInInterval: options.intsInInterval, workspace: workspace)
            if evaluate { kl = estimate }
            if let maxNorm = options.maxGradientNorm {
                for i in 0..<n {
                    let norm = (g[2 * i] * g[2 * i] + g[2 * i + 1] * g[2 * i + 1]).squareRoot()
                    let c = maxNorm / (norm + 1e-6)
                    if c < 1 { g[2 * i] *= c; g[2 * i + 1] *= c }
                }
            }
            step(y: &y, update: &update, gains: &gains, gradient: g, momentum: momentum, rate: rate,
                 minGain: options.minGain, maxStep: options.maxStepNorm)
            done = iteration + 1
            if report, let progress {
                progress(TSNEProgress(iteration: done, total: total, kl: kl, embedding: y.map(Float.init)))
            }
        }
        return TSNEResult(embedding: y.map(Float.init), kl: kl, iterations: done, interrupted: interrupted,
                          method: method)
    }

    @inline(__always) static func sign(_ v: Double) -> Int { v > 0 ? 1 : (v < 0 ? -1 : 0) }

    /// One descent step on all points, in fixed chunks on both cores: delta-bar-delta gains, momentum update,
    /// per-point step clipping, then re-centring (the mean summed per chunk, combined in chunk order).
    static func step(y: inout [Double], update: inout [Double], gains: inout [Double], gradient g: [Double],
                     momentum: Double, rate: Double, minGain: Double, maxStep: Double?) {
        let n = y.count / 2
        let sums = y.withUnsafeMutableBufferPointer { yb in
            update.withUnsafeMutableBufferPointer { ub in
                gains.withUnsafeMutableBufferPointer { gb in
                    g.withUnsafeBufferPointer { gp in
                        let y = yb.baseAddress!, update = ub.baseAddress!, gains = gb.baseAddress!, g = gp.baseAddress!
                        return EmbeddingParallel.mapChunks(count: n) { range -> (Double, Double) in
                            var mx = 0.0, my = 0.0
                            for i in range {
                                for t in (2 * i)..<(2 * i + 2) {
                                    let flipped = sign(update[t]) != sign(g[t])
                                    gains[t] = flipped ? gains[t] + 0.2 : gains[t] * 0.8 + minGain
                                    update[t] = momentum * update[t] - rate * gains[t] * g[t]
                                }
                                if let maxStep {
                                    let norm = (update[2 * i] * update[2 * i] + update[2 * i + 1] * update[2 * i + 1]).squareRoot()
                                    if norm > maxStep { update[2 * i] *= maxStep / norm; update[2 * i + 1] *= maxStep / norm }
                                }
                                y[2 * i] += update[2 * i]; y[2 * i + 1] += update[2 * i + 1]
                                mx += y[2 * i]; my += y[2 * i + 1]
                            }
                            return (mx, my)
                        }
                    }
                }
            }
        }
        var mx = 0.0, my = 0.0
        for (sx, sy) in sums { mx += sx; my += sy }
        mx /= Double(n); my /= Double(n)
        y.withUnsafeMutableBufferPointer { yb in
            let y = yb.baseAddress!
            EmbeddingParallel.forEachChunk(count: n) { range in
                for i in range { y[2 * i] -= mx; y[2 * i + 1] -= my }
            }
        }
    }

    /// Exact KL(P‖Q) over all pairs (O(N²), parallel): Q_ij = w_ij / Σ_{k≠l} w_kl. embedding N×2 row-major.
    public static func exactKL(affinities p: SparseAffinities, embedding: [Float], dof: Double = 1) -> Double {
        exactKL(affinities: p, embedding: embedding.map(Double.init), dof: dof)
    }

    /// Exact KL(P‖Q) for an N×2 Double embedding (for finite differences).
    public static func exactKL(affinities p: SparseAffinities, embedding y: [Double], dof: Double = 1) -> Double {
        let kernel = TSNEKernel(dof: dof)
        let n = p.count
        let zs = y.withUnsafeBufferPointer { yp in
            EmbeddingParallel.mapChunks(count: n) { range -> Double in
                var z = 0.0
                for i in range {
                    for j in 0..<n where j != i {
                        let dx = yp[2 * i] - yp[2 * j], dy = yp[2 * i + 1] - yp[2 * j + 1]
                        z += kernel.w(dx * dx + dy * dy)
                    }
                }
                return z
            }
        }
        let z = zs.reduce(0, +)
        var kl = 0.0
        for i in 0..<n {
            for e in p.rowStart[i]..<p.rowStart[i + 1] {
                let j = Int(p.columns[e]), v = p.values[e]
                guard v > 0 else { continue }
                let dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1]
                kl += v * log(v / (kernel.w(dx * dx + dy * dy) / z))
            }
        }
        return kl
    }
}
