import Foundation

extension Model {
    /// neural-style's optimisation (`-optimizer lbfgs`, as in neural-style-pt): one `torch.optim.LBFGS` step with
    /// `max_iter = steps`, history 100, tolerances −1 (never stop early), lr `settings.learningRate`, no
    /// clamping, `line_search_fn` from `settings.lineSearch`. Progress is reported at every loss evaluation (one per iteration without line search); on
    /// interrupt the last evaluated image goes to `partial`.
    ///
    /// L-BFGS is not scale-invariant: it keeps a curvature pair only when yᵀs > 1e-10 and its first step is
    /// min(1, 1/‖g‖₁). Relative weights make the loss O(1) with per-pixel gradients around 1e-4, where every
    /// pair would be dropped and L-BFGS would crawl as plain gradient descent; so with relative weights the
    /// objective L-BFGS sees is multiplied by the image's element count C·H·W (the scale of the sums over
    /// pixels that absolute weights have). Reported losses are unscaled.
    func styleTransferLBFGS(from start: Tensor, targets: SynthesisTargets, settings: StyleTransferSettings,
                            interruption: Interruption?, progress: ProgressHandler?,
                            partial: ((SynthesisResult) -> Void)?) throws -> SynthesisResult {
        var optimizer = LBFGS(learningRate: Double(settings.learningRate), maxIterations: settings.steps,
                              toleranceGradient: -1, toleranceChange: -1, historySize: 100, lineSearch: settings.lineSearch)
        let total = settings.lineSearch == .none ? settings.steps : optimizer.maxEvaluations
        var state = SynthesisResult(image: start, initialLoss: SynthesisLossTerms(), finalLoss: SynthesisLossTerms(), stepsTaken: 0)
        var image = start
        var evaluations = 0
        let scale: Float = settings.weighting == .relative ? Float(start.count) : 1
        do {
            try optimizer.step(&image) { x in
                if interruption?.isRequested == true { throw Interrupted() }
                let (terms, gradient) = try synthesisLoss(x, targets: targets, settings: settings, interruption: interruption)
                evaluations += 1
                if evaluations == 1 { state.initialLoss = terms }
                state.image = x
                state.finalLoss = terms
                state.stepsTaken = evaluations
                progress?(OptimisationProgress(step: evaluations, total: total, values: terms.named, image: x))
                return scale == 1 ? (terms.total, gradient) : (terms.total * scale, gradient * scale)
            }
        } catch is Interrupted {
            partial?(state)
            throw Interrupted()
        }
        state.image = image
        state.stepsTaken = optimizer.iterations
        state.finalLoss = try synthesisLossTerms(image, targets: targets, settings: settings, interruption: interruption)
        return state
    }
}
