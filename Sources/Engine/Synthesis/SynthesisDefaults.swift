import Foundation

/// Layers and weights a model's texture / style / inversion experiments use when the cell gives none.
public struct SynthesisDefaults: Sendable {
    public var contentLayer: String
    public var contentWeight: Float
    public var styleLayers: [String]
    public var styleWeights: [Float]
    public var tvWeight: Float
    public var weighting: SynthesisWeighting
    /// CS231n's feature inversion weights (content 6e-2, TV 2e-2) or their relative counterparts.
    public var inversionContentWeight: Float
    public var inversionTVWeight: Float
}

extension Model {
    /// CS231n's SqueezeNet 1.1 settings when the model has torchvision's layer names (`features.1`, `features.3`,
    /// `features.4`, `features.6`, `features.7`): content `features.3` at 5e-2, style layers 1, 4, 6, 7 at
    /// 20000, 500, 12, 1, TV 5e-2. Otherwise the model's own `styleLayers`/`contentLayer` (else its rectifiers,
    /// content in the middle) with relative weights: every style layer 1, content 0.1 (a shallow content layer such as random-multiscale's
    /// 3×3 bank is nearly the pixels, so a content weight of 1 leaves no room for the style), TV 1; inversion 1 and 1.
    public var synthesisDefaults: SynthesisDefaults {
        let names = Set(layerNames)
        if ["features.1", "features.3", "features.4", "features.6", "features.7"].allSatisfy(names.contains) {
            return SynthesisDefaults(contentLayer: "features.3", contentWeight: 5e-2,
                                     styleLayers: ["features.1", "features.4", "features.6", "features.7"],
                                     styleWeights: [20000, 500, 12, 1], tvWeight: 5e-2, weighting: .absolute,
                                     inversionContentWeight: 6e-2, inversionTVWeight: 2e-2)
        }
        let rectifiers = graph.nodes.filter { $0.op is Relu }.map(\.name)
        let style = styleLayers.isEmpty ? rectifiers : styleLayers
        let content = contentLayer ?? (rectifiers.isEmpty ? (style.first ?? output) : rectifiers[rectifiers.count / 2])
        return SynthesisDefaults(contentLayer: content, contentWeight: 0.1, styleLayers: style,
                                 styleWeights: Array(repeating: 1, count: style.count), tvWeight: 1,
                                 weighting: .relative, inversionContentWeight: 1, inversionTVWeight: 1)
    }
}

extension Tensor {
    /// neural-style's `original_colors`: the luminance (Y of YUV) of `self` with the chrominance (U, V) of
    /// `colors`; both `[1, 3, H, W]` pixels in [0, 1] (`colors` is resized to fit).
    public func withOriginalColors(from colors: Tensor) -> Tensor {
        precondition(rank == 4 && shape[1] == 3, "original colours need an RGB image [1, 3, H, W]")
        let source = colors.resizedBilinear(height: shape[2], width: shape[3])
        let plane = shape[2] * shape[3]
        var out = self
        out.withUnsafeMutableBufferPointer { o in
            source.withUnsafeBufferPointer { c in
                for i in 0..<plane {
                    let y = 0.299 * o[i] + 0.587 * o[plane + i] + 0.114 * o[2 * plane + i]
                    let (r, g, b) = (c[i], c[plane + i], c[2 * plane + i])
                    let u = -0.14713 * r - 0.28886 * g + 0.436 * b
                    let v = 0.615 * r - 0.51499 * g - 0.10001 * b
                    o[i] = y + 1.13983 * v
                    o[plane + i] = y - 0.39465 * u - 0.58060 * v
                    o[2 * plane + i] = y + 2.03211 * u
                }
            }
        }
        return out
    }
}
