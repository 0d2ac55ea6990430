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
        let x = image.rolled(dy: oy, dx: ox)
        let pass = try graph.forward([self.input: x], fetch: [settings.layer], capture: [settings.layer], interruption: interruption)
        guard let a = pass[settings.layer] else { throw GraphError("layer '\(settings.layer)' was not computed") }
        let norm = a.l2Norm
        let objective = 0.5 * norm * norm
        let gradients = try pass.backward(seeds: [settings.layer: a], inputs: true, interruption: interruption)
        guard let g = gradients[self.input] else { throw GraphError("no gradient reached the input") }
        // x_norm = (p/255 − mean)/std, so ∂/∂p = ∂/∂x_norm / (255·std) and a step Δp is Δp / (255·std) in x_norm.
        let c = x.shape[1], plane = x.shape[2] * x.shape[3]
        let units = (0..<c).map { 255 * (preprocessing.std.count == 1 ? preprocessing.std[0] : preprocessing.std[$0]) }
        let meanAbs = g.withUnsafeBufferPointer { gs in
            var total = 0.0
            for ch in 0..<c {
                let (row, unit) = (gs.baseAddress! + ch * plane, units[ch])
                for i in 0..<plane { total += Double(abs(row[i] / unit)) }
            }
            return total
        } / Double(max(1, g.count))
        let scale: Float? = meanAbs > 0 ? settings.learningRate / Float(meanAbs) : nil
        let range = settings.clip ? preprocessing.validRange : nil
        let next = Self.dreamUpdate(x, gradient: g, scale: scale, units: units,
                                    rollBack: (-oy, -ox), low: range?.low, high: range?.high)
        return (next, objective)
    }

    /// `roll(x + scale·(g/u)/u, back)` clamped per channel to [low, high] (when given), in one pass: each row of
    /// the rolled image goes to its place in two pieces. Per element the same operations as the separate steps
    /// (`g/u`, then `x + scale·g'/u`, the roll, `min(high, max(low, ·))`), so the same bits. `scale` nil: no step.
    static func dreamUpdate(_ x: Tensor, gradient g: Tensor, scale: Float?, units: [Float], rollBack: (dy: Int, dx: Int),
                            low: [Float]?, high: [Float]?) -> Tensor {
        let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        var out = Tensor(uninitializedShape: x.shape)
        guard h > 0, w > 0 else { return out }
        let (sy, sx) = ((rollBack.dy % h + h) % h, (rollBack.dx % w + w) % w)
        x.withUnsafeBufferPointer { xs in
            g.withUnsafeBufferPointer { gs in
                out.withUnsafeMutableBufferPointer { os in
                    for ch in 0..<c {
                        let unit = units[ch]
                        let lo = low.map { $0[$0.count == 1 ? 0 : ch] } ?? -.infinity
                        let hi = high.map { $0[$0.count == 1 ? 0 : ch] } ?? .infinity
                        let clip = low != nil && high != nil
                        // One piece of a row: `count` elements from `s`/`gr` to `d`.
                        func piece(_ s: UnsafePointer<Float>, _ gr: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ count: Int) {
                            switch (scale, clip) {
                            case (let scale?, true):
                                for i in 0..<count { d[i] = Swift.min(hi, Swift.max(lo, s[i] + scale * (gr[i] / unit) / unit)) }
                            case (let scale?, false):
                                for i in 0..<count { d[i] = s[i] + scale * (gr[i] / unit) / unit }
                            case (nil, true):
                                for i in 0..<count { d[i] = Swift.min(hi, Swift.max(lo, s[i])) }
                            case (nil, false):
                                d.update(from: s, count: count)
                            }
                        }
                        for y in 0..<h {
                            let ty = y + sy < h ? y + sy : y + sy - h
                            let src = xs.baseAddress! + (ch * h + y) * w, grad = gs.baseAddress! + (ch * h + y) * w
                            let dst = os.baseAddress! + (ch * h + ty) * w
                            piece(src, grad, dst + sx, w - sx)
                            piece(src + w - sx, grad + w - sx, dst, sx)
                        }
                    }
                }
            }
        }
        return out
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
