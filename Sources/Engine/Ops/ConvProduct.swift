import Foundation
import Microkernels

/// The product inside one part of a convolution (`ConvSingleImage`): the engine's own AVX-512 GEMM
/// (`OrderedProduct`) where the CPU has AVX-512, else OpenBLAS. The own product adds the bias and rectifies in its
/// registers, needs no packed copy of the weights, and sums every output in the order of k alone, so the parts of
/// an image give the same bytes however they are cut.
enum ConvProduct {
    /// Off: every part goes to OpenBLAS (`FOVEA_ORDERED_GEMM=0` in the environment, for benchmarks comparing the two).
    /// Not for switching while convolutions run.
    nonisolated(unsafe) static var ownIsEnabled =
        InstructionSet.hasAVX512 && ProcessInfo.processInfo.environment["FOVEA_ORDERED_GEMM"] != "0"

    /// Whether equal columns of B always give equal columns of the product, so that neighbouring positions with
    /// identical input patches get bit-identical outputs without `IdenticalPatches` (true of the own product, which
    /// sums every column alike; OpenBLAS's kernels round column blocks differently). A patch that differs from its
    /// twin only in the sign of a zero gives the same sum but, when every product is zero, a zero of another sign —
    /// still a tie for a max pool.
    static var givesIdenticalPatchesIdenticalOutputs: Bool { ownIsEnabled }

    /// Y [m, n] (row stride ldc) = bias + W [m, k] · B [k, n], then max(·, 0) when `rectified`.
    static func forward(
        m: Int, n: Int, k: Int, w: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int,
        y: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, rectified: Bool
    ) {
        if ownIsEnabled {
            OrderedProduct.multiply(
                m: m, n: n, k: k, a: w, rowStride: k, depthStride: 1, b: b, ldb: ldb, c: y, ldc: ldc,
                initial: bias, rectified: rectified)
            return
        }
        // The bias is written first and the product added to it (β = 1): OpenBLAS would otherwise clear the
        // band (β = 0) before adding the product, and the bias would take a third pass over it.
        if let bias {
            for o in 0..<m { (y + o * ldc).update(repeating: bias[o], count: n) }
        }
        BLAS.sgemm(m: m, n: n, k: k, a: w, lda: k, b: b, ldb: ldb, beta: bias == nil ? 0 : 1, c: y, ldc: ldc)
        if rectified {
            for o in 0..<m { rectify(y + o * ldc, into: y + o * ldc, 0..<n) }
        }
    }

    /// C [m, n] (row stride ldc) = Aᵀ · B for A [k, m] with row stride lda and B [k, n]: the columns of an input
    /// gradient, Wᵀ·dY.
    static func transposed(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if ownIsEnabled {
            OrderedProduct.multiply(
                m: m, n: n, k: k, a: a, rowStride: 1, depthStride: lda, b: b, ldb: ldb, c: c, ldc: ldc,
                initial: nil, rectified: false)
        } else {
            BLAS.sgemm(transA: true, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
        }
    }
}
