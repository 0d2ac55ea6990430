/// Y = alpha · op(A) · op(B) + beta · C (ONNX Gemm; PyTorch Linear is Gemm with transB = 1).
/// op(A) is [M, K], op(B) is [K, N], optional C broadcasts to [M, N].
public struct Gemm: Operator {
    public var alpha: Float
    public var beta: Float
    public var transA: Bool
    public var transB: Bool
    public var opType: String { "Gemm" }

    public init(alpha: Float = 1, beta: Float = 1, transA: Bool = false, transB: Bool = false) {
        self.alpha = alpha
        self.beta = beta
        self.transA = transA
        self.transB = transB
    }

    func dims(_ a: [Int], _ b: [Int], _ c: [Int]?) throws -> (m: Int, k: Int, n: Int) {
        guard a.count == 2, b.count == 2 else { throw ShapeError("Gemm needs 2-D A and B; got \(a) and \(b)") }
        let (m, k) = transA ? (a[1], a[0]) : (a[0], a[1])
        let (k2, n) = transB ? (b[1], b[0]) : (b[0], b[1])
        guard k == k2 else { throw ShapeError("Gemm: op(A) is [\(m), \(k)] but op(B) is [\(k2), \(n)]") }
        if let c, try Broadcast.shape(c, [m, n]) != [m, n] {
            throw ShapeError("Gemm: C \(c) doesn't broadcast to [\(m), \(n)]")
        }
        return (m, k, n)
    }

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let d = try dims(try shapes.required(0), try shapes.required(1), shapes.count > 2 ? shapes[2] : nil)
        return [[d.m, d.n]]
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        let a = try inputs.required(0)
        let b = try inputs.required(1)
        let c = inputs.optional(2)
        let d = try dims(a.shape, b.shape, c?.shape)
        var y: Tensor
        if let c, beta != 0 {
            y = try c.broadcast(to: [d.m, d.n])
            if beta != 1 { y = y * beta }
        } else {
            y = Tensor.zeros([d.m, d.n])
        }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                y.withUnsafeMutableBufferPointer { py in
                    Self.product(
                        transA: transA, transB: transB, m: d.m, n: d.n, k: d.k, alpha: alpha,
                        a: pa.baseAddress!, lda: a.shape[1], b: pb.baseAddress!, ldb: b.shape[1],
                        beta: 1, c: py.baseAddress!, ldc: d.n)
                }
            }
        }
        return [y]
    }

    public func backward(_ ctx: BackwardContext) throws -> [Tensor?] {
        let a = try ctx.input(0)
        let b = try ctx.input(1)
        let cShape = ctx.inputShapes.count > 2 ? ctx.inputShapes[2] : nil
        let d = try dims(a.shape, b.shape, cShape)
        let g = ctx.outputGradient()
        var da: Tensor?
        var db: Tensor?
        var dc: Tensor?
        g.withUnsafeBufferPointer { pg in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    if ctx.needs(0) {
                        var out = Tensor(uninitializedShape: a.shape)
                        out.withUnsafeMutableBufferPointer { po in
                            if !transA {  // dA [M,K] = α dY [M,N] · op(B)ᵀ [N,K]
                                Self.product(
                                    transA: false, transB: !transB, m: d.m, n: d.k, k: d.n, alpha: alpha,
                                    a: pg.baseAddress!, lda: d.n, b: pb.baseAddress!, ldb: b.shape[1],
                                    c: po.baseAddress!, ldc: d.k)
                            } else {  // dA [K,M] = α op(B) [K,N] · dYᵀ [N,M]
                                Self.product(
                                    transA: transB, transB: true, m: d.k, n: d.m, k: d.n, alpha: alpha,
                                    a: pb.baseAddress!, lda: b.shape[1], b: pg.baseAddress!, ldb: d.n,
                                    c: po.baseAddress!, ldc: d.m)
                            }
                        }
                        da = out
                    }
                    if ctx.needs(1) {
                        var out = Tensor(uninitializedShape: b.shape)
                        out.withUnsafeMutableBufferPointer { po in
                            if !transB {  // dB [K,N] = α op(A)ᵀ [K,M] · dY [M,N]
                                Self.product(
                                    transA: !transA, transB: false, m: d.k, n: d.n, k: d.m, alpha: alpha,
                                    a: pa.baseAddress!, lda: a.shape[1], b: pg.baseAddress!, ldb: d.n,
                                    c: po.baseAddress!, ldc: d.n)
                            } else {  // dB [N,K] = α dYᵀ [N,M] · op(A) [M,K]
                                Self.product(
                                    transA: true, transB: transA, m: d.n, n: d.k, k: d.m, alpha: alpha,
                                    a: pg.baseAddress!, lda: d.n, b: pa.baseAddress!, ldb: a.shape[1],
                                    c: po.baseAddress!, ldc: d.k)
                            }
                        }
                        db = out
                    }
                }
            }
        }
        if let cShape, ctx.needs(2) { dc = (g * beta).sumToShape(cShape) }
        return [da, db, dc]
    }
    public func backwardReadsInput(_ i: Int) -> Bool { i < 2 }
    public var backwardReadsOutputs: Bool { false }

    /// `BLAS.sgemm`, except in a training step (`TrainingKernels`), where a product big enough for OpenBLAS to
    /// thread is split by output columns between the cores, each block on one BLAS thread: OpenBLAS's own
    /// threads, once woken by a layer, spin for ~0.1 s (longer than a 64-image step) beside the batch workers
    /// of the layers around it (a fashion-cnn epoch took 20–25 % less CPU when they slept at once). The split
    /// depends only on the shape, so results stay the same from run to run.
    @inline(__always)
    static func product(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        // Below 2^18 multiply-adds OpenBLAS runs single-threaded anyway.
        guard TrainingKernels.areAllowed, m * n * k > 1 << 18 else {
            BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
                       ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        BatchParallel.run(n) { _, columns in
            BLAS.sgemm(
                transA: transA, transB: transB, m: m, n: columns.count, k: k, alpha: alpha, a: a, lda: lda,
                b: b + columns.lowerBound * (transB ? ldb : 1), ldb: ldb, beta: beta, c: c + columns.lowerBound,
                ldc: ldc)
        }
    }
}

/// NumPy-style matrix product (ONNX MatMul): batch axes broadcast, rank-1 operands promoted.
public struct MatMul: Operator {
    public var opType: String { "MatMul" }
    public init() {}

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let a = try shapes.required(0)
        let b = try shapes.required(1)
        // Cheap: multiply empty-data stand-ins would allocate; compute the shape directly.
        guard !a.isEmpty, !b.isEmpty else { throw ShapeError("MatMul needs rank ≥ 1") }
        let a2 = a.count == 1 ? [1, a[0]] : a
        let b2 = b.count == 1 ? [b[0], 1] : b
        guard a2[a2.count - 1] == b2[b2.count - 2] else { throw ShapeError("MatMul: \(a) × \(b) inner extents differ") }
        var out =
            try Broadcast.shape(Array(a2.dropLast(2)), Array(b2.dropLast(2))) + [a2[a2.count - 2], b2[b2.count - 1]]
        if b.count == 1 { out.removeLast() }
        if a.count == 1 { out.remove(at: out.count - (b.count == 1 ? 1 : 2)) }
        return [out]
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        [try inputs.required(0).matmul(try inputs.required(1))]
    }

    public func backward(_ c: BackwardContext) throws -> [Tensor?] {
        let a = try c.input(0)
        let b = try c.input(1)
        let a2 = a.rank == 1 ? a.reshaped([1, a.shape[0]]) : a
        let b2 = b.rank == 1 ? b.reshaped([b.shape[0], 1]) : b
        // Restore the promoted axes on the gradient: [..., M, N].
        var gShape = try Broadcast.shape(Array(a2.shape.dropLast(2)), Array(b2.shape.dropLast(2)))
        gShape += [a2.shape[a2.rank - 2], b2.shape[b2.rank - 1]]
        let g = try c.outputGradient().reshaped(to: gShape)
        func swapLast(_ t: Tensor) throws -> Tensor {
            var p = Array(0..<t.rank)
            p.swapAt(t.rank - 1, t.rank - 2)
            return try t.transposed(p)
        }
        var da: Tensor?
        var db: Tensor?
        if c.needs(0) { da = try g.matmul(try swapLast(b2)).sumToShape(a2.shape).reshaped(to: a.shape) }
        if c.needs(1) { db = try swapLast(a2).matmul(g).sumToShape(b2.shape).reshaped(to: b.shape) }
        return [da, db]
    }
    public var backwardReadsOutputs: Bool { false }
}
