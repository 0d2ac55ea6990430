import Foundation
import Microkernels
import Testing
import TestSupport

@testable import Engine

/// The engine's own AVX-512 GEMM (`OrderedProduct`): every entry is the one fixed sum its contract names — the
/// initial value, then a fused multiply-add per k in order, then the rectifier — bit for bit, whatever the shape's
/// ragged row tile, ragged column strip and strides; nothing outside C's m × n entries is written.
@Suite(.enabled(if: InstructionSet.hasAVX512, "needs AVX-512")) struct OrderedProductTests {
    struct Shape: CustomTestStringConvertible, Sendable {
        var m, n, k: Int
        var transposed: Bool
        var testDescription: String { "\(m)×\(n)×\(k)\(transposed ? " Aᵀ" : "")" }
    }

    // Row tiles of 8 (full, ragged, both), strips of 48 columns and a rest of 16, 32 or 48 (exact or ragged), K from 0
    // to SqueezeNet's and beyond one group of row tiles.
    static let shapes: [Shape] = [
        Shape(m: 8, n: 48, k: 27, transposed: false),
        Shape(m: 16, n: 169, k: 64, transposed: false),
        Shape(m: 13, n: 100, k: 9, transposed: false),
        Shape(m: 7, n: 17, k: 1, transposed: true),
        Shape(m: 1, n: 1, k: 5, transposed: false),
        Shape(m: 27, n: 95, k: 64, transposed: true),
        Shape(m: 9, n: 64, k: 0, transposed: false),
        Shape(m: 20, n: 15, k: 144, transposed: true),
        Shape(m: 9, n: 80, k: 7, transposed: false),
        Shape(m: 41, n: 20, k: 2100, transposed: false),  // A larger than one group of row tiles
    ]

    /// Fills with seeded values, a share of them exact zeros and negatives, so rectified outputs hit both sides.
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        TestSupport.randn([Swift.max(count, 1)], seed: seed).scalars.map { $0 > 1.2 ? 0 : $0 }
    }

    @Test(arguments: shapes, [false, true])
    func everyEntryIsItsFusedSumInOrder(_ s: Shape, rectified: Bool) {
        let (lda, ldb, ldc) = (s.transposed ? s.m + 3 : s.k + 2, s.n + 5, s.n + 7)
        let a = Self.values((s.transposed ? s.k : s.m) * lda, seed: 1)
        let b = Self.values(s.k * ldb, seed: 2)
        let bias = Self.values(s.m, seed: 3)
        let sentinel = Float(bitPattern: 0x7fc0_1234)
        for initial in [nil, bias] {
            var c = [Float](repeating: sentinel, count: s.m * ldc + 11)
            let (rowStride, depthStride) = s.transposed ? (1, lda) : (lda, 1)
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        let out = cp.baseAddress!
                        func run(_ start: UnsafePointer<Float>?) {
                            OrderedProduct.multiply(
                                m: s.m, n: s.n, k: s.k, a: ap.baseAddress!, rowStride: rowStride, depthStride: depthStride,
                                b: bp.baseAddress!, ldb: ldb, c: out, ldc: ldc, initial: start, rectified: rectified)
                        }
                        if let initial { initial.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
                    }
                }
            }
            var wrong = 0
            for i in 0..<s.m {
                for j in 0..<ldc {
                    let got = c[i * ldc + j]
                    guard j < s.n else {
                        if got.bitPattern != sentinel.bitPattern { wrong += 1 }
                        continue
                    }
                    var sum = initial?[i] ?? 0
                    for d in 0..<s.k { sum = sum.addingProduct(a[i * rowStride + d * depthStride], b[d * ldb + j]) }
                    if rectified && !(sum > 0) { sum = 0 }
                    if got.bitPattern != sum.bitPattern { wrong += 1 }
                }
            }
            #expect(wrong == 0, "\(s.testDescription) initial \(initial != nil) rectified \(rectified)")
            #expect(c[(s.m * ldc)...].allSatisfy { $0.bitPattern == sentinel.bitPattern })
        }
    }
}
