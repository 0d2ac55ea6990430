/// A first-order optimiser over named parameters, with PyTorch's update rules so that the same
/// hyper-parameters train the same way here and in `torch.optim`.
public protocol Optimizer: Sendable {
    /// The step size; a schedule may change it between steps (as assigning `group["lr"]` does in PyTorch).
    var learningRate: Float { get set }

    /// Updates every parameter in `parameters` that has a gradient in `gradients` (same shapes), in place.
    /// Parameters are visited in sorted name order so results never depend on dictionary order.
    mutating func step(_ parameters: inout [String: Tensor], gradients: [String: Tensor])
}

/// `torch.optim.SGD` (dampening 0): g ← ∇ + wd·p; with momentum μ: b ← μ·b + g (b ← g on the first step),
/// g ← b (or g + μ·b with Nesterov); p ← p − lr·g.
public struct SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    public var nesterov: Bool
    private var buffers: [String: Tensor] = [:]

    public init(learningRate: Float = 0.01, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public mutating func step(_ parameters: inout [String: Tensor], gradients: [String: Tensor]) {
        for name in parameters.keys.sorted() {
            guard let gradient = gradients[name], var p = parameters[name] else { continue }
            precondition(p.shape == gradient.shape, "gradient of \(name) has shape \(gradient.shape), parameter \(p.shape)")
            parameters[name] = nil  // let `p` own the storage so the update happens in place
            var g = gradient
            if weightDecay != 0 { g.add(p, scaledBy: weightDecay) }
            if momentum != 0 {
                var buffer: Tensor
                if let previous = buffers.removeValue(forKey: name) {
                    buffer = previous
                    let mu = momentum
                    g.withUnsafeBufferPointer { gs in
                        buffer.withUnsafeMutableBufferPointer { bs in
                            for i in 0..<bs.count { bs[i] = mu * bs[i] + gs[i] }
                        }
                    }
                } else {
                    buffer = g
                }
                if nesterov { g.add(buffer, scaledBy: momentum) } else { g = buffer }
                buffers[name] = buffer
            }
            p.add(g, scaledBy: -learningRate)
            parameters[name] = p
        }
    }
}

/// `torch.optim.Adam` (amsgrad off, L2 weight decay added to the gradient as PyTorch's Adam does — not AdamW):
/// g ← ∇ + wd·p; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; with bias corrections c₁ = 1−β₁ᵗ, c₂ = 1−β₂ᵗ:
/// p ← p − (lr / c₁) · m / (√v / √c₂ + ε). Evaluated in the same order as PyTorch's single-tensor path.
public struct Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    /// Steps taken so far (t in the formulas).
    public private(set) var stepCount = 0
    private var firstMoments: [String: Tensor] = [:]
    private var secondMoments: [String: Tensor] = [:]

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public mutating func step(_ parameters: inout [String: Tensor], gradients: [String: Tensor]) {
        stepCount += 1
        let t = Double(stepCount)
        // Scalars are formed in Double and rounded once, as PyTorch does with Python floats.
        let correction1 = 1 - Double(beta1).pow(t)
        let correction2Sqrt = Float((1 - Double(beta2).pow(t)).squareRoot())
        let negativeStepSize = Float(-Double(learningRate) / correction1)
        let oneMinusBeta1 = Float(1 - Double(beta1)), oneMinusBeta2 = Float(1 - Double(beta2))
        let (b2, eps, wd) = (beta2, epsilon, weightDecay)
        for name in parameters.keys.sorted() {
            guard let gradient = gradients[name], var p = parameters[name] else { continue }
            precondition(p.shape == gradient.shape, "gradient of \(name) has shape \(gradient.shape), parameter \(p.shape)")
            parameters[name] = nil
            var m = firstMoments.removeValue(forKey: name) ?? Tensor.zeros(p.shape)
            var v = secondMoments.removeValue(forKey: name) ?? Tensor.zeros(p.shape)
            gradient.withUnsafeBufferPointer { gs in
                p.withUnsafeMutableBufferPointer { ps in
                    m.withUnsafeMutableBufferPointer { ms in
                        v.withUnsafeMutableBufferPointer { vs in
                            let (gp, pp, mp, vp) = (gs.baseAddress!, ps.baseAddress!, ms.baseAddress!, vs.baseAddress!)
                            // Element by element with no cross-element dependence, so splitting between the cores
                            // and vectorising (IEEE sqrt and division are exact per lane) changes no bit.
                            BatchParallel.split(ps.count, grain: 65_536) { range in
                                // Eight lanes at a time, then the rest one by one: the same operations in the
                                // same order on every element.
                                var i = range.lowerBound
                                while i + 8 <= range.upperBound {
                                    var m8 = UnsafeRawPointer(mp + i).loadUnaligned(as: SIMD8<Float>.self)
                                    var v8 = UnsafeRawPointer(vp + i).loadUnaligned(as: SIMD8<Float>.self)
                                    var p8 = UnsafeRawPointer(pp + i).loadUnaligned(as: SIMD8<Float>.self)
                                    var g8 = UnsafeRawPointer(gp + i).loadUnaligned(as: SIMD8<Float>.self)
                                    if wd != 0 { g8 = g8 + wd * p8 }
                                    m8 = m8 + oneMinusBeta1 * (g8 - m8)
                                    v8 = v8 * b2 + oneMinusBeta2 * g8 * g8
                                    p8 = p8 + negativeStepSize * m8 / (v8.squareRoot() / correction2Sqrt + eps)
                                    UnsafeMutableRawPointer(mp + i).storeBytes(of: m8, as: SIMD8<Float>.self)
                                    UnsafeMutableRawPointer(vp + i).storeBytes(of: v8, as: SIMD8<Float>.self)
                                    UnsafeMutableRawPointer(pp + i).storeBytes(of: p8, as: SIMD8<Float>.self)
                                    i += 8
                                }
                                while i < range.upperBound {
                                    let g = wd != 0 ? gp[i] + wd * pp[i] : gp[i]
                                    // torch: m.lerp_(g, 1-β1) = m + (1-β1)(g - m); v.mul_(β2).addcmul_(g, g, 1-β2)
                                    let mi = mp[i] + oneMinusBeta1 * (g - mp[i])
                                    let vi = vp[i] * b2 + oneMinusBeta2 * g * g
                                    mp[i] = mi
                                    vp[i] = vi
                                    pp[i] += negativeStepSize * mi / (vi.squareRoot() / correction2Sqrt + eps)
                                    i += 1
                                }
                            }
                        }
                    }
                }
            }
            firstMoments[name] = m
            secondMoments[name] = v
            parameters[name] = p
        }
    }
}

private extension Double {
    func pow(_ exponent: Double) -> Double { Foundation.pow(self, exponent) }
}

import Foundation
