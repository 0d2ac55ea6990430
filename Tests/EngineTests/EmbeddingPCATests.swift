import Foundation
import Testing
import Engine

@Suite struct EmbeddingPCATests {
    /// The same closed-form matrix as tools/oracle/embedding/fixtures.py.
    static func fixtureMatrix() -> [Float] {
        var x = [Float]()
        for i in 0..<40 {
            for j in 0..<6 {
                let v = sin(0.37 * Double(i) + 1.3 * Double(j)) + Double((7 * i + 3 * j) % 11) / 10
                    + (j == 2 ? 0.05 * Double(i) : 0)
                x.append(Float(v))
            }
        }
        return x
    }

    @Test func matchesNumpyEigenDecomposition() throws {
        let ref = try EmbeddingFixtures.json("embedding_pca.json")
        let variance = ref["explained_variance"] as! [Double]
        let ratio = ref["explained_variance_ratio"] as! [Double]
        let components = ref["components"] as! [[Double]]
        let first = ref["projected_first_row"] as! [Double]
        let result = try PCA.fit(Self.fixtureMatrix(), rows: 40, cols: 6, dimensions: 4)
        #expect(result.projected.count == 40 * 4)
        for j in 0..<4 {
            #expect(abs(Double(result.explainedVariance[j]) - variance[j]) <= 1e-4 * variance[0])
            #expect(abs(Double(result.explainedVarianceRatio[j]) - ratio[j]) <= 1e-4)
            for c in 0..<6 { #expect(abs(Double(result.components[j * 6 + c]) - components[j][c]) <= 2e-3) }
            #expect(abs(Double(result.projected[j]) - first[j]) <= 2e-3)
        }
    }

    @Test func whitenedComponentsHaveUnitVariance() throws {
        let result = try PCA.fit(Self.fixtureMatrix(), rows: 40, cols: 6, dimensions: 3, whiten: true)
        for j in 0..<3 {
            var s = 0.0
            for i in 0..<40 { s += Double(result.projected[i * 3 + j] * result.projected[i * 3 + j]) }
            #expect(abs(s / 39 - 1) < 1e-3)
        }
    }

    @Test func isByteReproducible() throws {
        let a = try PCA.fit(Self.fixtureMatrix(), rows: 40, cols: 6, dimensions: 2)
        let b = try PCA.fit(Self.fixtureMatrix(), rows: 40, cols: 6, dimensions: 2)
        #expect(a.projected == b.projected)
    }

    @Test func rejectsBadShapes() {
        #expect(throws: PCAError.badShape(rows: 3, cols: 2, count: 5)) {
            try PCA.fit([1, 2, 3, 4, 5], rows: 3, cols: 2, dimensions: 1)
        }
        #expect(throws: PCAError.badDimensions(requested: 3, available: 2)) {
            try PCA.fit([1, 2, 3, 4, 5, 6], rows: 3, cols: 2, dimensions: 3)
        }
    }
}
