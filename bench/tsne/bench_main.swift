import Foundation
@testable import EmbeddingCore

func loadFashion(_ count: Int) throws -> ([Float], [Int]) {
    let parts = count == 10_000 ? ["t10k"] : ["train", "t10k"]
    var pixels = [Float](), labels = [Int]()
    for part in parts {
        let images = try IDXArray(contentsOf: "/usr/share/datasets/fashion-mnist/\(part)-images-idx3-ubyte.gz")
        let tags = try IDXArray(contentsOf: "/usr/share/datasets/fashion-mnist/\(part)-labels-idx1-ubyte.gz")
        pixels += images.bytes.map { Float($0) / 255 }
        labels += tags.bytes.map(Int.init)
    }
    return (pixels, labels)
}
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
func time<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
    let s = Date(), c = cpuSeconds()
    let v = try body()
    print(String(format: "%@: %.3f s wall, %.3f s CPU (all threads)", label, Date().timeIntervalSince(s), cpuSeconds() - c)); fflush(stdout); return v
}
let args = CommandLine.arguments
let mode = args.count > 1 ? args[1] : "profile"
if mode == "profile" {
    let n = Int(args.count > 2 ? args[2] : "10000")!
    let spread = Double(args.count > 3 ? args[3] : "80")!
    var y = [Double]()
    var s: UInt64 = 1
    func u() -> Double { s = s &* 6364136223846793005 &+ 1442695040888963407; return Double(s >> 11) / 9007199254740992 }
    for _ in 0..<n { let a = u() * 2 * .pi, r = spread * u().squareRoot(); y.append(r * cos(a)); y.append(r * sin(a)) }
    let p = SparseAffinities(count: n, rowStart: [Int](repeating: 0, count: n + 1), columns: [], values: [])
    for m in [TSNEGradientMethod.barnesHut, .fft] {
        _ = TSNE.gradient(affinities: p, embedding: y, method: m)
        _ = time("\(m) gradient n=\(n) spread ±\(spread) x5") { for _ in 0..<5 { _ = TSNE.gradient(affinities: p, embedding: y, method: m) } }
    }
} else if mode == "tsne" {
    let n = Int(args[2])!
    let method = TSNEGradientMethod(rawValue: args[3])!
    let (pixels, labels) = try loadFashion(n)
    let x = try time("PCA \(n)x784->50") { try PCA.fit(pixels, rows: n, cols: 784, dimensions: 50).projected }
    let graph = try time("90-NN") { try NearestNeighbors.exact(x, rows: n, cols: 50, k: 90) }
    let p = time("affinities") { PerplexityAffinities.compute(neighbors: graph, perplexity: 30) }
    var options = TSNEOptions(); options.method = method
    // The same work as TSNE.embed (which computes the 90-NN and P itself), timed by phase.
    let snapshots = ProcessInfo.processInfo.environment["TSNE_SNAPSHOTS"]  // directory for embedding snapshots
    var last = Date(), lastCPU = cpuSeconds()
    let workspace = FFTInterpolation(interpolationPoints: options.interpolationPoints, minIntervals: options.minIntervals,
                                     intsInInterval: options.intsInInterval)
    func save(_ y: [Float], _ iteration: Int) {
        guard let dir = snapshots else { return }
        let data = y.withUnsafeBufferPointer { Data(buffer: $0) }
        try? data.write(to: URL(fileURLWithPath: "\(dir)/snap_\(n)_\(iteration).f32"))
    }
    let result = try time("t-SNE init + optimisation \(method)") { () -> TSNEResult in
        let initial = try TSNE.initialEmbedding(x, rows: n, cols: 50, options: options)
        save(initial.map(Float.init), 0)
        return TSNE.optimize(affinities: p, initial: initial, options: options) { pr in
            if [125, 250, 300, 400, 550].contains(pr.iteration) { save(pr.embedding, pr.iteration) }
            if pr.iteration % 50 == 0 {
                let e = TSNE.extent(pr.embedding.map(Double.init))
                print(String(format: "  iter %d KL %.4f  (%.2f s wall, %.2f s CPU / 50 it; extent %.1f, auto → %@)", pr.iteration, pr.kl,
                             Date().timeIntervalSince(last), cpuSeconds() - lastCPU, e,
                             TSNE.autoMethod(count: n, extent: e, fft: workspace).rawValue)); fflush(stdout)
                last = Date(); lastCPU = cpuSeconds()
            }
        }
    }
    save(result.embedding, 750)
    print("total (90-NN + affinities + t-SNE): see the three lines above; TSNE.embed does exactly these steps")
    var lo: Float = .infinity, hi: Float = -.infinity
    for v in result.embedding { lo = min(lo, v); hi = max(hi, v) }
    print("range", lo, hi)
    let kl = time("exact KL") { TSNE.exactKL(affinities: p, embedding: result.embedding) }
    let acc = time("5-NN acc") { EmbeddingQuality.knnAccuracy(result.embedding, rows: n, cols: 2, labels: labels) }
    print("RESULT n=\(n) \(result.method): KL exact \(kl), 5-NN acc \(acc), KL estimate \(result.kl)")
    let h = try NearestNeighbors.exact(x, rows: n, cols: 50, k: 10)
    let l = try NearestNeighbors.exact(result.embedding, rows: n, cols: 2, k: 10)
    let preservation = EmbeddingQuality.neighborPreservation(high: h, low: l)
    if n <= 10_000 {  // trustworthiness ranks every pair: only at the 10k
        print("RESULT preservation \(preservation) trust \(EmbeddingQuality.trustworthiness(high: x, rows: n, cols: 50, highNeighbors: h, lowNeighbors: l))")
    } else {
        print("RESULT preservation \(preservation)")
    }
}
if mode == "lap" {
    let root = ProcessInfo.processInfo.environment["FOVEA_ROOT"] ?? "."
    let data = try Data(contentsOf: URL(fileURLWithPath: root + "/Tests/EngineTests/Fixtures/embedding_lap1024.json"))
    let ref = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    let points = (ref["points"] as! [[Double]]).flatMap { $0 }
    let quasi = (0..<2025).flatMap { i -> [Double] in
        let a = Double(i) * 0.6180339887498949, b = Double(i) * 0.7548776662466927
        return [(a - a.rounded(.down)) * 45, (b - b.rounded(.down)) * 45]
    }
    for (n, side, pts) in [(1024, 32, points), (2025, 45, quasi)] {
        var cost = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for c in 0..<n {
            let dx = pts[2 * i] - (Double(c % side) + 0.5), dy = pts[2 * i + 1] - (Double(c / side) + 0.5)
            cost[i * n + c] = dx * dx + dy * dy } }
        let (_, total) = try time("JV \(n)") { try LinearAssignment.solve(cost: cost, rows: n, cols: n) }
        print("JV \(n) cost \(total)")
    }
    var s: UInt64 = 3
    func u() -> Float { s = s &* 6364136223846793005 &+ 1442695040888963407; return Float(s >> 40) / 16777216 }
    let big = (0..<20_000).map { _ in u() }
    let g = try time("grid split 10000 -> 100x100") { try GridLayout.assign(points: big, cols: 100) }
    print("grid 10000: cost \(g.cost) lower bound \(g.lowerBound) ratio \(g.ratio)")
    let small = Array(big[0..<4050])
    let ge = try time("grid exact 2025 -> 45x45") { try GridLayout.assign(points: small, cols: 45) }
    let gs = try time("grid split 2025 -> 45x45") { try GridLayout.assign(points: small, cols: 45, exact: false) }
    print("grid 2025: exact \(ge.cost) split \(gs.cost) (x\(gs.cost / ge.cost)) split lower bound \(gs.lowerBound)")
}
if mode == "gradient" {
    // Gradient accuracy on the realistic N = 2,000 states of Tests/EngineTests/Fixtures/embedding_gradient2000.json
    // (openTSNE's errors on the same states: bench/tsne/gradient_error.py). Extra args: theta, interpolation points, ints per interval, min intervals.
    let theta = Double(args.count > 2 ? args[2] : "0.5")!
    let points = Int(args.count > 3 ? args[3] : "5")!
    let ints = Double(args.count > 4 ? args[4] : "1")!
    let minIntervals = Int(args.count > 5 ? args[5] : "50")!
    let root = ProcessInfo.processInfo.environment["FOVEA_ROOT"] ?? "."
    let data = try Data(contentsOf: URL(fileURLWithPath: root + "/Tests/EngineTests/Fixtures/embedding_gradient2000.json"))
    let ref = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    let (pixels, _) = try loadFashion(10_000)
    let x = try PCA.fit(Array(pixels[0..<(2000 * 784)]), rows: 2000, cols: 784, dimensions: 50).projected
    let p = PerplexityAffinities.compute(neighbors: try NearestNeighbors.exact(x, rows: 2000, cols: 50, k: 90), perplexity: 30)
    let empty = SparseAffinities(count: 2000, rowStart: [Int](repeating: 0, count: 2001), columns: [], values: [])
    func norm(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0; for t in 0..<a.count { s += (a[t] - b[t]) * (a[t] - b[t]) }; return s.squareRoot()
    }
    let zero = [Double](repeating: 0, count: 4000)
    for state in ["after_early_exaggeration", "converged"] {
        let y = ref[state] as! [Double]
        let exact = TSNE.gradient(affinities: p, embedding: y, method: .exact).gradient
        let exactRep = TSNE.gradient(affinities: empty, embedding: y, method: .exact).gradient
        for m in [TSNEGradientMethod.barnesHut, .fft] {
            let s = Date()
            let g = TSNE.gradient(affinities: p, embedding: y, method: m, theta: theta, interpolationPoints: points, minIntervals: minIntervals, intsInInterval: ints).gradient
            let t = Date().timeIntervalSince(s)
            print(String(format: "%@ %@: full %.5f  repulsive %.5f  (%.1f ms)", state, m.rawValue,
                         norm(g, exact) / norm(exact, zero), norm(g, exact) / norm(exactRep, zero), 1000 * t))
        }
    }
}
if mode == "fft" {
    // One 2-D complex FFT (forward, transposed output) of M×M, M from the args (default 648), CPU time per call.
    let m = Int(args.count > 2 ? args[2] : "648")!
    let plan = FFTPlan(size: m)
    let re = UnsafeMutablePointer<Double>.allocate(capacity: m * m), im = UnsafeMutablePointer<Double>.allocate(capacity: m * m)
    for t in 0..<(m * m) { re[t] = Double(t % 7); im[t] = Double(t % 5) }
    FFT2D.forwardTransposed(re, im, plan: plan)
    time("FFT2D \(m)x\(m) x10") { for _ in 0..<10 { FFT2D.forwardTransposed(re, im, plan: plan) } }
}
if mode == "fftcheck" {
    // Max error of FFTPlan against a naive DFT for mixed radices.
    for n in [2, 3, 4, 5, 6, 9, 12, 15, 25, 30, 45, 60, 100, 120, 648] {
        let plan = FFTPlan(size: n)
        var re = (0..<n).map { Double(($0 * 7919) % 13) - 6 }, im = (0..<n).map { Double(($0 * 104729) % 11) - 5 }
        var dr = [Double](repeating: 0, count: n), di = dr
        for k in 0..<n { for t in 0..<n {
            let a = -2 * Double.pi * Double((k * t) % n) / Double(n)
            dr[k] += re[t] * cos(a) - im[t] * sin(a); di[k] += re[t] * sin(a) + im[t] * cos(a) } }
        let work = UnsafeMutablePointer<Double>.allocate(capacity: 2 * n)
        re.withUnsafeMutableBufferPointer { r in im.withUnsafeMutableBufferPointer { i in plan.forward(r.baseAddress!, i.baseAddress!, work: work) } }
        var err = 0.0
        for k in 0..<n { err = max(err, abs(re[k] - dr[k]), abs(im[k] - di[k])) }
        print("fft \(n): max error \(err)")
    }
}
if mode == "bhsplit" {
    // Barnes–Hut cost split on the converged N = 2,000 fixture state tiled 5× (10,000 points): tree build vs traversal.
    let root = ProcessInfo.processInfo.environment["FOVEA_ROOT"] ?? "."
    let data = try Data(contentsOf: URL(fileURLWithPath: root + "/Tests/EngineTests/Fixtures/embedding_gradient2000.json"))
    let ref = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    let base = ref["converged"] as! [Double]
    var y = [Double]()
    for t in 0..<5 { for i in 0..<2000 { y.append(base[2 * i] + Double(t) * 0.013); y.append(base[2 * i + 1] - Double(t) * 0.011) } }
    let kernel = TSNEKernel(dof: 1)
    let trees = time("quad tree build x20") { (0..<20).map { _ in QuadTree(y) } }
    time("BH traversal x20") { for t in trees { _ = t.repulsive(theta: 0.5, kernel: kernel) } }
}
if mode == "knn" {
    // PCA 70k×784 → 50 (3×) and exact 90-NN of the result (args[3] times, default 3), then 300 rows checked against brute force in Double.
    let n = Int(args.count > 2 ? args[2] : "70000")!
    let (pixels, _) = try loadFashion(n)
    var x = [Float]()
    for r in 0..<3 { x = try time("PCA \(n)x784->50 (\(r))") { try PCA.fit(pixels, rows: n, cols: 784, dimensions: 50).projected } }
    let reps = Int(args.count > 3 ? args[3] : "3")!
    var graph = NeighborGraph(count: 0, k: 0, indices: [], squaredDistances: [])
    for r in 0..<reps { graph = try time("90-NN (\(r))") { try NearestNeighbors.exact(x, rows: n, cols: 50, k: 90) } }
    var bad = 0, checksum: UInt64 = 0
    for v in graph.indices { checksum = checksum &* 31 &+ UInt64(v) }
    for v in graph.squaredDistances { checksum = checksum &* 31 &+ UInt64(v.bitPattern) }
    for t in 0..<300 {
        let i = (t * 7919) % n
        var pairs = [(Double, Int)]()
        for j in 0..<n where j != i {
            var d = 0.0
            for c in 0..<50 { let u = Double(x[i * 50 + c]) - Double(x[j * 50 + c]); d += u * u }
            pairs.append((d, j))
        }
        pairs.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        let want = Set(pairs.prefix(89).map(\.1)), got = Set(graph.indices[(i * 90)..<(i * 90 + 90)].map(Int.init))
        if !want.isSubset(of: got) { bad += 1 }
    }
    print("knn checksum \(checksum), rows whose 89 true nearest are not all among the 90 found: \(bad) of 300")
}
if mode == "parts" {
    // Per-part CPU cost of one gradient on saved 70k embedding snapshots (TSNE_SNAPSHOTS of a `tsne` run):
    // attractive forces, BH tree build, BH traversal (θ from args[3], default 0.5), FFT repulsion.
    let n = Int(args.count > 2 ? args[2] : "70000")!
    let theta = Double(args.count > 3 ? args[3] : "0.5")!
    let dir = ProcessInfo.processInfo.environment["TSNE_SNAPSHOTS"] ?? "/tmp/snaps"
    let (pixels, _) = try loadFashion(n)
    let x = try PCA.fit(pixels, rows: n, cols: 784, dimensions: 50).projected
    let p = PerplexityAffinities.compute(neighbors: try NearestNeighbors.exact(x, rows: n, cols: 50, k: 90), perplexity: 30)
    print("P nonzeros \(p.values.count) (\(Double(p.values.count) / Double(n)) a row)")
    let kernel = TSNEKernel(dof: 1)
    for it in [0, 125, 250, 300, 400, 550, 750] {
        guard let data = FileManager.default.contents(atPath: "\(dir)/snap_\(n)_\(it).f32") else { continue }
        let y: [Double] = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }.map { Double($0) }
        let fft = FFTInterpolation()
        print(String(format: "iteration %d: extent %.1f, fft grid m = %d", it, TSNE.extent(y), fft.grid(extent: TSNE.extent(y)).m))
        var g = [Double](repeating: 0, count: 2 * n)
        time("  attractive x5") { for _ in 0..<5 { _ = y.withUnsafeBufferPointer { yp in g.withUnsafeMutableBufferPointer { gp in
            TSNEGradient.addAttractive(p: p, embedding: yp.baseAddress!, kernel: kernel, scale: 1, gradient: gp.baseAddress!, evaluateKL: false) } } } }
        let trees = time("  BH tree build x5") { (0..<5).map { _ in QuadTree(y) } }
        time("  BH traversal x5 θ=\(theta)") { for t in trees { _ = t.repulsive(theta: theta, kernel: kernel) } }
        _ = fft.repulsive(y, kernel: kernel)
        time("  FFT x5") { for _ in 0..<5 { _ = fft.repulsive(y, kernel: kernel) } }
    }
}
