import Foundation

/// The gradient-based attribution methods of lecture 12 and their follow-ups.
public enum SaliencyMethod: String, Sendable, CaseIterable {
    /// Simonyan et al. (2014): max over channels of |∂score/∂x|.
    case vanilla
    /// Springenberg et al. (2015): gradients through rectifiers that pass only positive signal both ways.
    case guided
    /// Smilkov et al. (2017): the mean vanilla |gradient| over noisy copies of the input.
    case smoothgrad
    /// Sundararajan et al. (2017): path integral of gradients from a baseline (Riemann trapezoid rule).
    case integrated
}

/// Settings of the noisy and path methods; defaults follow the papers and Captum.
public struct SaliencyOptions: Sendable {
    /// SmoothGrad: number of noisy samples.
    public var samples: Int = 25
    /// SmoothGrad: noise standard deviation as a fraction of the input's range (max − min), 0.15 in the paper.
    public var noise: Float = 0.15
    /// Integrated gradients: number of points on the path.
    public var steps: Int = 50
    /// Integrated gradients: the baseline in the model's input space (zeros when nil).
    public var baseline: Tensor? = nil
    /// Seed for SmoothGrad's noise.
    public var seed: UInt64 = 0
    /// How many path points or noisy samples go through the network at once. 10 keeps what a batch frees at
    /// its end (≈ 220 MB for squeezenet at 224×224) within the freed heap the allocator keeps mapped
    /// (`TensorBuffer`), so batches reuse memory instead of faulting fresh pages in.
    public var batchSize: Int = 10
    public init() {}
}

/// An attribution for a batch: per-channel values as Captum returns them and the 2-D map that is drawn.
public struct Attribution: Sendable {
    /// `[N, C, H, W]`: Captum's `Saliency(abs)`, `GuidedBackprop`, `NoiseTunnel(Saliency)`,
    /// `IntegratedGradients(method="riemann_trapezoid")` outputs.
    public var attributions: Tensor
    /// `[N, H, W]`: what the figure shows (max over channels of |attribution|).
    public var map: Tensor
    /// The class explained in each row and its probability.
    public var targets: [Int]
    public var probabilities: [Float]
    /// `[N, K]` logits of the unmodified input.
    public var logits: Tensor
}

extension Model {
    /// Attribution of `targets` (default: top class per row) for a batch `[N, C, H, W]` in input space.
    /// Throws `Interrupted` between network evaluations when `interruption` is set.
    public func saliency(_ input: Tensor, target: Int? = nil, method: SaliencyMethod,
                         options: SaliencyOptions = SaliencyOptions(),
                         interruption: Interruption? = nil,
                         progress: ((Int, Int) -> Void)? = nil) throws -> Attribution {
        let attributions: Tensor, logits: Tensor, targets: [Int]
        switch method {
        case .vanilla, .guided:
            // One forward: the gradient's own pass gives the logits and the resolved targets.
            let result = try scoreGradient(input, target: target, rule: method == .guided ? .guided : .plain,
                                           interruption: interruption)
            attributions = method == .guided ? result.gradient : result.gradient.map(abs)
            (logits, targets) = (result.logits, result.targets)
        case .smoothgrad, .integrated:
            let pass = try graph.forward([self.input: input], fetch: [output], capture: [], interruption: interruption)
            guard let raw = pass.values[output] else { throw GraphError("model \(name) computed no output") }
            logits = Self.rows(raw)
            targets = try resolveTargets(target, logits: logits)
            // Every gradient below is of one logit: the classifier can compute just that one.
            let (reduced, reducedTargets) = self.reduced(toLogitOf: targets, shapes: pass.shapes)
            attributions = method == .smoothgrad
                ? try reduced.smoothGrad(input, targets: reducedTargets, options: options, interruption: interruption,
                                         progress: progress)
                : try reduced.integratedGradients(input, targets: reducedTargets, options: options,
                                                  interruption: interruption, progress: progress)
        }
        let probabilities = scores(of: logits, targets: targets, kind: .probability)
        return Attribution(attributions: attributions, map: maxAbsOverChannels(attributions), targets: targets,
                           probabilities: probabilities, logits: logits)
    }

    /// Mean of |∇| over `samples` noisy copies x + 𝒩(0, (noise·(max−min))²), per input row.
    func smoothGrad(_ input: Tensor, targets: [Int], options: SaliencyOptions, interruption: Interruption?,
                    progress: ((Int, Int) -> Void)?) throws -> Tensor {
        guard options.samples >= 1 else { throw ExperimentError("samples must be at least 1") }
        let n = input.shape[0]
        let rowShape = Array(input.shape.dropFirst())
        let rowCount = input.count / max(1, n)
        var generator = SeededGenerator(seed: options.seed)
        var total = Tensor.zeros(input.shape)
        for row in 0..<n {
            let x = try input.slice(axis: 0, row..<(row + 1))
            let sigma = options.noise * (x.max() - x.min())
            var done = 0
            while done < options.samples {
                let b = min(options.batchSize, options.samples - done)
                var batch = Tensor.zeros([b] + rowShape)
                batch.withUnsafeMutableBufferPointer { out in
                    x.withUnsafeBufferPointer { src in
                        for s in 0..<b { for i in 0..<rowCount { out[s * rowCount + i] = src[i] + sigma * generator.nextNormal() } }
                    }
                }
                let g = try scoreGradient(batch, targets: Array(repeating: targets[row], count: b),
                                          interruption: interruption).gradient
                total.withUnsafeMutableBufferPointer { t in
                    g.withUnsafeBufferPointer { gb in
                        for s in 0..<b { for i in 0..<rowCount { t[row * rowCount + i] += abs(gb[s * rowCount + i]) } }
                    }
                }
                done += b
                progress?(row * options.samples + done, n * options.samples)
            }
        }
        return total / Float(options.samples)
    }

    /// (x − x₀) · Σᵢ wᵢ ∇score(x₀ + αᵢ(x − x₀)) with Captum's `riemann_trapezoid` points and weights. When the
    /// model starts with an affine stem (`AffineStem`), the path is walked from the stem's output and the weighted
    /// sum of gradients is back-propagated through the stem once.
    func integratedGradients(_ input: Tensor, targets: [Int], options: SaliencyOptions, interruption: Interruption?,
                             progress: ((Int, Int) -> Void)?) throws -> Tensor {
        let m = options.steps
        guard m >= 2 else { throw ExperimentError("steps must be at least 2 for the trapezoid rule") }
        let n = input.shape[0]
        let rowCount = input.count / max(1, n)
        let baseline = options.baseline ?? Tensor.zeros(input.shape)
        guard baseline.count == input.count || baseline.count == rowCount else {
            throw ExperimentError("baseline has shape \(baseline.shape); the input is \(input.shape)")
        }
        let path = trapezoidRule(points: m)
        let stem = AffineStem(self)
        var result = Tensor.zeros(input.shape)
        for row in 0..<n {
            let x = try input.slice(axis: 0, row..<(row + 1))
            let x0 = baseline.count == rowCount ? baseline.reshaped(x.shape) : try baseline.slice(axis: 0, row..<(row + 1))
            let pathProgress: (Int) -> Void = { done in progress?(row * m + done, n * m) }
            let summed: Tensor
            if let stem {
                let ends = try stem.forward(try Tensor.concatenate([x0, x], axis: 0), interruption: interruption)
                let arriving = try stem.rest.weightedPathGradient(
                    from: try ends.slice(axis: 0, 0..<1), to: try ends.slice(axis: 0, 1..<2), target: targets[row],
                    path: path, batchSize: options.batchSize, interruption: interruption, progress: pathProgress)
                summed = try stem.inputGradient(arriving, at: x, interruption: interruption)
            } else {
                summed = try weightedPathGradient(from: x0, to: x, target: targets[row], path: path,
                                                  batchSize: options.batchSize, interruption: interruption,
                                                  progress: pathProgress)
            }
            result.withUnsafeMutableBufferPointer { r in
                x.withUnsafeBufferPointer { xs in
                    x0.withUnsafeBufferPointer { x0s in
                        summed.withUnsafeBufferPointer { g in
                            for i in 0..<rowCount { r[row * rowCount + i] = (xs[i] - x0s[i]) * g[i] }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Σᵢ wᵢ ∇score(start + αᵢ(end − start)) for one row `[1, …]` (the gradient with respect to the model's
    /// input), evaluated `batchSize` path points at a time; `progress` gets the number of points done.
    func weightedPathGradient(from start: Tensor, to end: Tensor, target: Int,
                              path: (alphas: [Float], weights: [Float]), batchSize: Int,
                              interruption: Interruption?, progress: (Int) -> Void) throws -> Tensor {
        let m = path.alphas.count
        let rowShape = Array(start.shape.dropFirst())
        let rowCount = start.count
        var accumulated = Tensor.zeros(start.shape)
        var done = 0
        while done < m {
            let b = min(batchSize, m - done)
            var batch = Tensor(uninitializedShape: [b] + rowShape)
            let alphas = Array(path.alphas[done..<(done + b)])
            batch.withUnsafeMutableBufferPointer { out in
                start.withUnsafeBufferPointer { x0 in
                    end.withUnsafeBufferPointer { x in
                        let (o, p0, p1) = (out.baseAddress!, x0.baseAddress!, x.baseAddress!)
                        // Element-wise, split between the cores (the same bytes on any number of them).
                        BatchParallel.split(rowCount, grain: elementwiseGrain) { range in
                            for s in 0..<b {
                                let a = alphas[s]
                                let row = o + s * rowCount
                                for i in range { row[i] = p0[i] + a * (p1[i] - p0[i]) }
                            }
                        }
                    }
                }
            }
            let g = try scoreGradient(batch, targets: Array(repeating: target, count: b),
                                      interruption: interruption).gradient
            let weights = Array(path.weights[done..<(done + b)])
            accumulated.withUnsafeMutableBufferPointer { acc in
                g.withUnsafeBufferPointer { gb in
                    let (sum, rows) = (acc.baseAddress!, gb.baseAddress!)
                    // Each element still adds the points in order s = 0, 1, …: the same sums as one loop.
                    BatchParallel.split(rowCount, grain: elementwiseGrain) { range in
                        for s in 0..<b {
                            let w = weights[s]
                            let row = rows + s * rowCount
                            for i in range { sum[i] += w * row[i] }
                        }
                    }
                }
            }
            done += b
            progress(done)
        }
        return accumulated
    }
}

/// Captum's riemann_trapezoid exactly: α = linspace(0, 1, m) and step sizes 1/m halved at both ends
/// (Captum's steps sum to (m − ½·2)/m, not 1; we match its numbers rather than "fix" them).
func trapezoidRule(points m: Int) -> (alphas: [Float], weights: [Float]) {
    let alphas = (0..<m).map { Float(Double($0) / Double(m - 1)) }
    let step = 1 / Float(m)
    let weights = (0..<m).map { i in (i == 0 || i == m - 1) ? step / 2 : step }
    return (alphas, weights)
}

/// `[N, C, H, W]` → `[N, H, W]`: the largest |value| over channels (Simonyan et al.'s map).
public func maxAbsOverChannels(_ t: Tensor) -> Tensor {
    guard t.rank == 4 else { return t.map(abs) }
    let (n, c, h, w) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
    var out = Tensor.zeros([n, h, w])
    out.withUnsafeMutableBufferPointer { o in
        t.withUnsafeBufferPointer { x in
            for b in 0..<n {
                for ch in 0..<c {
                    let base = (b * c + ch) * h * w
                    for i in 0..<(h * w) { o[b * h * w + i] = max(o[b * h * w + i], abs(x[base + i])) }
                }
            }
        }
    }
    return out
}
