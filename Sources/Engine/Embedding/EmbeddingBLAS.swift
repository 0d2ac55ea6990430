import COpenBLAS

/// BLAS calls only the embedding code needs (next to `BLAS`, which has the engine's common ones).
enum EmbeddingBLAS {
    /// Upper triangle of C[d×d] = alpha · Xᵀ X + beta · C for X row-major n×d (rows of a block of centred data
    /// added to a Gram matrix).
    static func gramUpper(_ x: UnsafePointer<Float>, n: Int, d: Int, alpha: Float, beta: Float,
                          c: UnsafeMutablePointer<Float>) {
        guard n > 0, d > 0 else { return }
        BatchParallel.outsideRegions {
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(n), alpha, x, Int32(d), beta, c, Int32(d))
        }
    }
}
