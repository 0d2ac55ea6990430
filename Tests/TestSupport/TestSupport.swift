/// Seeded RNGs and tolerances shared by the test targets.
import Engine

public enum TestSupport {
    /// A deterministic generator for a test (same seed, same tensors, every run).
    public static func generator(_ seed: UInt64) -> SeededGenerator { SeededGenerator(seed: seed) }

    /// Normal(0, 1) tensor from `seed`.
    public static func randn(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
        Tensor.random(shape, .normal(mean: 0, std: std), seed: seed)
    }

    /// A tensor whose elements are distinct and at least `spacing` apart (a shuffled ramp): max-pooling and
    /// rectifiers then have no ties or kinks within a finite-difference step.
    public static func distinct(_ shape: [Int], seed: UInt64, spacing: Float = 0.01) -> Tensor {
        let n = Tensor.count(of: shape)
        var g = SeededGenerator(seed: seed)
        var values = (0..<n).map { (Float($0) - Float(n) / 2) * spacing }
        for i in stride(from: n - 1, to: 0, by: -1) { values.swapAt(i, g.nextInt(below: i + 1)) }
        // Keep away from 0 so rectifier kinks at 0 are never straddled.
        values = values.map { $0 >= 0 ? $0 + spacing / 2 : $0 - spacing / 2 }
        return Tensor(shape: shape, data: values)
    }
}

/// Largest element-wise violation of |a − b| ≤ atol + rtol·|b|, for messages.
public struct Closeness: CustomStringConvertible {
    public var passed: Bool
    public var maxAbsoluteError: Float
    public var worstIndex: Int
    public var description: String {
        "\(passed ? "close" : "NOT close"): max |Δ| = \(maxAbsoluteError) at flat index \(worstIndex)"
    }
}

/// Same shape and |a − b| ≤ atol + rtol·|b| everywhere (NaN never passes).
public func allClose(_ a: Tensor, _ b: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6) -> Bool {
    closeness(a, b, rtol: rtol, atol: atol).passed
}

public func closeness(_ a: Tensor, _ b: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6) -> Closeness {
    guard a.shape == b.shape else { return Closeness(passed: false, maxAbsoluteError: .infinity, worstIndex: -1) }
    let x = a.scalars, y = b.scalars
    var passed = true, worst: Float = 0, worstIndex = 0
    for i in 0..<x.count {
        let d = abs(x[i] - y[i])
        if !(d <= atol + rtol * abs(y[i])) { passed = false }
        if d > worst || d.isNaN { worst = d; worstIndex = i }
    }
    return Closeness(passed: passed, maxAbsoluteError: worst, worstIndex: worstIndex)
}

/// Compares an operator's analytic backward with central finite differences of the scalar
/// L = Σ_outputs Σ R ⊙ y (R a fixed random projection, accumulated in Double).
public struct GradientCheck: CustomStringConvertible {
    public var worst: String = ""
    public var maxError: Double = 0
    public var checked = 0
    public var passed = true
    public var description: String {
        "\(passed ? "passed" : "FAILED") (\(checked) elements checked, max scaled error \(maxError)) \(worst)"
    }

    /// - Parameters:
    ///   - wrt: input indices to check (default: all present).
    ///   - samples: at most this many elements checked per input (randomly chosen, seeded).
    ///   - eps: finite-difference step; tolerance is |num − ana| ≤ atol + rtol·max(|num|, |ana|).
    public static func run(_ op: any Operator, inputs: [Tensor?], wrt: [Int]? = nil, rule: ReluBackwardRule = .plain,
                           eps: Float = 1e-2, rtol: Double = 1e-2, atol: Double = 1e-3, samples: Int = 48,
                           seed: UInt64 = 7) throws -> GradientCheck {
        var g = SeededGenerator(seed: seed)
        let outputs = try op.forward(inputs)
        let projections = outputs.map { Tensor.random($0.shape, .normal(mean: 0, std: 1), using: &g) }
        func objective(_ args: [Tensor?]) throws -> Double {
            let ys = try op.forward(args)
            var total = 0.0
            for (y, r) in zip(ys, projections) {
                let a = y.scalars, b = r.scalars
                for i in 0..<a.count { total += Double(a[i]) * Double(b[i]) }
            }
            return total
        }
        let targets = wrt ?? inputs.indices.filter { inputs[$0] != nil }
        let needs = inputs.indices.map { targets.contains($0) }
        let analytic = try op.backward(BackwardContext(inputs: inputs, outputs: outputs,
                                                       outputGradients: projections.map { $0 },
                                                       needsInputGradient: needs, reluRule: rule))
        var result = GradientCheck()
        for k in targets {
            guard let x = inputs[k] else { continue }
            guard k < analytic.count, let ana = analytic[k] else {
                result.passed = false
                result.worst = "no gradient for input \(k)"
                continue
            }
            guard ana.shape == x.shape else {
                result.passed = false
                result.worst = "gradient shape \(ana.shape) for input \(k) of shape \(x.shape)"
                continue
            }
            let a = ana.scalars
            var indices = Array(0..<x.count)
            if indices.count > samples {
                for i in stride(from: indices.count - 1, to: 0, by: -1) { indices.swapAt(i, g.nextInt(below: i + 1)) }
                indices = Array(indices.prefix(samples))
            }
            for i in indices {
                var plus = inputs, minus = inputs
                var xp = x, xm = x
                xp.withUnsafeMutableBufferPointer { $0[i] += eps }
                xm.withUnsafeMutableBufferPointer { $0[i] -= eps }
                plus[k] = xp
                minus[k] = xm
                // The step actually taken in float32.
                let step = Double(xp.scalars[i]) - Double(xm.scalars[i])
                let numeric = (try objective(plus) - objective(minus)) / step
                let analyticValue = Double(a[i])
                let error = abs(numeric - analyticValue)
                let allowed = atol + rtol * max(abs(numeric), abs(analyticValue))
                result.checked += 1
                let scaled = error / allowed
                if scaled > result.maxError {
                    result.maxError = scaled
                    result.worst = "input \(k) element \(i): numeric \(numeric) analytic \(analyticValue)"
                }
                if !(error <= allowed) { result.passed = false }
            }
        }
        return result
    }
}
