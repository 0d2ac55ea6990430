import Foundation

/// A feed-forward style-transfer network (Johnson et al. 2016): one forward pass paints any picture in the
/// style it was trained on. `model` is an ordinary engine model, pixels `[N, 3, H, W]` in [0, 1] in and out
/// (preprocessing mean 0, std 1, any size), so it exports to ONNX and imports back like any other.
public struct Stylizer: Sendable {
    public var model: Model
    public var architecture: StylizerArchitecture
    public var settings: StylizerSettings
    /// Training steps done (fewer than `settings.steps` after an interrupt).
    public var stepsTaken: Int
    /// The perceptual loss of every step's batch, in order.
    public var losses: [SynthesisLossTerms]

    /// Runs the network on pixels `[N, 3, H, W]` in [0, 1]. Sizes that are not multiples of 4 (which the two
    /// stride-2 convolutions and two ×2 upsamplings need) are padded by repeating the border and cropped back.
    /// The result is clamped to [0, 1].
    public func stylize(_ pixels: Tensor, interruption: Interruption? = nil) throws -> Tensor {
        guard pixels.rank == 4, pixels.shape[1] == 3 else {
            throw ExperimentError("a stylizer takes RGB pixels [N, 3, H, W], got \(pixels.shape)")
        }
        let (h, w) = (pixels.shape[2], pixels.shape[3])
        let (padH, padW) = ((4 - h % 4) % 4, (4 - w % 4) % 4)
        var input = pixels
        if padH > 0 || padW > 0 {
            input = try Pad(mode: .edge, pads: [0, 0, 0, 0, 0, 0, padH, padW]).forward([pixels])[0]
        }
        let out = try model.graph.run([model.input: input], fetch: [model.output], interruption: interruption)
        guard var y = out[model.output] else { throw GraphError("the stylizer computed no output") }
        if padH > 0 { y = try y.slice(axis: 2, 0..<h) }
        if padW > 0 { y = try y.slice(axis: 3, 0..<w) }
        return y.clamped(min: 0, max: 1)
    }
}
