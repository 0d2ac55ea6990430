/// Principal component analysis of a row-major N×D `[Float]` matrix.
///
/// Exact: the D×D covariance by `ssyrk` on centred data, eigenvectors by LAPACK `ssyevd`.
/// Signs are fixed so that each component's largest-magnitude loading is positive, which makes the
/// output bytes reproducible across runs and machines with the same BLAS.
public struct PCAResult: Sendable {
    /// Number of components kept (k).
    public var dimensions: Int
    /// k×D principal axes, row-major, unit length.
    public var components: [Float]
    /// Column means of the input (length D).
    public var mean: [Float]
    /// Variance along each component (eigenvalues of the covariance, descending, length k).
    public var explainedVariance: [Float]
    /// explainedVariance / total variance (length k).
    public var explainedVarianceRatio: [Float]
    /// N×k projections (divided by sqrt(explainedVariance) when whitened).
    public var projected: [Float]
}

public enum PCAError: Error, Equatable, Sendable {
    case badShape(rows: Int, cols: Int, count: Int)
    case badDimensions(requested: Int, available: Int)
    case tooFewRows(Int)
}

public enum PCA {
    /// - Parameters: x row-major rows×cols; dimensions k with 1 ≤ k ≤ cols; whiten divides each projection by
    ///   its standard deviation (unit variance components).
    /// - Throws: `PCAError` on inconsistent shapes; `LAPACKError` if LAPACK fails.
    public static func fit(
        _ x: [Float], rows: Int, cols: Int, dimensions k: Int, whiten: Bool = false
    ) throws -> PCAResult {
        guard rows > 0, cols > 0, x.count == rows * cols else {
            throw PCAError.badShape(rows: rows, cols: cols, count: x.count)
        }
        guard rows >= 2 else { throw PCAError.tooFewRows(rows) }
        guard k >= 1, k <= cols else { throw PCAError.badDimensions(requested: k, available: cols) }

        let mean = columnMeans(x, rows: rows, cols: cols)
        let cov = covariance(x, rows: rows, cols: cols, mean: mean)
        var total: Double = 0
        for c in 0..<cols { total += Double(cov[c * cols + c]) }
        let (values, vectors) = try BLAS.symmetricEigen(cov, d: cols)

        var components = [Float](repeating: 0, count: k * cols)
        var variance = [Float](repeating: 0, count: k)
        for j in 0..<k {
            let src = cols - 1 - j  // ssyevd sorts ascending
            variance[j] = max(0, values[src])
            var best = 0
            for c in 0..<cols where abs(vectors[src * cols + c]) > abs(vectors[src * cols + best]) { best = c }
            let sign: Float = vectors[src * cols + best] < 0 ? -1 : 1
            for c in 0..<cols { components[j * cols + c] = sign * vectors[src * cols + c] }
        }
        // (x − μ)·V = x·V − μ·V: one GEMM on the input as it is (no centred copy of it).
        var projected = [Float](repeating: 0, count: rows * k)
        x.withUnsafeBufferPointer { xp in
            components.withUnsafeBufferPointer { vp in
                projected.withUnsafeMutableBufferPointer { pp in
                    BLAS.sgemm(transB: true, m: rows, n: k, k: cols, a: xp.baseAddress!, lda: cols,
                               b: vp.baseAddress!, ldb: cols, c: pp.baseAddress!, ldc: k)
                }
            }
        }
        let shift = (0..<k).map { j -> Float in
            var s = 0.0
            for c in 0..<cols { s += Double(mean[c]) * Double(components[j * cols + c]) }
            return Float(s)
        }
        projected.withUnsafeMutableBufferPointer { pp in
            let out = pp.baseAddress!
            EmbeddingParallel.forEachChunk(count: rows) { range in
                for r in range { for j in 0..<k { out[r * k + j] -= shift[j] } }
            }
        }
        if whiten {
            let scale = variance.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
            for r in 0..<rows { for j in 0..<k { projected[r * k + j] *= scale[j] } }
        }
        let ratio = variance.map { total > 0 ? Float(Double($0) / total) : 0 }
        return PCAResult(dimensions: k, components: components, mean: mean, explainedVariance: variance,
                         explainedVarianceRatio: ratio, projected: projected)
    }

    /// Column means, summed in Double (70k rows of floats would otherwise lose digits) over fixed row chunks
    /// combined in order.
    static func columnMeans(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        let parts = x.withUnsafeBufferPointer { xp in
            EmbeddingParallel.mapChunks(count: rows) { range -> [Double] in
                var sums = [Double](repeating: 0, count: cols)
                for r in range {
                    let row = xp.baseAddress! + r * cols
                    for c in 0..<cols { sums[c] += Double(row[c]) }
                }
                return sums
            }
        }
        var total = [Double](repeating: 0, count: cols)
        for part in parts { for c in 0..<cols { total[c] += part[c] } }
        return total.map { Float($0 / Double(rows)) }
    }

    /// Rows centred per block.
    static let covarianceBlock = 256

    /// Upper triangle of the covariance (1/(n−1)) Σ (x − μ)(x − μ)ᵀ. The two halves of the rows go to the two
    /// cores; each centres blocks of `covarianceBlock` rows into a small buffer (no centred copy of the whole
    /// input) and adds their Gram matrix with a single-threaded SYRK. Always two halves, summed in order, so
    /// the bytes do not depend on the core count.
    static func covariance(_ x: [Float], rows: Int, cols: Int, mean: [Float]) -> [Float] {
        let halves = 2
        let alpha = 1 / Float(rows - 1)
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: halves * cols * cols)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0, count: halves * cols * cols)
        x.withUnsafeBufferPointer { xp in
            mean.withUnsafeBufferPointer { mp in
                let x0 = xp.baseAddress!, mu = mp.baseAddress!
                BatchParallel.run(halves) { _, range in
                    let block = UnsafeMutablePointer<Float>.allocate(capacity: covarianceBlock * cols)
                    defer { block.deallocate() }
                    for h in range {
                        let c = partial + h * cols * cols
                        let lo = h * rows / halves, hi = (h + 1) * rows / halves
                        for r0 in stride(from: lo, to: hi, by: covarianceBlock) {
                            let rn = min(covarianceBlock, hi - r0)
                            for r in 0..<rn {
                                let src = x0 + (r0 + r) * cols, dst = block + r * cols
                                for j in 0..<cols { dst[j] = src[j] - mu[j] }
                            }
                            BLAS.gramUpper(block, n: rn, d: cols, alpha: alpha, beta: r0 == lo ? 0 : 1, c: c)
                        }
                    }
                }
            }
        }
        var cov = [Float](repeating: 0, count: cols * cols)
        for i in 0..<cols {
            for j in i..<cols {
                var s: Float = 0
                for h in 0..<halves { s += partial[h * cols * cols + i * cols + j] }
                cov[i * cols + j] = s
            }
        }
        return cov
    }
}
