/// bench/engine/conv_bench.sh: the convolution rewrite's measurements (session 3), outside the kernel.
///   conv_bench.sh all|sq|vgg [repeats]   squeezenet1_1 b50 / vgg16 b1 forward and forward + input gradient
///   conv_bench.sh layers [repeats]        3×3 layers of vgg16 / squeezenet, Winograd vs im2col (LAYER=, MODE=wino|im2col)
///   conv_bench.sh check                   logits and input gradients against the oracle fixtures
///   NOWINO=1 … (or FOVEA_WINOGRAD=0)      every convolution on im2col
/// Prints wall seconds and CPU-seconds (getrusage, both threads) per workload.
@testable import Engine
import Foundation

/// The oracle ONNX files and fixtures (`tools/oracle/make_fixtures.py --large`): $FOVEA_ORACLE or tools/oracle/out.
let dir = ProcessInfo.processInfo.environment["FOVEA_ORACLE"] ?? "tools/oracle/out"
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
func cpu() -> Double {
    var u = rusage(); getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}
func time(_ label: String, repeats: Int, _ body: () throws -> Void) rethrows {
    try body()
    var walls: [Double] = [], cpus: [Double] = []
    for _ in 0..<repeats {
        let t = now(), c = cpu()
        try body()
        walls.append(now() - t); cpus.append(cpu() - c)
    }
    print(String(format: "%-28@ wall min %.3f med %.3f   cpu min %.3f s", label as NSString, walls.min()!, walls.sorted()[walls.count / 2], cpus.min()!))
}
func npy(_ name: String) throws -> Tensor { let a = try NpyArray(contentsOf: "\(dir)/\(name)"); return Tensor(shape: a.shape, data: a.floats) }

BLAS.threadCount = 2
if ProcessInfo.processInfo.environment["NOWINO"] == "1" { Winograd3x3.isEnabled = false }
let args = CommandLine.arguments.dropFirst()
let which = args.first ?? "all"
let repeats = Int(args.dropFirst().first ?? "3") ?? 3

func saliency(_ model: ONNXModel, _ x: Tensor, target: Int) throws -> Tensor {
    let pass = try model.graph.forward([model.inputName: x], capture: [])
    let logits = pass.outputs[0]
    var seed = Tensor.zeros(logits.shape)
    for i in 0..<x.shape[0] { seed[i, target] = 1 }
    return try pass.backward(gradient: seed)[model.inputName]!
}

if which == "sq" || which == "all" {
    let m = try ONNXModel.load(contentsOf: URL(fileURLWithPath: "\(dir)/squeezenet1_1.onnx"))
    let x1 = try npy("squeezenet1_1.b1.input.npy")
    var x50 = Tensor.zeros([50, 3, 224, 224])
    x1.withUnsafeBufferPointer { s in x50.withUnsafeMutableBufferPointer { d in
        for i in 0..<50 { for j in 0..<s.count { d[i * s.count + j] = s[j] * Float(i + 1) / 50 } } } }
    try time("squeezenet fwd b50", repeats: repeats) { _ = try m.graph.run([m.inputName: x50]) }
    try time("squeezenet fwd+bwd b50", repeats: repeats) { _ = try saliency(m, x50, target: 3) }
    try time("squeezenet fwd+bwd b1", repeats: repeats * 3) { _ = try saliency(m, x1, target: 3) }
}
if which == "vgg" || which == "all" {
    let m = try ONNXModel.load(contentsOf: URL(fileURLWithPath: "\(dir)/vgg16.onnx"))
    let x1 = try npy("vgg16.b1.input.npy")
    try time("vgg16 fwd b1", repeats: repeats) { _ = try m.graph.run([m.inputName: x1]) }
    try time("vgg16 fwd+bwd b1", repeats: repeats) { _ = try saliency(m, x1, target: 3) }
}
if which == "sqbwd" {
    let m = try ONNXModel.load(contentsOf: URL(fileURLWithPath: "\(dir)/squeezenet1_1.onnx"))
    let x1 = try npy("squeezenet1_1.b1.input.npy")
    var x50 = Tensor.zeros([50, 3, 224, 224])
    x1.withUnsafeBufferPointer { s in x50.withUnsafeMutableBufferPointer { d in
        for i in 0..<50 { for j in 0..<s.count { d[i * s.count + j] = s[j] * Float(i + 1) / 50 } } } }
    for _ in 0..<repeats { _ = try saliency(m, x50, target: 3) }
}
if which == "vggbwd" {
    let m = try ONNXModel.load(contentsOf: URL(fileURLWithPath: "\(dir)/vgg16.onnx"))
    let x1 = try npy("vgg16.b1.input.npy")
    for _ in 0..<repeats { _ = try saliency(m, x1, target: 3) }
}
if which == "check" {
    for name in ["squeezenet1_1", "vgg16"] {
        let m = try ONNXModel.load(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).onnx"))
        for b in ["b1", "b2"] {
            let x = try npy("\(name).\(b).input.npy")
            let logits = try npy("\(name).\(b).logits.npy")
            let grad = try npy("\(name).\(b).grad\(CommandLine.arguments.count > 2 ? "64" : "").npy")
            let target = try NpyArray(contentsOf: "\(dir)/\(name).\(b).target.npy").integers
            let pass = try m.graph.forward([m.inputName: x], capture: [])
            let ours = pass.outputs[0]
            var seed = Tensor.zeros(ours.shape)
            for i in 0..<x.shape[0] { seed[i, target[i]] = 1 }
            let g = try pass.backward(gradient: seed)[m.inputName]!
            func rel(_ a: Tensor, _ b: Tensor) -> Float {
                var d: Float = 0, mx: Float = 0
                for (p, q) in zip(a.scalars, b.scalars) { d = max(d, abs(p - q)); mx = max(mx, abs(q)) }
                return d / mx
            }
            let per = g.count / x.shape[0]
            let gs = g.scalars, rs = grad.scalars
            let perImage = (0..<x.shape[0]).map { k in (k * per..<(k + 1) * per).map { abs(gs[$0] - rs[$0]) }.max()! / rs.map(abs).max()! }
            print(name, b, "logits rel", rel(ours, logits), "grad rel", rel(g, grad), perImage)
        }
    }
}
if which == "layers" {
    // (name, N, C, K, H, pad) 3×3 stride 1 layers of vgg16 (b1) and squeezenet expand3x3 (b50)
    let layers: [(String, Int, Int, Int, Int)] = [
        ("vgg 64→64 224", 1, 64, 64, 224), ("vgg 128→128 112", 1, 128, 128, 112), ("vgg 256→256 56", 1, 256, 256, 56),
        ("vgg 512→512 28", 1, 512, 512, 28), ("vgg 512→512 14", 1, 512, 512, 14),
        ("sq 16→64 55 b50", 50, 16, 64, 55), ("sq 32→128 27 b50", 50, 32, 128, 27), ("sq 64→256 13 b50", 50, 64, 256, 13),
        ("fashion 32→64 14 b64", 64, 32, 64, 14), ("sq 64→256 13 b1", 1, 64, 256, 13), ("sq 16→64 55 b1", 1, 16, 64, 55),
    ]
    let conv = Conv(pads: [1, 1, 1, 1])
    let only = ProcessInfo.processInfo.environment["LAYER"]
    let modes = ProcessInfo.processInfo.environment["MODE"].map { [$0 == "wino"] } ?? [true, false]
    for (name, n, c, k, h) in layers where only == nil || name.hasPrefix(only!) {
        let x = Tensor.random([n, c, h, h], seed: 1)
        let w = Tensor.random([k, c, 3, 3], seed: 2)
        let dy = Tensor.random([n, k, h, h], seed: 3)
        let ctx = BackwardContext(inputs: [x, w, nil], outputs: [dy], outputGradients: [dy], needsInputGradient: [true, false, false])
        for mode in modes {
            Winograd3x3.isEnabled = mode
            var fw: [Double] = [], bw: [Double] = []
            for _ in 0..<repeats {
                var c0 = cpu(); _ = try conv.forward([x, w, nil]); fw.append(cpu() - c0)
                c0 = cpu(); _ = try conv.backward(ctx); bw.append(cpu() - c0)
            }
            print(String(format: "%-20@ %@ fwd cpu %.4f  bwd-dx cpu %.4f", name as NSString, mode ? "wino  " : "im2col", fw.min()!, bw.min()!))
        }
    }
}
