import Foundation

/// 2-D convolution (ONNX Conv / PyTorch Conv2d): X [N, C, H, W], W [M, C/group, kH, kW], optional B [M]
/// → Y [N, M, outH, outW] with outH = ⌊(H + padTop + padBottom − dilH·(kH − 1) − 1) / strideH⌋ + 1.
///
/// 3×3 stride-1 convolutions (forward and input gradient) run as Winograd F(2×2, 3×3) (`Winograd3x3`); the
/// rest as one im2col + GEMM per image and group (1×1, stride 1, unpadded: plain GEMM on the input), a single image
/// split between the cores (`ConvSingleImage`); the GEMM is the engine's own on AVX-512 CPUs, else OpenBLAS's
/// (`ConvProduct`).
/// Backward gives dX (Winograd, else col2im of Wᵀ·dY), dW (dY·colᵀ, only when requested) and dB (sum of dY).
public struct Conv: Operator {
    /// [sH, sW].
    public var strides: [Int]
    /// ONNX order [top, left, bottom, right]; may be asymmetric.
    public var pads: [Int]
    /// [dH, dW].
    public var dilations: [Int]
    /// Channels split into `group` independent groups (C for depthwise).
    public var group: Int
    public var autoPad: AutoPad
    /// Optional check against W's spatial extent (ONNX `kernel_shape`).
    public var kernelShape: [Int]?

    public var opType: String { "Conv" }

    public init(
        strides: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0], dilations: [Int] = [1, 1], group: Int = 1,
        autoPad: AutoPad = .notSet, kernelShape: [Int]? = nil
    ) {
        self.strides = strides
        self.pads = pads
        self.dilations = dilations
        self.group = group
        self.autoPad = autoPad
        self.kernelShape = kernelShape
    }

    struct Plan {
        var n, c, m, cg, mg: Int
        var window: Window2D
        var k: Int { cg * window.kH * window.kW }
        var planeOut: Int { window.outH * window.outW }
    }

    func plan(_ x: [Int], _ w: [Int], _ b: [Int]?) throws -> Plan {
        guard x.count == 4 else { throw ShapeError("Conv supports 2-D images [N, C, H, W]; input is \(x)") }
        guard w.count == 4 else { throw ShapeError("Conv weight must be [M, C/group, kH, kW]; got \(w)") }
        guard group > 0, x[1] % group == 0, w[0] % group == 0, w[1] * group == x[1] else {
            throw ShapeError("Conv: input channels \(x[1]), weight \(w) and group \(group) don't agree")
        }
        if let kernelShape, kernelShape != [w[2], w[3]] {
            throw ShapeError("Conv kernel_shape \(kernelShape) differs from weight \(w)")
        }
        if let b, b != [w[0]] { throw ShapeError("Conv bias must be [\(w[0])]; got \(b)") }
        let window = try Window2D(
            inH: x[2], inW: x[3], kernel: [w[2], w[3]], strides: strides, pads: pads,
            dilations: dilations, autoPad: autoPad)
        return Plan(n: x[0], c: x[1], m: w[0], cg: x[1] / group, mg: w[0] / group, window: window)
    }

    public func outputShapes(_ shapes: [[Int]?], values: [Tensor?]) throws -> [[Int]] {
        let p = try plan(try shapes.required(0), try shapes.required(1, "weight"), shapes.count > 2 ? shapes[2] : nil)
        return [[p.n, p.m, p.window.outH, p.window.outW]]
    }

    public func forward(_ inputs: [Tensor?]) throws -> [Tensor] {
        try forward(inputs, rectified: false)
    }

    /// The forward pass, with `rectified` followed by a ReLU applied where the output is still in cache (each
    /// band right after its GEMM on the single-image and batch paths): for a graph whose Conv output only feeds a
    /// Relu and is kept for nobody else (`Graph.rectifiedConvolutions`). The same numbers as the two ops in turn.
    func forward(_ inputs: [Tensor?], rectified: Bool) throws -> [Tensor] {
        let x = try inputs.required(0)
        let weight = try inputs.required(1, "weight")
        let bias = inputs.optional(2)
        let p = try plan(x.shape, weight.shape, bias?.shape)
        let win = p.window
        var y = Tensor(uninitializedShape: [p.n, p.m, win.outH, win.outW])
        if Winograd3x3.applies(win, group: group, inChannels: p.c, outChannels: p.m) {
            x.withUnsafeBufferPointer { xs in
                y.withUnsafeMutableBufferPointer { ys in
                    let u = weight.withUnsafeBufferPointer {
                        Winograd3x3.forwardWeights($0.baseAddress!, outChannels: p.m, inChannels: p.c)
                    }
                    Winograd3x3.convolve(
                        xs.baseAddress!, images: p.n, inH: win.inH, inW: win.inW, padTop: win.padTop,
                        padLeft: win.padLeft, weights: u, outH: win.outH, outW: win.outW, into: ys.baseAddress!)
                }
            }
            unifyIdenticalPatches(&y, x, p)
            if let bias { addChannelBias(&y, bias) }
            if rectified { rectifyInPlace(&y) }
            return [y]
        }
        if ConvMinibatch.applies(self, p) {
            var batch = ConvMinibatch.forward(x, weight, bias, p)
            if rectified { rectifyInPlace(&batch) }
            return [batch]
        }
        if runsAsSingleImage(p) {
            // Rectifying before copying twins' outputs gives the same bytes as after (a copy of max(v, 0) is max(v, 0)).
            var single = forwardSingleImage(x, weight, bias, p, rectified: rectified)
            if !ConvProduct.givesIdenticalPatchesIdenticalOutputs { unifyIdenticalPatches(&single, x, p) }
            return [single]
        }
        // Each image in the same parts as a single image takes (`ConvSingleImage`): the same bytes at any batch size.
        let planeIn = win.inH * win.inW
        let planeOut = p.planeOut
        let parts = forwardParts(p)
        let cols = ScratchBuffers(count: BatchParallel.workers(for: p.n), size: partScratch(p))
        let biasValues = bias?.scalars
        x.withUnsafeBufferPointer { xs in
            weight.withUnsafeBufferPointer { ws in
                y.withUnsafeMutableBufferPointer { ys in
                    BatchParallel.run(p.n) { worker, images in
                        for n in images {
                            for part in 0..<parts {
                                forwardPart(
                                    part, of: parts, xs.baseAddress! + n * p.c * planeIn, ws.baseAddress!, biasValues,
                                    ys.baseAddress! + n * p.m * planeOut, cols[worker], p, rectified: rectified)
                            }
                        }
                    }
                }
            }
        }
        // The bias is already added: copying before or after adding gives the same bytes.
        if !ConvProduct.givesIdenticalPatchesIdenticalOutputs { unifyIdenticalPatches(&y, x, p) }
        return [y]
    }

    /// Equal outputs wherever neighbouring positions see identical patches (`IdenticalPatches`), image by image.
    private func unifyIdenticalPatches(_ y: inout Tensor, _ x: Tensor, _ p: Plan) {
        guard group == 1 else { return }
        let planeIn = p.window.inH * p.window.inW
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                let (xBase, yBase) = (xs.baseAddress!, ys.baseAddress!)
                BatchParallel.split(p.n) { images in
                    for n in images {
                        IdenticalPatches.unify(yBase + n * p.m * p.planeOut, outputChannels: p.m,
                                               input: xBase + n * p.c * planeIn, channels: p.c, p.window)
                    }
                }
            }
        }
    }

    public func backward(_ ctx: BackwardContext) throws -> [Tensor?] {
        let x = try ctx.input(0)
        let weight = try ctx.input(1)
        let bias = ctx.inputs.optional(2)
        let p = try plan(x.shape, weight.shape, bias?.shape)
        if ConvMinibatch.applies(self, p) { return ConvMinibatch.backward(ctx, x, weight, hasBias: bias != nil, p) }
        let win = p.window
        let dy = ctx.outputGradient()
        let planeIn = win.inH * win.inW
        let planeOut = p.planeOut
        let k = p.k
        let pointwise = win.isPointwise
        let wantX = ctx.needs(0)
        let wantW = ctx.needs(1)
        let wantB = bias != nil && ctx.needs(2)
        var dw: Tensor? = wantW ? Tensor.zeros(weight.shape) : nil
        var db: Tensor?
        if wantB { db = dy.sum(alongAxes: [0, 2, 3]) }
        guard wantX || wantW else { return [nil, nil, db] }
        var dx: Tensor?
        // dX as a Winograd convolution of dY (below, only dW remains), else by `inputGradientPart` per image
        // (below; all of one image at once on both cores when it is alone).
        let winogradX = wantX && Winograd3x3.appliesToInputGradient(win, group: group, inChannels: p.c, outChannels: p.m)
        let singleImageX = wantX && !winogradX && runsAsSingleImage(p)
        if winogradX {
            dx = inputGradientByWinograd(dy, weight, p)
        } else if singleImageX {
            dx = inputGradientSingleImage(dy, weight, p)
        }
        let loopX = wantX && !winogradX && !singleImageX
        guard loopX || wantW else { return [dx, dw, db] }
        let workers = BatchParallel.workers(for: p.n)
        let cols = ScratchBuffers(count: workers, size: Swift.max(partScratch(p), pointwise ? 0 : k * planeOut))
        let xParts = inputGradientParts(p)
        // Each extra worker accumulates its weight gradient separately; summed at the end.
        let partialWeightGradients = ScratchBuffers(count: wantW ? workers - 1 : 0, size: weight.count, zeroed: true)
        // The only references to their storage (a second one would make the mutable access below copy it):
        // every element of dxStore is written by `inputGradientPart`.
        var dxStore = loopX ? Tensor(uninitializedShape: x.shape) : Tensor.zeros([0])
        var dwStore = dw.take() ?? Tensor.zeros([0])
        x.withUnsafeBufferPointer { xs in
            weight.withUnsafeBufferPointer { ws in
                dy.withUnsafeBufferPointer { gs in
                    dxStore.withUnsafeMutableBufferPointer { dxs in
                        dwStore.withUnsafeMutableBufferPointer { dws in
                            let xBase = xs.baseAddress!
                            let wBase = ws.baseAddress!
                            let gBase = gs.baseAddress!
                            let dxBase = dxs.baseAddress
                            let dwBase = dws.baseAddress
                            BatchParallel.run(p.n) { worker, images in
                                let dwTarget = worker == 0 || !wantW ? dwBase : partialWeightGradients[worker - 1]
                                for n in images {
                                    for g in 0..<group {
                                        let xg = xBase + (n * p.c + g * p.cg) * planeIn
                                        let gg = gBase + (n * p.m + g * p.mg) * planeOut
                                        if wantW, let dwTarget {
                                            // dW_g += dY_g [mg, P] · colᵀ [P, k]
                                            let colPtr: UnsafePointer<Float>
                                            if pointwise {
                                                colPtr = xg
                                            } else {
                                                im2col(xg, channels: p.cg, win, into: cols[worker])
                                                colPtr = UnsafePointer(cols[worker])
                                            }
                                            BLAS.sgemm(
                                                transB: true, m: p.mg, n: k, k: planeOut, a: gg, lda: planeOut,
                                                b: colPtr, ldb: planeOut, beta: 1,
                                                c: dwTarget + g * p.mg * k, ldc: k)
                                        }
                                    }
                                    if loopX, let dxBase {
                                        // By the single-image path's parts (the same bytes at any batch size).
                                        let gn = gBase + n * p.m * planeOut
                                        let sparse = sparseRows(gn, p)
                                        for part in 0..<xParts {
                                            inputGradientPart(
                                                part, of: xParts, gn, wBase, sparse, dxBase + n * p.c * planeIn,
                                                cols[worker], p)
                                        }
                                    }
                                }
                            }
                            if let dwBase {
                                for partial in 0..<partialWeightGradients.count {
                                    BLAS.saxpy(
                                        count: weight.count, alpha: 1, x: partialWeightGradients[partial], y: dwBase)
                                }
                            }
                        }
                    }
                }
            }
        }
        if loopX { dx = dxStore }
        if wantW { dw = dwStore }
        return [dx, dw, db]
    }

    /// dX of a 3×3 stride-1 convolution: dY [N, M, outH, outW] convolved with the rotated, transposed weights
    /// and pads 2 − pad, which gives exactly [N, C, inH, inW].
    private func inputGradientByWinograd(_ dy: Tensor, _ weight: Tensor, _ p: Plan) -> Tensor {
        let win = p.window
        var dx = Tensor(uninitializedShape: [p.n, p.c, win.inH, win.inW])
        let u = weight.withUnsafeBufferPointer {
            Winograd3x3.inputGradientWeights($0.baseAddress!, outChannels: p.m, inChannels: p.c)
        }
        dy.withUnsafeBufferPointer { gs in
            dx.withUnsafeMutableBufferPointer { dxs in
                Winograd3x3.convolve(
                    gs.baseAddress!, images: p.n, inH: win.outH, inW: win.outW, padTop: 2 - win.padTop,
                    padLeft: 2 - win.padLeft, weights: u, outH: win.inH, outW: win.inW, into: dxs.baseAddress!)
            }
        }
        return dx
    }
    public var backwardReadsOutputs: Bool { false }
}

/// Per-worker scratch memory (im2col columns, partial weight gradients), freed on deinit.
final class ScratchBuffers {
    private let pointers: [UnsafeMutablePointer<Float>]
    init(count: Int, size: Int, zeroed: Bool = false) {
        pointers = (0..<count).map { _ in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(size, 1))
            if zeroed { p.initialize(repeating: 0, count: size) }
            return p
        }
    }
    var count: Int { pointers.count }
    subscript(_ i: Int) -> UnsafeMutablePointer<Float> { pointers[i] }
    deinit { for p in pointers { p.deallocate() } }
}

/// y = max(y, 0) in place, split between the cores (the paths that cannot rectify band by band).
func rectifyInPlace(_ y: inout Tensor) {
    y.withUnsafeMutableBufferPointer { ys in
        let base = ys.baseAddress!
        BatchParallel.split(ys.count, grain: elementwiseGrain) { range in rectify(base, into: base, range) }
    }
}

/// y[n, c, …] += bias[c] for a tensor laid out [N, C, spatial…].
func addChannelBias(_ y: inout Tensor, _ bias: Tensor) {
    let n = y.shape[0]
    let c = y.shape[1]
    let plane = y.count / Swift.max(n * c, 1)
    bias.withUnsafeBufferPointer { bs in
        y.withUnsafeMutableBufferPointer { ys in
            for i in 0..<n {
                for ch in 0..<c {
                    let b = bs[ch]
                    let row = ys.baseAddress! + (i * c + ch) * plane
                    for j in 0..<plane { row[j] += b }
                }
            }
        }
    }
}
