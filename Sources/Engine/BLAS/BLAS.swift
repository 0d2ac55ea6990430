import COpenBLAS

/// The one place the engine calls OpenBLAS. Row-major single-precision GEMM and thread control. GEMMs hold
/// `BatchParallel`'s lock shared, so the (process-global) thread count never changes under them.
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
}
