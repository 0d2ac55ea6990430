import COpenBLAS

/// LAPACK returned a nonzero `info` (negative: bad argument; positive: no convergence).
public struct LAPACKError: Error, Equatable, Sendable {
    public var routine: String
    public var info: Int32
}

/// The one place the engine calls OpenBLAS (and its LAPACK). Row-major single-precision GEMM, SYRK, the
/// symmetric eigensolver, and thread control. GEMMs hold `BatchParallel`'s lock shared, so the
/// (process-global) thread count never changes under them.
public enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, all row-major; op(A) is m×k, op(B) is k×n, C is m×n.
    /// `lda`, `ldb`, `ldc` are the row strides of A, B, C as stored (before transposition).
    @inline(__always)
    public static func sgemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // BLAS would still scale C by beta; do the same explicitly.
            for row in 0..<m {
                for col in 0..<n { c[row * ldc + col] = beta == 0 ? 0 : beta * c[row * ldc + col] }
            }
            return
        }
        BatchParallel.outsideRegions {
            cblas_sgemm(
                CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }

    /// y += alpha · x over `count` contiguous floats.
    @inline(__always)
    public static func saxpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
    }

    /// Number of threads OpenBLAS uses for one call.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// Upper triangle of C[d×d] = alpha · Xᵀ X + beta · C for X row-major n×d (a covariance's Gram matrix, or a
    /// block of rows added to one); the strict lower triangle of C is left as it was.
    public static func gramUpper(_ x: UnsafePointer<Float>, n: Int, d: Int, alpha: Float, beta: Float = 0,
                                 c: UnsafeMutablePointer<Float>) {
        guard n > 0, d > 0 else { return }
        BatchParallel.outsideRegions {
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(n), alpha, x, Int32(d), beta, c, Int32(d))
        }
    }

    /// Eigen-decomposition of a symmetric d×d matrix (row-major, upper triangle used) by LAPACK `ssyevd`.
    /// Returns the eigenvalues ascending and the eigenvectors as the ROWS of a d×d row-major matrix.
    public static func symmetricEigen(_ matrix: [Float], d: Int) throws -> (values: [Float], vectors: [Float]) {
        try BatchParallel.outsideRegions { try symmetricEigenUnlocked(matrix, d: d) }
    }

    private static func symmetricEigenUnlocked(_ matrix: [Float], d: Int) throws -> (values: [Float], vectors: [Float]) {
        // Row-major upper == column-major lower: LAPACK sees the transpose, the same matrix since symmetric.
        var a = matrix
        var w = [Float](repeating: 0, count: d)
        var n = Int32(d), lda = Int32(max(1, d)), info: Int32 = 0
        var jobz = Int8(UInt8(ascii: "V")), uplo = Int8(UInt8(ascii: "L"))
        var lwork: Int32 = -1, liwork: Int32 = -1
        var workQuery: Float = 0
        var iworkQuery: Int32 = 0
        ssyevd_(&jobz, &uplo, &n, &a, &lda, &w, &workQuery, &lwork, &iworkQuery, &liwork, &info)
        guard info == 0 else { throw LAPACKError(routine: "ssyevd", info: info) }
        lwork = Int32(workQuery)
        liwork = iworkQuery
        var work = [Float](repeating: 0, count: Int(max(1, lwork)))
        var iwork = [Int32](repeating: 0, count: Int(max(1, liwork)))
        ssyevd_(&jobz, &uplo, &n, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else { throw LAPACKError(routine: "ssyevd", info: info) }
        // Column-major eigenvectors (column j = vector j) are, read row-major, the rows wanted.
        return (w, a)
    }
}
