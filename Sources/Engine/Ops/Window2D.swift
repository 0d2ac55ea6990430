/// How explicit padding is chosen (ONNX `auto_pad`).
public enum AutoPad: String, Sendable {
    /// Use the `pads` attribute.
    case notSet = "NOTSET"
    /// Output extent ceil(in / stride); extra padding at the end.
    case sameUpper = "SAME_UPPER"
    /// Output extent ceil(in / stride); extra padding at the start.
    case sameLower = "SAME_LOWER"
    /// No padding.
    case valid = "VALID"
}

/// The geometry of a 2-D sliding window over an `[N, C, H, W]` tensor, shared by Conv and the pools.
/// Output extent along an axis: ⌊(in + padBegin + padEnd − dilation·(k − 1) − 1) / stride⌋ + 1
/// (⌈…⌉ with `ceilMode`, dropping a last window that would start in the end padding, as PyTorch does).
struct Window2D: Equatable {
    var inH, inW, kH, kW, strideH, strideW, dilH, dilW: Int
    var padTop, padLeft, padBottom, padRight: Int
    var outH, outW: Int

    /// - Parameters: `pads` is ONNX order [top, left, bottom, right].
    init(inH: Int, inW: Int, kernel: [Int], strides: [Int], pads: [Int], dilations: [Int], autoPad: AutoPad,
         ceilMode: Bool = false) throws {
        guard kernel.count == 2 else { throw ShapeError("only 2-D windows are supported, kernel is \(kernel)") }
        guard strides.count == 2, dilations.count == 2, pads.count == 4 else {
            throw ShapeError("2-D window needs 2 strides, 2 dilations and 4 pads; got \(strides), \(dilations), \(pads)")
        }
        guard kernel.allSatisfy({ $0 > 0 }), strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }),
              pads.allSatisfy({ $0 >= 0 }) else {
            throw ShapeError("kernel, strides and dilations must be positive and pads non-negative")
        }
        self.inH = inH; self.inW = inW; kH = kernel[0]; kW = kernel[1]
        strideH = strides[0]; strideW = strides[1]; dilH = dilations[0]; dilW = dilations[1]
        var p = pads
        if autoPad != .notSet {
            p = [0, 0, 0, 0]
            if autoPad != .valid {
                for (axis, input) in [inH, inW].enumerated() {
                    let out = (input + strides[axis] - 1) / strides[axis]
                    let total = Swift.max((out - 1) * strides[axis] + (kernel[axis] - 1) * dilations[axis] + 1 - input, 0)
                    let small = total / 2
                    p[axis] = autoPad == .sameUpper ? small : total - small
                    p[axis + 2] = total - p[axis]
                }
            }
        }
        padTop = p[0]; padLeft = p[1]; padBottom = p[2]; padRight = p[3]
        func extent(_ input: Int, _ k: Int, _ s: Int, _ d: Int, _ begin: Int, _ end: Int) throws -> Int {
            let span = input + begin + end - d * (k - 1) - 1
            guard span >= 0 else { throw ShapeError("window \(k) (dilation \(d)) is larger than padded input \(input + begin + end)") }
            var out = (ceilMode ? (span + s - 1) / s : span / s) + 1
            if ceilMode && (out - 1) * s >= input + begin { out -= 1 }
            return out
        }
        outH = try extent(inH, kH, strideH, dilH, padTop, padBottom)
        outW = try extent(inW, kW, strideW, dilW, padLeft, padRight)
    }

    var isPointwise: Bool {
        kH == 1 && kW == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0 && padBottom == 0 && padRight == 0
    }

    /// Range of output columns `ow` whose input column ow·s − padLeft + kw·d lies inside [0, inW).
    @inline(__always)
    func validColumns(kw: Int) -> Range<Int> {
        let shift = padLeft - kw * dilW
        let lo = shift <= 0 ? 0 : (shift + strideW - 1) / strideW
        let hiNumerator = inW - 1 + shift
        let hi = hiNumerator < 0 ? 0 : Swift.min(hiNumerator / strideW + 1, outW)
        return lo..<Swift.max(lo, hi)
    }

    /// Kernel taps k (0..<kernel) whose input position start + k·dilation lies in [0, extent).
    @inline(__always)
    static func validTaps(start: Int, dilation: Int, kernel: Int, extent: Int) -> Range<Int> {
        let lo = start >= 0 ? 0 : (-start + dilation - 1) / dilation
        let last = extent - 1 - start
        let hi = last < 0 ? 0 : Swift.min(kernel, last / dilation + 1)
        return lo..<Swift.max(lo, hi)
    }
}
