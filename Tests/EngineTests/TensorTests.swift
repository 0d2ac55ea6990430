import TestSupport
import Testing

@testable import Engine

@Suite struct TensorTests {
    @Test func initStoresRowMajorAndSubscripts() {
        let t = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        #expect(t[1, 0] == 4)
        #expect(t[0, 2] == 3)
        #expect(t.count == 6 && t.rank == 2)
    }

    @Test func copyOnWriteLeavesOriginalUntouched() {
        let a = Tensor(shape: [3], data: [1, 2, 3])
        var b = a
        #expect(a.buffer === b.buffer)
        b[1] = 20
        #expect(a.scalars == [1, 2, 3])
        #expect(b.scalars == [1, 20, 3])
        #expect(a.buffer !== b.buffer)
    }

    @Test func uniqueMutationDoesNotCopy() {
        var a = Tensor(shape: [3], data: [1, 2, 3])
        let before = a.withUnsafeBufferPointer { $0.baseAddress }  // a pointer: holds no reference
        a.withUnsafeMutableBufferPointer { $0[0] = 9 }
        #expect(a.withUnsafeBufferPointer { $0.baseAddress } == before)
        #expect(a.scalars == [9, 2, 3])
    }

    @Test func seededRandomIsDeterministic() {
        let a = Tensor.random([4, 5], seed: 42)
        let b = Tensor.random([4, 5], seed: 42)
        let c = Tensor.random([4, 5], seed: 43)
        #expect(a == b)
        #expect(a != c)
        // SplitMix64 first output for seed 0 is a published constant.
        var g = SeededGenerator(seed: 0)
        #expect(g.next() == 0xE220_A839_7B1D_CDAF)
    }

    @Test func normalSamplesHaveUnitMoments() {
        let t = Tensor.random([20000], .normal(mean: 0, std: 1), seed: 1)
        let mean = t.mean()
        let variance = (t * t).mean() - mean * mean
        #expect(abs(mean) < 0.03)
        #expect(abs(variance - 1) < 0.05)
        let u = Tensor.random([20000], .uniform(low: 2, high: 3), seed: 1)
        #expect(u.min() >= 2 && u.max() < 3)
    }

    @Test func broadcastingFollowsNumPy() throws {
        let a = Tensor(shape: [2, 1, 3], data: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [2, 1], data: [10, 20])
        let c = try a.combined(with: b, .add)
        #expect(c.shape == [2, 2, 3])
        #expect(c.scalars == [11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26])
        #expect(try Broadcast.shape([5, 1, 4], [3, 1]) == [5, 3, 4])
        #expect(throws: ShapeError.self) { try Broadcast.shape([2, 3], [4, 3]) }
        let d = try Tensor(shape: [3], data: [1, 2, 4]).combined(with: Tensor(scalar: 2), .divide)
        #expect(d.scalars == [0.5, 1, 2])
    }

    @Test func sumToShapeIsAdjointOfBroadcast() throws {
        let g = Tensor(shape: [2, 2, 3], data: (0..<12).map(Float.init))
        let r = g.sumToShape([2, 1])
        #expect(r.shape == [2, 1])
        // r[i, 0] = Σ over axes 0 and 2 of g[:, i, :]
        #expect(r.scalars == [24, 42])  // 0+1+2+6+7+8, 3+4+5+9+10+11
    }

    @Test func reductionsAlongAxes() {
        let t = Tensor(shape: [2, 3], data: [1, 5, 3, 4, 2, 6])
        #expect(t.sum(alongAxes: [0]).scalars == [5, 7, 9])
        #expect(t.sum(alongAxes: [1], keepingDimensions: true).shape == [2, 1])
        #expect(t.mean(alongAxes: [-1]).scalars == [3, 4])
        #expect(t.max(alongAxes: [1]).scalars == [5, 6])
        #expect(t.argmaxLastAxis() == [1, 2])
        #expect(t.sum() == 21)
    }

    /// Sums whose kept axes are adjacent (bias gradients) read the tensor in place; others transpose first.
    @Test func sumsOverLeadingAndTrailingAxesMatchAPlainLoop() {
        let shape = [3, 5, 7, 9]
        let x = Tensor(shape: shape, data: (0..<(3 * 5 * 7 * 9)).map { Float(($0 * 37) % 101) / 17 - 2.5 })
        func naive(keep: [Int]) -> [Double] {
            let keptShape = keep.map { shape[$0] }
            var out = [Double](repeating: 0, count: keptShape.reduce(1, *))
            for a in 0..<3 { for b in 0..<5 { for c in 0..<7 { for d in 0..<9 {
                let index = [a, b, c, d]
                let k = keep.reduce(0) { $0 * shape[$1] + index[$1] }
                out[k] += Double(x[a, b, c, d])
            } } } }
            return out
        }
        for (axes, keep) in [([0, 2, 3], [1]), ([0], [1, 2, 3]), ([2, 3], [0, 1]), ([0, 1, 2, 3], []), ([1, 3], [0, 2])] {
            let sum = x.sum(alongAxes: axes)
            #expect(sum.shape == keep.map { shape[$0] })
            for (got, want) in zip(sum.scalars, naive(keep: keep)) {
                #expect(abs(Double(got) - want) <= 1e-4 * max(1, abs(want)), "axes \(axes)")
            }
        }
    }

    @Test func reshapeTransposeSliceConcat() throws {
        let t = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        #expect(try t.reshaped(to: [3, -1]).shape == [3, 2])
        #expect(throws: ShapeError.self) { try t.reshaped(to: [4, -1]) }
        #expect(try t.transposed([1, 0]).scalars == [1, 4, 2, 5, 3, 6])
        let cube = Tensor(shape: [2, 3, 4], data: (0..<24).map(Float.init))
        let p = try cube.transposed([2, 0, 1])
        #expect(p.shape == [4, 2, 3])
        #expect(p[3, 1, 2] == cube[1, 2, 3])
        #expect(try t.slice(axis: 1, 1..<3).scalars == [2, 3, 5, 6])
        #expect(try cube.slice(axis: 2, 0..<4, step: 2).scalars.prefix(4) == [0, 2, 4, 6])
        let joined = try Tensor.concatenate([t, Tensor(shape: [2, 1], data: [7, 8])], axis: 1)
        #expect(joined.scalars == [1, 2, 3, 7, 4, 5, 6, 8])
        let parts = try joined.split(axis: 1, sizes: [3, 1])
        #expect(parts[0] == t)
    }

    @Test func matmulMatchesNaiveProduct() throws {
        let a = TestSupport.randn([3, 4, 5], seed: 1)
        let b = TestSupport.randn([5, 2], seed: 2)
        let c = try a.matmul(b)
        #expect(c.shape == [3, 4, 2])
        for i in 0..<3 {
            for r in 0..<4 {
                for col in 0..<2 {
                    var s: Float = 0
                    for k in 0..<5 { s += a[i, r, k] * b[k, col] }
                    #expect(abs(c[i, r, col] - s) < 1e-5)
                }
            }
        }
        let v = try Tensor(shape: [5], data: [1, 0, 0, 0, 0]).matmul(b)
        #expect(v.shape == [2])
        #expect(v.scalars == [b[0, 0], b[0, 1]])
    }
}
