import Foundation

/// google/deepdream's settings (the reference notebook's defaults). `learningRate` and `jitter` are in the
/// reference's units: steps in 0…255 pixel values, shifts in pixels.
public struct DeepDreamSettings: Sendable {
    public var layer: String
    public var stepsPerOctave = 10
    public var octaves = 4
    public var octaveScale: Float = 1.4
    public var learningRate: Float = 1.5
    public var jitter = 32
    public var clip = true
    public var seed: UInt64 = 0
    public init(layer: String) { self.layer = layer }

    /// 32 pixels for images of 224 pixels or more; proportionally less for smaller images (at least 1).
    public static func defaultJitter(forShorterSide side: Int) -> Int {
        side >= 224 ? 32 : max(1, Int((32 * Double(side) / 224).rounded()))
    }
}

/// The dream so far: the image (`[1, C, H, W]`, input space, at the base size once the last octave ran),
/// the objective ½‖a‖² at the last step, the octave and the steps taken in total.
public struct DeepDreamResult: Sendable {
    public var image: Tensor
    public var objective: Float
    public var octave: Int
    public var stepsTaken: Int
}

extension Model {
    /// One `make_step`: roll by a random shift, ascend ½‖a‖² at the layer with step `lr·g / mean|g|` (g taken
    /// with respect to 0…255 pixel values), roll back, clip to the valid range.
    func deepDreamStep(_ image: Tensor, settings: DeepDreamSettings, generator: inout SeededGenerator,
                       interruption: Interruption?) throws -> (image: Tensor, objective: Float) {
        let j = settings.jitter
        let ox = j > 0 ? generator.nextInt(below: 2 * j + 1) - j : 0
        let oy = j > 0 ? generator.nextInt(below: 2 * j + 1) - j : 0
        var x = image.rolled(dy: oy, dx: ox)
        let pass = try graph.forward([self.input: x], fetch: [settings.layer], capture: [settings.layer], interruption: interruption)
        guard let a = pass[settings.layer] else { throw GraphError("layer '\(settings.layer)' was not computed") }
        let objective = 0.5 * a.l2Norm * a.l2Norm
        let gradients = try pass.backward(seeds: [settings.layer: a], inputs: true, interruption: interruption)
        guard var g = gradients[self.input] else { throw GraphError("no gradient reached the input") }
        // x_norm = (p/255 − mean)/std, so ∂/∂p = ∂/∂x_norm / (255·std) and a step Δp is Δp / (255·std) in x_norm.
        let c = x.shape[1], plane = x.shape[2] * x.shape[3]
        let stds = (0..<c).map { preprocessing.std.count == 1 ? preprocessing.std[0] : preprocessing.std[$0] }
        g.withUnsafeMutableBufferPointer { gs in
            for ch in 0..<c { for i in 0..<plane { gs[ch * plane + i] /= 255 * stds[ch] } }
        }
        let meanAbs = g.withUnsafeBufferPointer { gs in gs.reduce(0.0) { $0 + Double(abs($1)) } } / Double(max(1, g.count))
        if meanAbs > 0 {
            let scale = settings.learningRate / Float(meanAbs)
            x.withUnsafeMutableBufferPointer { xs in
                g.withUnsafeBufferPointer { gs in
                    for ch in 0..<c { for i in 0..<plane { xs[ch * plane + i] += scale * gs[ch * plane + i] / (255 * stds[ch]) } }
                }
            }
        }
        x = x.rolled(dy: -oy, dx: -ox)
        if settings.clip {
            let (low, high) = preprocessing.validRange
            x = x.clampedPerChannel(low: low, high: high)
        }
        return (x, objective)
    }

    /// google/deepdream's `deepdream`: an octave pyramid of the base image (each `1/octaveScale` smaller), the
    /// smallest dreamt first; the detail added at each octave is enlarged and carried to the next.
    public func deepDream(_ base: Tensor, settings: DeepDreamSettings, interruption: Interruption? = nil,
                          progress: ProgressHandler? = nil, partial: ((DeepDreamResult) -> Void)? = nil) throws -> DeepDreamResult {
        guard base.rank == 4, base.shape[0] == 1 else { throw ExperimentError("deepdream takes one image [1, C, H, W], got \(base.shape)") }
        var octaves = [base]
        for _ in 1..<max(1, settings.octaves) {
            let last = octaves[octaves.count - 1]
            let h = Int((Float(last.shape[2]) / settings.octaveScale).rounded())
            let w = Int((Float(last.shape[3]) / settings.octaveScale).rounded())
            guard h >= 8, w >= 8 else { break }
            octaves.append(last.resizedBilinear(height: h, width: w))
        }
        var generator = SeededGenerator(seed: settings.seed)
        let total = octaves.count * settings.stepsPerOctave
        var detail = Tensor.zeros(octaves[octaves.count - 1].shape)
        var state = DeepDreamResult(image: base, objective: 0, octave: 0, stepsTaken: 0)
        for (k, octaveBase) in octaves.reversed().enumerated() {
            let (h, w) = (octaveBase.shape[2], octaveBase.shape[3])
            if k > 0 { detail = detail.resizedBilinear(height: h, width: w) }
            var image = octaveBase + detail
            for _ in 0..<settings.stepsPerOctave {
                if interruption?.isRequested == true { partial?(state); try interruption?.check() }
                let step: (image: Tensor, objective: Float)
                do {
                    step = try deepDreamStep(image, settings: settings, generator: &generator, interruption: interruption)
                } catch is Interrupted {
                    partial?(state)
                    throw Interrupted()
                }
                image = step.image
                state = DeepDreamResult(image: image, objective: step.objective, octave: k + 1, stepsTaken: state.stepsTaken + 1)
                progress?(OptimisationProgress(step: state.stepsTaken, total: total,
                                               values: [("objective", step.objective), ("octave", Float(k + 1))], image: image))
            }
            detail = image - octaveBase
        }
        return state
    }
}
