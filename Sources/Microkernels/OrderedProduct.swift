/// C = A·B in single precision on one thread, with AVX-512 registers, for the convolutions of one image: the
/// engine's own GEMM for the small-K products of `ConvSingleImage` (K = 16 … 576), where OpenBLAS's Haswell kernels
/// (what `OPENBLAS_CORETYPE=Haswell` selects on the development machines) use half the register width an AVX-512 CPU
/// has, and repack the weights at every call.
///
/// Every C[i, j] is one fixed sum: it starts at `initial[i]` (or 0), adds A[i, k]·B[k, j] for k = 0, 1, …, K − 1
/// in that order, each as one fused multiply-add, and is rectified (max(·, 0), NaN → 0) last when asked. The
/// order depends on nothing else — not the tile a column falls in, not the band or core that computes it — so
/// two equal columns of B give equal columns of C, and cutting a product into parts gives the same bytes.
///
/// A is read in place through two strides, so the weights need no packing: A[i, k] = a[i·rowStride + k·depthStride]
/// (W [M, K] row-major: `rowStride` K, `depthStride` 1; its transpose Wᵀ: `rowStride` 1, `depthStride` K). B and C
/// are row-major with row strides `ldb` and `ldc`.
///
/// This module is compiled for AVX-512 (Skylake-AVX512's set: F, CD, BW, DQ, VL) whatever the building CPU; only
/// call it where `InstructionSet` found those extensions.
public enum OrderedProduct {
    /// Rows of C per register tile (eight broadcasts of A per step of k).
    static let tileRows = 8
    /// Columns of C per wide register tile (three 16-float registers per row: 24 accumulators).
    static let wideColumns = 48

    /// Bytes of A one sweep over the columns keeps in cache.
    static let groupBytes = 256 << 10

    /// The width of the tile for the last `rest` (1 … 47) columns after the wide tiles: 16, 32 or 48.
    static func lastTileWidth(_ rest: Int) -> Int { (rest + 15) / 16 * 16 }

    /// C[m × n] = initial + A[m × k] · B[k × n] (see the type's comment); `initial` holds m values or is nil
    /// (zeros).
    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, rowStride: Int, depthStride: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        initial: UnsafePointer<Float>?, rectified: Bool
    ) {
        guard m > 0, n > 0 else { return }
        let fullRowTiles = m / tileRows
        let lastRows = m % tileRows
        let fullWide = n / wideColumns * wideColumns
        let lastColumns = n - fullWide
        let lastWidth = lastColumns > 0 ? lastTileWidth(lastColumns) : 0
        // A ragged last row tile is copied into eight rows (the missing ones zero, as is their initial value) and
        // computed into scratch; a last strip narrower than its tile likewise into the tile's width. The copies hold
        // the same values, so those entries get the same sums as any other.
        let depth = Swift.max(k, 1)
        let raggedA = lastRows > 0 ? UnsafeMutablePointer<Float>.allocate(capacity: tileRows * depth + tileRows) : nil
        let raggedB = lastColumns % 16 != 0 ? UnsafeMutablePointer<Float>.allocate(capacity: depth * lastWidth) : nil
        // Only ragged tiles go through scratch; a product with none (SqueezeNet's 8-row bands of 48-wide strips)
        // allocates nothing for it.
        let scratchC = raggedA != nil || raggedB != nil
            ? UnsafeMutablePointer<Float>.allocate(capacity: tileRows * wideColumns) : nil
        defer {
            raggedA?.deallocate()
            raggedB?.deallocate()
            scratchC?.deallocate()
        }
        var lastInitial: UnsafePointer<Float>? = nil
        if let raggedA {
            let top = fullRowTiles * tileRows
            for d in 0..<k {
                for r in 0..<tileRows {
                    raggedA[d * tileRows + r] = r < lastRows ? a[(top + r) * rowStride + d * depthStride] : 0
                }
            }
            if let initial {
                let values = raggedA + tileRows * k
                for r in 0..<tileRows { values[r] = r < lastRows ? initial[top + r] : 0 }
                lastInitial = UnsafePointer(values)
            }
        }
        if let raggedB {
            for d in 0..<k {
                for col in 0..<lastWidth {
                    raggedB[d * lastWidth + col] = col < lastColumns ? b[d * ldb + fullWide + col] : 0
                }
            }
        }

        /// One strip of columns (`width` 48, 32 or 16) against the row tiles `tiles`, the strip of B staying in cache.
        func strip(
            _ column: Int, width: Int, _ bStrip: UnsafePointer<Float>, _ bStride: Int, keep: Int, _ tiles: Range<Int>
        ) {
            for tile in tiles {
                let ragged = tile == fullRowTiles
                let aTile = ragged ? UnsafePointer(raggedA!) : a + tile * tileRows * rowStride
                let (rs, ds) = ragged ? (1, tileRows) : (rowStride, depthStride)
                let start = ragged ? lastInitial : initial.map { $0 + tile * tileRows }
                let direct = !ragged && keep == width
                let out = direct ? c + tile * tileRows * ldc + column : scratchC!
                let outStride = direct ? ldc : width
                switch width {
                case 48: tile8x48(k, aTile, rs, ds, bStrip, bStride, out, outStride, start, rectified)
                case 32: tile8x32(k, aTile, rs, ds, bStrip, bStride, out, outStride, start, rectified)
                default: tile8x16(k, aTile, rs, ds, bStrip, bStride, out, outStride, start, rectified)
                }
                if !direct {
                    let rows = ragged ? lastRows : tileRows
                    for r in 0..<rows {
                        (c + (tile * tileRows + r) * ldc + column).update(from: out + r * width, count: keep)
                    }
                }
            }
        }
        // Row tiles go in groups whose rows of A fit in a core's L2 cache beside B (SqueezeNet's classifier has 1 MB
        // of weights per band); each group sweeps all the strips.
        let tiles = fullRowTiles + (lastRows > 0 ? 1 : 0)
        let tilesPerGroup = Swift.max(1, groupBytes / (tileRows * Swift.max(k, 1) * MemoryLayout<Float>.size))
        for first in stride(from: 0, to: tiles, by: tilesPerGroup) {
            let group = first..<Swift.min(first + tilesPerGroup, tiles)
            var column = 0
            while column < fullWide {
                strip(column, width: wideColumns, b + column, ldb, keep: wideColumns, group)
                column += wideColumns
            }
            if let raggedB {
                strip(column, width: lastWidth, raggedB, lastWidth, keep: lastColumns, group)
            } else if lastColumns > 0 {
                strip(column, width: lastWidth, b + column, ldb, keep: lastColumns, group)
            }
        }
    }

    @inline(__always)
    static func start(_ initial: UnsafePointer<Float>?, _ r: Int) -> SIMD16<Float> {
        initial.map { SIMD16(repeating: $0[r]) } ?? SIMD16()
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ rectified: Bool) {
        var v = v
        if rectified { v.replace(with: 0, where: .!(v .> 0)) }
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    /// One row's multiply-adds for one step of k: a·b into each accumulator (`a` broadcast).
    @inline(__always)
    static func step(
        _ a: Float, _ b0: SIMD16<Float>, _ b1: SIMD16<Float>, _ b2: SIMD16<Float>,
        _ c0: inout SIMD16<Float>, _ c1: inout SIMD16<Float>, _ c2: inout SIMD16<Float>
    ) {
        let s = SIMD16<Float>(repeating: a)
        c0.addProduct(s, b0)
        c1.addProduct(s, b1)
        c2.addProduct(s, b2)
    }

    @inline(__always)
    static func step(
        _ a: Float, _ b0: SIMD16<Float>, _ b1: SIMD16<Float>, _ c0: inout SIMD16<Float>, _ c1: inout SIMD16<Float>
    ) {
        let s = SIMD16<Float>(repeating: a)
        c0.addProduct(s, b0)
        c1.addProduct(s, b1)
    }

    /// Eight rows × 48 columns of C: per step of k three loads of B and eight broadcasts of A feed 24 multiply-adds.
    static func tile8x48(
        _ k: Int, _ a: UnsafePointer<Float>, _ rs: Int, _ ds: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ initial: UnsafePointer<Float>?, _ rectified: Bool
    ) {
        var c00 = start(initial, 0), c01 = c00, c02 = c00
        var c10 = start(initial, 1), c11 = c10, c12 = c10
        var c20 = start(initial, 2), c21 = c20, c22 = c20
        var c30 = start(initial, 3), c31 = c30, c32 = c30
        var c40 = start(initial, 4), c41 = c40, c42 = c40
        var c50 = start(initial, 5), c51 = c50, c52 = c50
        var c60 = start(initial, 6), c61 = c60, c62 = c60
        var c70 = start(initial, 7), c71 = c70, c72 = c70
        var ap = a
        var bp = b
        for _ in 0..<k {
            let b0 = load(bp), b1 = load(bp + 16), b2 = load(bp + 32)
            step(ap[0], b0, b1, b2, &c00, &c01, &c02); step(ap[rs], b0, b1, b2, &c10, &c11, &c12)
            step(ap[2 * rs], b0, b1, b2, &c20, &c21, &c22); step(ap[3 * rs], b0, b1, b2, &c30, &c31, &c32)
            step(ap[4 * rs], b0, b1, b2, &c40, &c41, &c42); step(ap[5 * rs], b0, b1, b2, &c50, &c51, &c52)
            step(ap[6 * rs], b0, b1, b2, &c60, &c61, &c62); step(ap[7 * rs], b0, b1, b2, &c70, &c71, &c72)
            ap += ds
            bp += ldb
        }
        @inline(__always) func row(_ r: Int, _ v0: SIMD16<Float>, _ v1: SIMD16<Float>, _ v2: SIMD16<Float>) {
            store(v0, c + r * ldc, rectified)
            store(v1, c + r * ldc + 16, rectified)
            store(v2, c + r * ldc + 32, rectified)
        }
        row(0, c00, c01, c02); row(1, c10, c11, c12); row(2, c20, c21, c22); row(3, c30, c31, c32)
        row(4, c40, c41, c42); row(5, c50, c51, c52); row(6, c60, c61, c62); row(7, c70, c71, c72)
    }

    /// Eight rows × 32 columns of C: two loads of B and eight broadcasts of A per step of k.
    static func tile8x32(
        _ k: Int, _ a: UnsafePointer<Float>, _ rs: Int, _ ds: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ initial: UnsafePointer<Float>?, _ rectified: Bool
    ) {
        var c00 = start(initial, 0), c01 = c00, c10 = start(initial, 1), c11 = c10
        var c20 = start(initial, 2), c21 = c20, c30 = start(initial, 3), c31 = c30
        var c40 = start(initial, 4), c41 = c40, c50 = start(initial, 5), c51 = c50
        var c60 = start(initial, 6), c61 = c60, c70 = start(initial, 7), c71 = c70
        var ap = a
        var bp = b
        for _ in 0..<k {
            let b0 = load(bp), b1 = load(bp + 16)
            step(ap[0], b0, b1, &c00, &c01); step(ap[rs], b0, b1, &c10, &c11)
            step(ap[2 * rs], b0, b1, &c20, &c21); step(ap[3 * rs], b0, b1, &c30, &c31)
            step(ap[4 * rs], b0, b1, &c40, &c41); step(ap[5 * rs], b0, b1, &c50, &c51)
            step(ap[6 * rs], b0, b1, &c60, &c61); step(ap[7 * rs], b0, b1, &c70, &c71)
            ap += ds
            bp += ldb
        }
        @inline(__always) func row(_ r: Int, _ v0: SIMD16<Float>, _ v1: SIMD16<Float>) {
            store(v0, c + r * ldc, rectified)
            store(v1, c + r * ldc + 16, rectified)
        }
        row(0, c00, c01); row(1, c10, c11); row(2, c20, c21); row(3, c30, c31)
        row(4, c40, c41); row(5, c50, c51); row(6, c60, c61); row(7, c70, c71)
    }

    /// Eight rows × 16 columns of C: one load of B and eight broadcasts of A per step of k.
    static func tile8x16(
        _ k: Int, _ a: UnsafePointer<Float>, _ rs: Int, _ ds: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ initial: UnsafePointer<Float>?, _ rectified: Bool
    ) {
        var c0 = start(initial, 0), c1 = start(initial, 1), c2 = start(initial, 2), c3 = start(initial, 3)
        var c4 = start(initial, 4), c5 = start(initial, 5), c6 = start(initial, 6), c7 = start(initial, 7)
        var ap = a
        var bp = b
        for _ in 0..<k {
            let b0 = load(bp)
            c0.addProduct(SIMD16(repeating: ap[0]), b0)
            c1.addProduct(SIMD16(repeating: ap[rs]), b0)
            c2.addProduct(SIMD16(repeating: ap[2 * rs]), b0)
            c3.addProduct(SIMD16(repeating: ap[3 * rs]), b0)
            c4.addProduct(SIMD16(repeating: ap[4 * rs]), b0)
            c5.addProduct(SIMD16(repeating: ap[5 * rs]), b0)
            c6.addProduct(SIMD16(repeating: ap[6 * rs]), b0)
            c7.addProduct(SIMD16(repeating: ap[7 * rs]), b0)
            ap += ds
            bp += ldb
        }
        store(c0, c, rectified); store(c1, c + ldc, rectified); store(c2, c + 2 * ldc, rectified)
        store(c3, c + 3 * ldc, rectified); store(c4, c + 4 * ldc, rectified); store(c5, c + 5 * ldc, rectified)
        store(c6, c + 6 * ldc, rectified); store(c7, c + 7 * ldc, rectified)
    }
}
