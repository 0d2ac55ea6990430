import Foundation

/// Grad-CAM (Selvaraju et al. 2017) as Captum's `LayerGradCam(relu_attributions=True)`: channel weights are the
/// spatial mean of ∂score/∂A, the map is ReLU(Σₖ αₖ Aₖ) at the layer's resolution.
public struct GradCAMResult: Sendable {
    /// `[N, 1, h, w]` at the layer's resolution.
    public var map: Tensor
    /// `[N, 1, H, W]`: `map` resized bilinearly (align_corners = false) to the input's size.
    public var upsampled: Tensor
    public var layer: String
    public var targets: [Int]
    public var probabilities: [Float]
}

extension Model {
    /// The node whose output shapes are `[N, C, h, w]` with h·w > 1, last in graph order: Grad-CAM's default
    /// layer ("the last convolutional layer"). Shapes are inferred for `inputShape`.
    public func lastSpatialLayer(inputShape: [Int]) throws -> String {
        let shapes = try graph.inferShapes([input: inputShape])
        for node in graph.nodes.reversed() {
            if let s = shapes[node.outputs.first ?? node.name], s.count == 4, s[2] * s[3] > 1 { return node.name }
        }
        throw ExperimentError("model \(name) has no layer with a spatial output")
    }

    public func gradCAM(_ input: Tensor, target: Int? = nil, layer: String? = nil,
                        interruption: Interruption? = nil) throws -> GradCAMResult {
        let layerName = try layer ?? lastSpatialLayer(inputShape: input.shape)
        let result = try scoreGradient(input, target: target, capture: [layerName], toInput: false, interruption: interruption)
        let (logits, targets) = (result.logits, result.targets)
        guard let (activation, gradient) = result.layers[layerName] else { throw ExperimentError("layer '\(layerName)' was not computed") }
        guard activation.rank == 4 else {
            throw ExperimentError("layer '\(layerName)' has output shape \(activation.shape); Grad-CAM needs a [N, C, h, w] layer")
        }
        let (n, k, h, w) = (activation.shape[0], activation.shape[1], activation.shape[2], activation.shape[3])
        var map = Tensor.zeros([n, 1, h, w])
        map.withUnsafeMutableBufferPointer { m in
            activation.withUnsafeBufferPointer { a in
                gradient.withUnsafeBufferPointer { g in
                    for b in 0..<n {
                        for ch in 0..<k {
                            let base = (b * k + ch) * h * w
                            var alpha: Float = 0
                            for i in 0..<(h * w) { alpha += g[base + i] }
                            alpha /= Float(h * w)
                            for i in 0..<(h * w) { m[b * h * w + i] += alpha * a[base + i] }
                        }
                        for i in 0..<(h * w) { m[b * h * w + i] = max(0, m[b * h * w + i]) }
                    }
                }
            }
        }
        let upsampled = resizeBilinear(map, height: input.shape[2], width: input.shape[3])
        return GradCAMResult(map: map, upsampled: upsampled, layer: layerName, targets: targets,
                             probabilities: scores(of: logits, targets: targets, kind: .probability))
    }

    /// Guided backprop for one neuron: the guided gradient of channel `channel` of `layer` at the position where
    /// it is most active (per row), with respect to the input. Returns `[N, C, H, W]`.
    public func guidedNeuronGradient(_ input: Tensor, layer: String, channel: Int,
                                     interruption: Interruption? = nil) throws -> Tensor {
        let pass = try graph.forward([self.input: input], fetch: [layer], interruption: interruption)
        guard let activation = pass[layer] else { throw ExperimentError("layer '\(layer)' was not computed") }
        let channels = activation.rank >= 2 ? activation.shape[1] : 1
        guard (0..<channels).contains(channel) else {
            throw ExperimentError("channel \(channel) is out of range: layer '\(layer)' has \(channels) channels (0…\(channels - 1))")
        }
        let n = activation.shape[0]
        let plane = activation.count / max(1, n * channels)
        var seed = Tensor.zeros(activation.shape)
        seed.withUnsafeMutableBufferPointer { s in
            activation.withUnsafeBufferPointer { a in
                for b in 0..<n {
                    let base = (b * channels + channel) * plane
                    var best = 0
                    for i in 0..<plane where a[base + i] > a[base + best] { best = i }
                    s[base + best] = 1
                }
            }
        }
        let gradients = try pass.backward(seeds: [layer: seed], rule: .guided, inputs: true, interruption: interruption)
        guard let g = gradients[self.input] else { throw GraphError("no gradient reached the input") }
        return g
    }
}

/// Bilinear resize of `[N, C, h, w]` to `[N, C, height, width]` with PyTorch's align_corners = false.
public func resizeBilinear(_ t: Tensor, height: Int, width: Int) -> Tensor {
    let (n, c, h, w) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
    var out = Tensor.zeros([n, c, height, width])
    let scaleY = Float(h) / Float(height), scaleX = Float(w) / Float(width)
    func source(_ i: Int, _ scale: Float, _ size: Int) -> (Int, Int, Float) {
        let s = max(0, (Float(i) + 0.5) * scale - 0.5)
        let i0 = min(Int(s), size - 1)
        let i1 = min(i0 + 1, size - 1)
        return (i0, i1, s - Float(i0))
    }
    let ys = (0..<height).map { source($0, scaleY, h) }
    let xs = (0..<width).map { source($0, scaleX, w) }
    out.withUnsafeMutableBufferPointer { o in
        t.withUnsafeBufferPointer { x in
            for plane in 0..<(n * c) {
                let src = plane * h * w, dst = plane * height * width
                for (oy, (y0, y1, fy)) in ys.enumerated() {
                    for (ox, (x0, x1, fx)) in xs.enumerated() {
                        let top = x[src + y0 * w + x0] * (1 - fx) + x[src + y0 * w + x1] * fx
                        let bottom = x[src + y1 * w + x0] * (1 - fx) + x[src + y1 * w + x1] * fx
                        o[dst + oy * width + ox] = top * (1 - fy) + bottom * fy
                    }
                }
            }
        }
    }
    return out
}
