/// The line search `LBFGS` runs along each direction.
public enum LineSearch: String, Sendable, CaseIterable {
    /// A fixed step (`lr`, after a first step of `min(1, 1/‖g‖₁)·lr`): PyTorch's default and neural-style's.
    case none
    /// Bracketing plus cubic-interpolation zoom until the strong Wolfe conditions hold (c₁ 1e-4, c₂ 0.9).
    case strongWolfe = "strong_wolfe"
}

/// `torch.optim.LBFGS`, step for step, over one flat parameter tensor.
///
/// One `step` runs up to `maxIterations` quasi-Newton iterations (neural-style calls it once with
/// `max_iter = num_iterations`); each iteration evaluates `closure` once without line search, or as often as
/// the line search needs (at most `maxEvaluations` in total). The two-loop recursion keeps the last
/// `historySize` curvature pairs (s, y) that satisfy yᵀs > 1e-10 and scales the initial inverse Hessian by
/// yᵀs / yᵀy. State (history, last direction and step) carries over to the next `step`, as in PyTorch.
///
/// Scalars follow PyTorch's types so decisions (curvature test, step length, stopping rules) come out the
/// same: what PyTorch holds in 0-d float32 tensors (dot products, `ro`, `H_diag`, the first step length) is
/// Float here, what it holds in Python floats (the loss, `lr`) is Double.
public struct LBFGS: Sendable {
    public var learningRate: Double
    public var maxIterations: Int
    /// At most this many closure evaluations per `step` (PyTorch's default: `maxIterations · 5 / 4`).
    public var maxEvaluations: Int
    /// Stop when max |g| falls to this (neural-style: −1, never).
    public var toleranceGradient: Double
    /// Stop when the step or the loss change falls below this (neural-style: −1, never).
    public var toleranceChange: Double
    public var historySize: Int
    public var lineSearch: LineSearch

    /// Iterations run over all steps (PyTorch's `state["n_iter"]`) and closure evaluations (`func_evals`).
    public private(set) var iterations = 0
    public private(set) var evaluations = 0
    private var direction: Tensor?
    private var stepLength: Double = 0
    private var oldDirections: [Tensor] = []  // y = g_{k+1} − g_k
    private var oldSteps: [Tensor] = []  // s = t·d
    private var inverseCurvatures: [Float] = []  // ρ = 1 / yᵀs
    private var hessianDiagonal: Float = 1
    private var previousGradient: Tensor?

    public init(learningRate: Double = 1, maxIterations: Int = 20, maxEvaluations: Int? = nil,
                toleranceGradient: Double = 1e-7, toleranceChange: Double = 1e-9, historySize: Int = 100,
                lineSearch: LineSearch = .none) {
        precondition(maxIterations >= 1 && historySize >= 1, "LBFGS needs maxIterations ≥ 1 and historySize ≥ 1")
        self.learningRate = learningRate
        self.maxIterations = maxIterations
        self.maxEvaluations = maxEvaluations ?? maxIterations * 5 / 4
        self.toleranceGradient = toleranceGradient
        self.toleranceChange = toleranceChange
        self.historySize = historySize
        self.lineSearch = lineSearch
    }

    /// The loss and its gradient (same shape as the parameter) at a point.
    public typealias Objective = (Tensor) throws -> (loss: Float, gradient: Tensor)

    /// One `LBFGS.step(closure)`: updates `x` in place and returns the loss at the starting point. Errors
    /// thrown by `objective` (e.g. `Interrupted`) propagate; `x` then holds the last accepted iterate.
    @discardableResult
    public mutating func step(_ x: inout Tensor, objective: Objective) throws -> Float {
        let first = try objective(x)
        var loss = Double(first.loss)
        var gradient = first.gradient
        var currentEvaluations = 1
        evaluations += 1
        if Double(gradient.maxAbs) <= toleranceGradient { return first.loss }

        var d = direction ?? gradient
        var t = stepLength
        var n = 0
        while n < maxIterations {
            n += 1
            iterations += 1
            if iterations == 1 {
                d = -gradient
                oldDirections = []
                oldSteps = []
                inverseCurvatures = []
                hessianDiagonal = 1
            } else {
                d = twoLoopDirection(gradient, d: d, t: t)
            }
            previousGradient = gradient
            let previousLoss = loss

            if iterations == 1 {
                let inverse = 1 / gradient.absSum
                t = inverse < 1 ? Double(Float(Double(inverse) * learningRate)) : learningRate
            } else {
                t = learningRate
            }
            let gtd = gradient.dot(d)
            if Double(gtd) > -toleranceChange { break }

            var lineEvaluations = 0
            var optimal = false
            switch lineSearch {
            case .strongWolfe:
                let start = x
                var search = StrongWolfe(x: start, d: d)
                let found = try search.run(objective, t: t, f: loss, g: gradient, gtd: gtd,
                                           maxSearches: maxEvaluations - currentEvaluations,
                                           toleranceChange: toleranceChange)
                (loss, gradient, t, lineEvaluations) = (found.f, found.g, found.t, found.evaluations)
                x = start.movedAlong(d, by: t)
                optimal = Double(gradient.maxAbs) <= toleranceGradient
            case .none:
                x = x.movedAlong(d, by: t)
                if n != maxIterations {
                    let next = try objective(x)
                    (loss, gradient) = (Double(next.loss), next.gradient)
                    optimal = Double(gradient.maxAbs) <= toleranceGradient
                    lineEvaluations = 1
                }
            }
            currentEvaluations += lineEvaluations
            evaluations += lineEvaluations

            if n == maxIterations || currentEvaluations >= maxEvaluations || optimal { break }
            if Double(d.maxAbs * Float(t)) <= toleranceChange { break }
            if abs(loss - previousLoss) < toleranceChange { break }
        }
        direction = d
        stepLength = t
        return first.loss
    }

    /// Updates the curvature history with (s, y) = (t·d, g − g_prev) when yᵀs > 1e-10, then returns
    /// −H·g by the two-loop recursion (PyTorch's single-buffer form).
    private mutating func twoLoopDirection(_ gradient: Tensor, d: Tensor, t: Double) -> Tensor {
        guard let previous = previousGradient else { return -gradient }
        let y = gradient - previous
        let s = d * Float(t)
        let ys = y.dot(s)
        if ys > 1e-10 {
            if oldDirections.count == historySize {
                oldDirections.removeFirst()
                oldSteps.removeFirst()
                inverseCurvatures.removeFirst()
            }
            oldDirections.append(y)
            oldSteps.append(s)
            inverseCurvatures.append(1 / ys)
            hessianDiagonal = ys / y.dot(y)
        }
        var alphas = [Float](repeating: 0, count: oldDirections.count)
        var q = -gradient
        for i in stride(from: oldDirections.count - 1, through: 0, by: -1) {
            alphas[i] = oldSteps[i].dot(q) * inverseCurvatures[i]
            q.add(oldDirections[i], scaledBy: -alphas[i])
        }
        var r = q * hessianDiagonal
        for i in 0..<oldDirections.count {
            let beta = oldDirections[i].dot(r) * inverseCurvatures[i]
            r.add(oldSteps[i], scaledBy: alphas[i] - beta)
        }
        return r
    }
}

/// PyTorch's `_strong_wolfe` (ported from torch/optim's lswolfe.lua): bracket a step satisfying the strong
/// Wolfe conditions, then zoom in with safeguarded cubic interpolation.
struct StrongWolfe {
    let x: Tensor
    let d: Tensor
    let c1 = 1e-4
    let c2 = 0.9
    var evaluations = 0

    init(x: Tensor, d: Tensor) {
        self.x = x
        self.d = d
    }

    mutating func evaluate(_ objective: LBFGS.Objective, _ t: Double) throws -> (f: Double, g: Tensor, gtd: Double) {
        let (loss, g) = try objective(x.movedAlong(d, by: t))
        evaluations += 1
        return (Double(loss), g, Double(g.dot(d)))
    }

    mutating func run(_ objective: LBFGS.Objective, t initial: Double, f: Double, g: Tensor, gtd gtdFloat: Float, maxSearches: Int,
                      toleranceChange: Double) throws -> (f: Double, g: Tensor, t: Double, evaluations: Int) {
        let gtd = Double(gtdFloat)
        let dNorm = Double(d.maxAbs)
        var t = initial
        var (fNew, gNew, gtdNew) = try evaluate(objective, t)
        var (tPrev, fPrev, gPrev, gtdPrev) = (0.0, f, g, gtd)
        var done = false
        var iteration = 0
        var bracket: [Double] = [], bracketF: [Double] = [], bracketG: [Tensor] = [], bracketGtd: [Double] = []
        while iteration < maxSearches {
            if fNew > f + c1 * t * gtd || (iteration > 1 && fNew >= fPrev) {
                (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew])
                break
            }
            if abs(gtdNew) <= -c2 * gtd {
                (bracket, bracketF, bracketG, bracketGtd) = ([t], [fNew], [gNew], [gtdNew])
                done = true
                break
            }
            if gtdNew >= 0 {
                (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew])
                break
            }
            let minStep = t + 0.01 * (t - tPrev)
            let maxStep = t * 10
            let previous = t
            t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, bounds: (minStep, maxStep))
            (tPrev, fPrev, gPrev, gtdPrev) = (previous, fNew, gNew, gtdNew)
            (fNew, gNew, gtdNew) = try evaluate(objective, t)
            iteration += 1
        }
        if iteration == maxSearches {
            (bracket, bracketF, bracketG, bracketGtd) = ([0, t], [f, fNew], [g, gNew], [gtd, gtdNew])
        }

        var insufficientProgress = false
        var (low, high) = bracketF[0] <= bracketF[bracketF.count - 1] ? (0, 1) : (1, 0)
        while !done && iteration < maxSearches {
            if abs(bracket[1] - bracket[0]) * dNorm < toleranceChange { break }
            t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1])
            let (top, bottom) = (bracket.max()!, bracket.min()!)
            let eps = 0.1 * (top - bottom)
            if min(top - t, t - bottom) < eps {
                if insufficientProgress || t >= top || t <= bottom {
                    t = abs(t - top) < abs(t - bottom) ? top - eps : bottom + eps
                    insufficientProgress = false
                } else {
                    insufficientProgress = true
                }
            } else {
                insufficientProgress = false
            }
            (fNew, gNew, gtdNew) = try evaluate(objective, t)
            iteration += 1
            if fNew > f + c1 * t * gtd || fNew >= bracketF[low] {
                (bracket[high], bracketF[high], bracketG[high], bracketGtd[high]) = (t, fNew, gNew, gtdNew)
                (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0)
            } else {
                if abs(gtdNew) <= -c2 * gtd {
                    done = true
                } else if gtdNew * (bracket[high] - bracket[low]) >= 0 {
                    (bracket[high], bracketF[high], bracketG[high], bracketGtd[high]) =
                        (bracket[low], bracketF[low], bracketG[low], bracketGtd[low])
                }
                (bracket[low], bracketF[low], bracketG[low], bracketGtd[low]) = (t, fNew, gNew, gtdNew)
            }
        }
        let pick = min(low, bracket.count - 1)
        return (bracketF[pick], bracketG[pick], bracket[pick], evaluations)
    }

    /// The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to `bounds` (default: the
    /// interval between the points); the interval's midpoint when the cubic has no real minimiser.
    func cubicInterpolate(_ x1: Double, _ f1: Double, _ g1: Double, _ x2: Double, _ f2: Double, _ g2: Double,
                          bounds: (Double, Double)? = nil) -> Double {
        let (lower, upper) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
        let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        let d2Square = d1 * d1 - g1 * g2
        guard d2Square >= 0 else { return (lower + upper) / 2 }
        let d2 = d2Square.squareRoot()
        let minPosition = x1 <= x2
            ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
            : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(minPosition, lower), upper)
    }
}

extension Tensor {
    /// max |xᵢ| (0 for an empty tensor).
    var maxAbs: Float { withUnsafeBufferPointer { $0.reduce(0) { Swift.max($0, Swift.abs($1)) } } }

    /// Σ |xᵢ|, accumulated in Double.
    var absSum: Float { withUnsafeBufferPointer { Float($0.reduce(0.0) { $0 + Double(Swift.abs($1)) }) } }

    /// self + t·d (PyTorch's `p.add_(d, alpha=t)`, the scalar rounded to float32).
    func movedAlong(_ d: Tensor, by t: Double) -> Tensor {
        var out = self
        out.add(d, scaledBy: Float(t))
        return out
    }
}
