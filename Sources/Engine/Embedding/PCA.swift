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

        // Mean in Double (70k rows of floats would otherwise lose digits).
        var meanD = [Double](repeating: 0, count: cols)
        x.withUnsafeBufferPointer { xp in
            for r in 0..<rows {
                let row = xp.baseAddress! + r * cols
                for c in 0..<cols { meanD[c] += Double(row[c]) }
            }
        }
        let mean = meanD.map { Float($0 / Double(rows)) }
        var centred = [Float](repeating: 0, count: rows * cols)
        x.withUnsafeBufferPointer { xp in
            centred.withUnsafeMutableBufferPointer { cp in
                let src0 = xp.baseAddress!, dst0 = cp.baseAddress!
                EmbeddingParallel.forEachChunk(count: rows) { range in
                    for r in range {
                        let src = src0 + r * cols, dst = dst0 + r * cols
                        for c in 0..<cols { dst[c] = src[c] - mean[c] }
                    }
                }
            }
        }
        var cov = [Float](repeating: 0, count: cols * cols)
        centred.withUnsafeBufferPointer { cp in
            cov.withUnsafeMutableBufferPointer { cv in
                BLAS.gramUpper(cp.baseAddress!, n: rows, d: cols, alpha: 1 / Float(rows - 1), c: cv.baseAddress!)
            }
        }
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
        var projected = [Float](repeating: 0, count: rows * k)
        centred.withUnsafeBufferPointer { cp in
            components.withUnsafeBufferPointer { vp in
                projected.withUnsafeMutableBufferPointer { pp in
                    BLAS.sgemm(transB: true, m: rows, n: k, k: cols, a: cp.baseAddress!, lda: cols,
                               b: vp.baseAddress!, ldb: cols, c: pp.baseAddress!, ldc: k)
                }
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
}
