import Foundation

/// Deletion and insertion curves (Petsiuk et al. 2018, RISE): how fast the target's probability falls when the
/// most important pixels (by an attribution map) are removed first, and how fast it rises when they are
/// inserted first into a blurred copy. A faithful map has a low deletion AUC and a high insertion AUC.
public struct FaithfulnessCurves: Sendable {
    /// Fractions of pixels changed: 0, 1/steps, …, 1.
    public var fractions: [Float]
    public var deletion: [Float]
    public var insertion: [Float]
    public var deletionAUC: Float
    public var insertionAUC: Float
    public var target: Int
}

extension Model {
    /// - Parameters:
    ///   - input: `[1, C, H, W]` in input space.
    ///   - map: `[H, W]` (or any shape with H·W elements) importance per pixel.
    ///   - steps: number of equal pixel fractions.
    public func faithfulness(_ input: Tensor, map: Tensor, target: Int? = nil, steps: Int = 32,
                             interruption: Interruption? = nil) throws -> FaithfulnessCurves {
        guard input.rank == 4, input.shape[0] == 1 else { throw ExperimentError("faithfulness takes one image ([1, C, H, W]); got \(input.shape)") }
        let (c, h, w) = (input.shape[1], input.shape[2], input.shape[3])
        guard map.count == h * w else {
            throw ExperimentError("the map has \(map.count) values (shape \(map.shape)); the image has \(h)×\(w) pixels")
        }
        guard steps >= 2 else { throw ExperimentError("steps must be at least 2") }
        let logits = try outputLogits(input, interruption: interruption)
        let targets = try resolveTargets(target, logits: logits)
        // Pixels by decreasing importance; ties by position so the order is deterministic.
        let values = map.scalars
        let order = (0..<(h * w)).sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
        let (low, _) = preprocessing.validRange
        let blurred = input.gaussianBlurred(sigma: Float(max(h, w)) / 20)
        let fractions = (0...steps).map { Float($0) / Float(steps) }
        func curve(start: Tensor, source: Tensor?) throws -> [Float] {
            var batch = Tensor.zeros([fractions.count, c, h, w])
            let plane = h * w
            batch.withUnsafeMutableBufferPointer { out in
                start.withUnsafeBufferPointer { s in
                    let sourceValues = source?.scalars
                    for (k, fraction) in fractions.enumerated() {
                        for i in 0..<(c * plane) { out[k * c * plane + i] = s[i] }
                        let changed = Int((fraction * Float(plane)).rounded())
                        for p in order.prefix(changed) {
                            for ch in 0..<c {
                                let value = sourceValues.map { $0[ch * plane + p] } ?? low[low.count == 1 ? 0 : ch]
                                out[k * c * plane + ch * plane + p] = value
                            }
                        }
                    }
                }
            }
            return scores(of: try outputLogits(batch, interruption: interruption),
                          targets: Array(repeating: targets[0], count: fractions.count), kind: .probability)
        }
        let deletion = try curve(start: input, source: nil)
        let insertion = try curve(start: blurred, source: input)
        func auc(_ ys: [Float]) -> Float {
            var total: Float = 0
            for i in 1..<ys.count { total += (ys[i - 1] + ys[i]) / 2 * (fractions[i] - fractions[i - 1]) }
            return total
        }
        return FaithfulnessCurves(fractions: fractions, deletion: deletion, insertion: insertion,
                                  deletionAUC: auc(deletion), insertionAUC: auc(insertion), target: targets[0])
    }
}
