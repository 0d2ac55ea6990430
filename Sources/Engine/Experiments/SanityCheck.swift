import Foundation

/// The model-randomisation test of Adebayo et al. (2018): re-initialise the weights layer by layer from the
/// top (cascading) and measure how much the attribution map changes. A method whose maps stay similar on a
/// random network explains the input, not the model.
public struct SanityCheckResult: Sendable {
    /// Layers randomised so far at each step, top first: step k has the top k+1 layers random.
    public var layers: [String]
    /// Spearman rank correlation between the original map and the map at each step (of |map| values).
    public var rankCorrelations: [Float]
    public var originalMap: Tensor
    /// The map after each step, `[H, W]`.
    public var randomizedMaps: [Tensor]
}

extension Model {
    /// Layers that own weights (an initializer of rank ≥ 2 among the node's inputs), input to output.
    public var weightedLayers: [String] {
        graph.nodes.filter { node in node.inputs.contains { (graph.initializers[$0]?.rank ?? 0) >= 2 } }.map(\.name)
    }

    public func sanityCheck(_ input: Tensor, method: SaliencyMethod, target: Int? = nil,
                            options: SaliencyOptions = SaliencyOptions(), seed: UInt64 = 0,
                            interruption: Interruption? = nil,
                            progress: ((Int, Int) -> Void)? = nil) throws -> SanityCheckResult {
        let original = try saliency(input, target: target, method: method, options: options, interruption: interruption)
        let targetClass = original.targets[0]
        var randomized = self
        var generator = SeededGenerator(seed: seed)
        let layers = Array(weightedLayers.reversed())
        var correlations: [Float] = []
        var maps: [Tensor] = []
        for (k, layer) in layers.enumerated() {
            try interruption?.check()
            guard let node = randomized.graph.node(named: layer) else { continue }
            for name in node.inputs {
                guard let weights = randomized.graph.initializers[name], weights.rank >= 1 else { continue }
                let std = max(1e-3, standardDeviation(weights))
                randomized.graph.initializers[name] = Tensor.random(weights.shape, .normal(mean: 0, std: std), using: &generator)
            }
            let map = try randomized.saliency(input, target: targetClass, method: method, options: options,
                                              interruption: interruption).map
            maps.append(map.reshaped(Array(map.shape.dropFirst())))
            correlations.append(spearman(original.map.scalars, map.scalars))
            progress?(k + 1, layers.count)
        }
        return SanityCheckResult(layers: layers, rankCorrelations: correlations,
                                 originalMap: original.map.reshaped(Array(original.map.shape.dropFirst())),
                                 randomizedMaps: maps)
    }
}

func standardDeviation(_ t: Tensor) -> Float {
    let values = t.scalars
    guard values.count > 1 else { return 0 }
    let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
    let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
    return Float(variance.squareRoot())
}

/// Spearman's ρ: Pearson correlation of the ranks (ties get their average rank).
public func spearman(_ a: [Float], _ b: [Float]) -> Float {
    func ranks(_ v: [Float]) -> [Double] {
        let order = v.indices.sorted { v[$0] < v[$1] }
        var r = [Double](repeating: 0, count: v.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
            for k in i...j { r[order[k]] = Double(i + j) / 2 }
            i = j + 1
        }
        return r
    }
    let (ra, rb) = (ranks(a), ranks(b))
    let n = Double(a.count)
    let (ma, mb) = (ra.reduce(0, +) / n, rb.reduce(0, +) / n)
    var (sab, saa, sbb) = (0.0, 0.0, 0.0)
    for i in 0..<a.count {
        sab += (ra[i] - ma) * (rb[i] - mb)
        saa += (ra[i] - ma) * (ra[i] - ma)
        sbb += (rb[i] - mb) * (rb[i] - mb)
    }
    return saa > 0 && sbb > 0 ? Float(sab / (saa * sbb).squareRoot()) : 0
}
