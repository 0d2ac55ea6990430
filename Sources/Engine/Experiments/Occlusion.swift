import Foundation

/// Occlusion sensitivity (Zeiler & Fergus 2014) with Captum's `Occlusion` definition: a window slides over
/// the image (across all channels) starting at multiples of the stride, with ⌈(D − w)/s⌉ + 1 positions per
/// axis (the last windows are clipped at the border); each input element gets the mean, over the windows
/// covering it, of score(original) − score(occluded).
public struct OcclusionSettings: Sendable {
    public var window: (height: Int, width: Int)
    public var stride: (height: Int, width: Int)
    /// The value written into the window, one per channel (in the model's input space).
    public var fill: [Float]
    public var score: ScoreKind
    /// Occluded copies evaluated per forward pass; the result does not depend on it.
    public var batchSize: Int
    public init(window: (Int, Int), stride: (Int, Int), fill: [Float], score: ScoreKind = .probability,
                batchSize: Int = 64) {
        self.window = (window.0, window.1)
        self.stride = (stride.0, stride.1)
        self.fill = fill
        self.score = score
        self.batchSize = batchSize
    }
}

/// The result of an occlusion run.
public struct OcclusionResult: Sendable {
    /// `[N, C, H, W]`, Captum's attribution (identical across channels, since windows span them all).
    public var attributions: Tensor
    /// `[N, H, W]`: the heat map drawn (channel 0 of `attributions`).
    public var map: Tensor
    public var targets: [Int]
    /// The unoccluded score of each row's target.
    public var baseScores: [Float]
}

extension Model {
    public func occlusion(_ input: Tensor, target: Int? = nil, settings: OcclusionSettings,
                          interruption: Interruption? = nil,
                          progress: ((Int, Int) -> Void)? = nil) throws -> OcclusionResult {
        guard input.rank == 4 else { throw ExperimentError("occlusion needs an [N, C, H, W] input, got \(input.shape)") }
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (wh, ww) = settings.window
        let (sh, sw) = settings.stride
        guard wh >= 1, ww >= 1, wh <= h, ww <= w else {
            throw ExperimentError("patch \(wh)×\(ww) must fit the \(h)×\(w) input")
        }
        guard sh >= 1, sw >= 1 else { throw ExperimentError("stride must be at least 1") }
        // Captum's rule: a stride longer than the patch would skip pixels (and place the last window outside).
        guard (sh <= wh || wh == h), (sw <= ww || ww == w) else {
            throw ExperimentError("stride \(sh)×\(sw) must not exceed the patch \(wh)×\(ww)")
        }
        guard settings.fill.count == 1 || settings.fill.count == c else {
            throw ExperimentError("fill has \(settings.fill.count) values; the input has \(c) channels")
        }
        let rowsOfWindows = Int((Double(h - wh) / Double(sh)).rounded(.up)) + 1
        let colsOfWindows = Int((Double(w - ww) / Double(sw)).rounded(.up)) + 1
        let positions = rowsOfWindows * colsOfWindows

        // The unoccluded pass keeps every activation: each occluded copy recomputes only what its window reaches.
        let pass = try graph.forward([self.input: input], fetch: [output], interruption: interruption)
        guard let outputValue = pass.values[output] else { throw GraphError("model \(name) computed no output") }
        let logits = Self.rows(outputValue)
        let targets = try resolveTargets(target, logits: logits)
        var base = scores(of: logits, targets: targets, kind: settings.score)
        // A logit score needs only the target's row of the classifier layer (when all rows share the target).
        var evaluated = (graph: graph, values: pass.values, targets: targets)
        if settings.score == .logit, let t = targets.first, targets.allSatisfy({ $0 == t }),
            let single = SingleLogitGraph(graph, output: output, shapes: pass.shapes, keeping: t)
        {
            let reduced = try single.graph.forward([self.input: input], fetch: [output], interruption: interruption)
            guard let value = reduced.values[output] else { throw GraphError("model \(name) computed no output") }
            evaluated = (single.graph, reduced.values, Array(repeating: 0, count: n))
            base = scores(of: Self.rows(value), targets: evaluated.targets, kind: .logit)
        }

        let plane = h * w
        var total = [Double](repeating: 0, count: n * plane)
        var covered = [Int](repeating: 0, count: plane)
        var windows: [ActivationBox] = []
        for p in 0..<positions {
            let (y0, x0) = ((p / colsOfWindows) * sh, (p % colsOfWindows) * sw)
            let window = ActivationBox(top: y0, left: x0, bottom: min(h, y0 + wh), right: min(w, x0 + ww))
            windows.append(window)
            for y in window.top..<window.bottom { for x in window.left..<window.right { covered[y * w + x] += 1 } }
        }
        let inputBoxes = windows.map { $0.extended(toHeight: wh, width: ww, mapHeight: h, mapWidth: w) }
        let incremental = try IncrementalInference(graph: evaluated.graph, input: self.input, output: output,
                                                   clean: evaluated.values, inputBoxes: inputBoxes)

        let jobs = n * positions
        var done = 0
        while done < jobs {
            try interruption?.check()
            let b = min(settings.batchSize, jobs - done)
            let rows = (0..<b).map { (done + $0) / positions }
            let perturbations = (0..<b).map { (done + $0) % positions }
            var region = Tensor.zeros([b, c, wh, ww])
            region.withUnsafeMutableBufferPointer { out in
                input.withUnsafeBufferPointer { x in
                    for s in 0..<b {
                        let (box, window) = (inputBoxes[perturbations[s]], windows[perturbations[s]])
                        for ch in 0..<c {
                            let value = settings.fill.count == 1 ? settings.fill[0] : settings.fill[ch]
                            for y in box.top..<box.bottom {
                                for xx in box.left..<box.right {
                                    let inside = (window.top..<window.bottom).contains(y)
                                        && (window.left..<window.right).contains(xx)
                                    out[((s * c + ch) * wh + y - box.top) * ww + xx - box.left] =
                                        inside ? value : x[((rows[s] * c + ch) * h + y) * w + xx]
                                }
                            }
                        }
                    }
                }
            }
            let occludedLogits = Self.rows(try incremental.runParallel(
                rows: rows, perturbations: perturbations, inputRegion: region, interruption: interruption))
            let occluded = scores(of: occludedLogits, targets: rows.map { evaluated.targets[$0] }, kind: settings.score)
            for s in 0..<b {
                let drop = Double(base[rows[s]] - occluded[s])
                let window = windows[perturbations[s]]
                for y in window.top..<window.bottom {
                    for x in window.left..<window.right { total[rows[s] * plane + y * w + x] += drop }
                }
            }
            done += b
            progress?(done, jobs)
        }

        var map = Tensor.zeros([n, h, w])
        map.withUnsafeMutableBufferPointer { m in
            for row in 0..<n { for i in 0..<plane { m[row * plane + i] = Float(total[row * plane + i] / Double(covered[i])) } }
        }
        var attributions = Tensor.zeros([n, c, h, w])
        attributions.withUnsafeMutableBufferPointer { a in
            map.withUnsafeBufferPointer { m in
                for row in 0..<n { for ch in 0..<c { for i in 0..<plane { a[(row * c + ch) * plane + i] = m[row * plane + i] } } }
            }
        }
        return OcclusionResult(attributions: attributions, map: map, targets: targets, baseScores: base)
    }

    /// The output as `[N, K]` (as `outputLogits` returns it).
    static func rows(_ logits: Tensor) -> Tensor {
        logits.rank == 2 ? logits : logits.reshaped([logits.shape[0], logits.count / max(1, logits.shape[0])])
    }
}
