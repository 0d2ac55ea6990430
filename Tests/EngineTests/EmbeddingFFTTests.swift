import Foundation
import Testing
@testable import Engine

@Suite struct EmbeddingFFTTests {
    /// The mixed-radix FFT (radix 4, 2, 3, 5 butterflies) against a direct DFT.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 8, 9, 12, 15, 16, 25, 30, 45, 60, 100, 120, 150])
    func matchesDirectDFT(n: Int) {
        let plan = FFTPlan(size: n)
        var re = (0..<n).map { Double(($0 * 7919) % 13) - 6 }, im = (0..<n).map { Double(($0 * 104_729) % 11) - 5 }
        var dr = [Double](repeating: 0, count: n), di = dr
        for k in 0..<n {
            for t in 0..<n {
                let a = -2 * Double.pi * Double((k * t) % n) / Double(n)
                dr[k] += re[t] * cos(a) - im[t] * sin(a)
                di[k] += re[t] * sin(a) + im[t] * cos(a)
            }
        }
        let work = UnsafeMutablePointer<Double>.allocate(capacity: 2 * n)
        defer { work.deallocate() }
        re.withUnsafeMutableBufferPointer { r in
            im.withUnsafeMutableBufferPointer { i in plan.forward(r.baseAddress!, i.baseAddress!, work: work) }
        }
        var worst = 0.0
        for k in 0..<n { worst = max(worst, abs(re[k] - dr[k]), abs(im[k] - di[k])) }
        #expect(worst < 1e-12 * Double(max(n, 8)), "n = \(n): max error \(worst)")
    }

    /// One workspace across calls (cached plan and kernel spectrum) gives exactly what fresh ones give, both while
    /// the extent is small (box width follows it) and once boxes have their fixed unit width.
    @Test(arguments: [1.0, 0.7])
    func reusedWorkspaceIsExact(dof: Double) {
        var rng = EmbeddingTestRNG(3)
        let kernel = TSNEKernel(dof: dof)
        let shared = FFTInterpolation(interpolationPoints: 3, minIntervals: 10)
        for spread in [2.0, 30.0, 30.5, 2.5] {
            let y = (0..<400).map { _ in spread * rng.gaussian() }
            let a = shared.repulsive(y, kernel: kernel)
            let b = FFTInterpolation(interpolationPoints: 3, minIntervals: 10).repulsive(y, kernel: kernel)
            #expect(a.forces == b.forces && a.z == b.z, "spread \(spread)")
            let exact = TSNEGradient.exactRepulsive(y, kernel: kernel)
            #expect(abs(a.z - exact.z) < 0.01 * exact.z, "spread \(spread): Z \(a.z) vs exact \(exact.z)")
        }
    }
}

@Suite struct EmbeddingAutoMethodTests {
    /// `.auto` takes the FFT while the embedding is compact (its grid is small) and Barnes–Hut once it has
    /// spread out; small N always BH.
    @Test func choosesByExtent() {
        let fft = FFTInterpolation()
        #expect(TSNE.autoMethod(count: 70_000, extent: 10, fft: fft) == .fft)
        #expect(TSNE.autoMethod(count: 70_000, extent: 200, fft: fft) == .barnesHut)
        #expect(TSNE.autoMethod(count: 2_000, extent: 5, fft: fft) == .barnesHut)
        #expect(fft.estimatedCost(count: 70_000, extent: 200) > fft.estimatedCost(count: 70_000, extent: 10))
    }
}
