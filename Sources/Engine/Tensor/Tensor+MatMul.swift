extension Tensor {
    /// Matrix product with NumPy `matmul` semantics: rank-1 operands are promoted (and the added axis removed),
    /// leading (batch) axes broadcast. Each matrix product is one `cblas_sgemm`.
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard rank >= 1, other.rank >= 1 else {
            throw ShapeError("matmul needs rank ≥ 1, got \(shape) and \(other.shape)")
        }
        let a = rank == 1 ? reshaped([1, shape[0]]) : self
        let b = other.rank == 1 ? other.reshaped([other.shape[0], 1]) : other
        let m = a.shape[a.rank - 2]
        let k = a.shape[a.rank - 1]
        let k2 = b.shape[b.rank - 2]
        let n = b.shape[b.rank - 1]
        guard k == k2 else { throw ShapeError("matmul: inner extents differ in \(shape) × \(other.shape)") }
        let batch = try Broadcast.shape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)))
        let aFull = try a.broadcast(to: batch + [m, k])
        let bFull = try b.broadcast(to: batch + [k, n])
        let batchCount = Tensor.count(of: batch)
        var result = Tensor(uninitializedShape: batch + [m, n])
        aFull.withUnsafeBufferPointer { pa in
            bFull.withUnsafeBufferPointer { pb in
                result.withUnsafeMutableBufferPointer { pc in
                    for i in 0..<batchCount {
                        BLAS.sgemm(
                            m: m, n: n, k: k, a: pa.baseAddress! + i * m * k, lda: k,
                            b: pb.baseAddress! + i * k * n, ldb: n, c: pc.baseAddress! + i * m * n, ldc: n)
                    }
                }
            }
        }
        var outShape = batch + [m, n]
        if other.rank == 1 { outShape.removeLast() }
        if rank == 1 { outShape.remove(at: outShape.count - (other.rank == 1 ? 1 : 2)) }
        return result.reshaped(outShape)
    }
}
