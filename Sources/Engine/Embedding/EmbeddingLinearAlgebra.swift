import COpenBLAS

/// The few BLAS/LAPACK calls the embedding code needs, in one place so they can later be folded into the
/// engine's single OpenBLAS wrapper. All matrices are row-major `[Float]`. Each call holds `BatchParallel`'s
/// lock shared, so a batch-parallel region elsewhere cannot switch OpenBLAS's thread count under it.
public enum EmbeddingLinearAlgebraError: Error, Equatable, Sendable {
    /// LAPACK returned a nonzero `info` (negative: bad argument; positive: no convergence).
    case lapack(routine: String, info: Int32)
}

enum EmbeddingLinearAlgebra {
    /// C[m×n] = alpha · A[m×k] · B[n×k]ᵀ + beta · C   (B given row-major as n×k, i.e. "A times B transposed").
    static func gemmABt(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0, lda: Int? = nil, ldb: Int? = nil
    ) {
        BatchParallel.outsideRegions {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, blasint(m), blasint(n), blasint(k), alpha,
                a, blasint(lda ?? k), b, blasint(ldb ?? k), beta, c, blasint(n))
        }
    }

    /// C[m×n] = A[m×k] · B[k×n].
    static func gemmAB(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
    ) {
        BatchParallel.outsideRegions {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k), alpha,
                a, blasint(k), b, blasint(n), beta, c, blasint(n))
        }
    }

    /// Upper triangle of C[d×d] = alpha · Xᵀ X for X row-major n×d (the covariance's Gram matrix).
    static func gramUpper(_ x: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, n: Int, d: Int, alpha: Float) {
        BatchParallel.outsideRegions {
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, blasint(d), blasint(n), alpha, x, blasint(d), 0, c, blasint(d))
        }
    }

    /// Eigen-decomposition of a symmetric d×d matrix (row-major, upper triangle used) by `ssyevd`.
    /// Returns eigenvalues ascending and eigenvectors as the ROWS of a d×d row-major matrix.
    static func symmetricEigen(_ matrix: [Float], d: Int) throws -> (values: [Float], vectors: [Float]) {
        // Row-major upper == column-major lower: LAPACK sees the transpose, same matrix since symmetric.
        var a = matrix
        var w = [Float](repeating: 0, count: d)
        var n = Int32(d), lda = Int32(d), info: Int32 = 0
        var jobz = Int8(UInt8(ascii: "V")), uplo = Int8(UInt8(ascii: "L"))
        var lwork: Int32 = -1, liwork: Int32 = -1
        var workQuery: Float = 0
        var iworkQuery: Int32 = 0
        ssyevd_(&jobz, &uplo, &n, &a, &lda, &w, &workQuery, &lwork, &iworkQuery, &liwork, &info)
        guard info == 0 else { throw EmbeddingLinearAlgebraError.lapack(routine: "ssyevd", info: info) }
        lwork = Int32(workQuery)
        liwork = iworkQuery
        var work = [Float](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        BatchParallel.outsideRegions { ssyevd_(&jobz, &uplo, &n, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info) }
        guard info == 0 else { throw EmbeddingLinearAlgebraError.lapack(routine: "ssyevd", info: info) }
        // Column-major eigenvectors (column j = vector j) are, read row-major, the rows we want.
        return (w, a)
    }
}
