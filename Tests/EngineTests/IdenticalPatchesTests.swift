import Testing
@testable import Engine

/// Convolution outputs at positions with identical input patches are bit-identical (as in exact arithmetic and
/// in PyTorch), whatever rounding the GEMM kernel applies column by column.
struct IdenticalPatchesTests {
    /// A 3-channel 40×37 image (a width that is no multiple of 8): a constant background with an object in the middle that splits the background
    /// into runs starting apart (left and right of the object) which meet again below it.
    static func picture() -> Tensor {
        var generator = SeededGenerator(seed: 7)
        var values = [Float](repeating: 0, count: 3 * 40 * 37)
        for c in 0..<3 {
            for y in 0..<40 {
                for x in 0..<37 {
                    let inObject = (8..<24).contains(y) && (12..<28).contains(x)
                    values[(c * 40 + y) * 37 + x] = inObject ? generator.nextNormal() : -0.8101984 + Float(c) * 0.3
                }
            }
        }
        return Tensor(shape: [1, 3, 40, 37], data: values)
    }

    @Test(arguments: [(1, 1, 0), (1, 1, 1), (3, 1, 1), (3, 2, 1), (3, 1, 2), (1, 2, 0)])
    func identicalPatchesGiveIdenticalOutputs(kernel: Int, stride: Int, pad: Int) throws {
        let x = Self.picture()
        let weight = Tensor.random([64, 3, kernel, kernel], .normal(mean: 0, std: 0.3), seed: 1)
        let bias = Tensor.random([64], .normal(mean: 0, std: 0.1), seed: 2)
        let conv = Conv(strides: [stride, stride], pads: [pad, pad, pad, pad])
        let y = try conv.forward([x, weight, bias])[0]
        let (outH, outW) = (y.shape[2], y.shape[3])
        // Group positions by their exact patch; every group must have one output per channel.
        var groups: [[Float]: [Int]] = [:]
        x.withUnsafeBufferPointer { xs in
            for oh in 0..<outH {
                for ow in 0..<outW {
                    var patch: [Float] = []
                    for c in 0..<3 {
                        for kh in 0..<kernel {
                            for kw in 0..<kernel {
                                let (iy, ix) = (oh * stride - pad + kh, ow * stride - pad + kw)
                                patch.append((0..<40).contains(iy) && (0..<37).contains(ix) ? xs[(c * 40 + iy) * 37 + ix] : 0)
                            }
                        }
                    }
                    groups[patch, default: []].append(oh * outW + ow)
                }
            }
        }
        let largest = groups.values.map(\.count).max() ?? 0
        #expect(largest > 100, "the background should give one large group of identical patches")
        y.withUnsafeBufferPointer { ys in
            for positions in groups.values where positions.count > 1 {
                for m in 0..<64 {
                    let plane = ys.baseAddress! + m * outH * outW
                    #expect(positions.allSatisfy { plane[$0].bitPattern == plane[positions[0]].bitPattern },
                            "channel \(m): \(Set(positions.map { plane[$0] }))")
                }
            }
        }
        // And the outputs are still the convolution (against the definition in double).
        x.withUnsafeBufferPointer { xs in
            weight.withUnsafeBufferPointer { ws in
                bias.withUnsafeBufferPointer { bs in
                    y.withUnsafeBufferPointer { ys in
                        var worst = 0.0
                        for m in 0..<64 {
                            for oh in 0..<outH {
                                for ow in 0..<outW {
                                    var s = Double(bs[m])
                                    for c in 0..<3 {
                                        for kh in 0..<kernel {
                                            for kw in 0..<kernel {
                                                let (iy, ix) = (oh * stride - pad + kh, ow * stride - pad + kw)
                                                guard (0..<40).contains(iy), (0..<37).contains(ix) else { continue }
                                                s += Double(xs[(c * 40 + iy) * 37 + ix]) * Double(ws[((m * 3 + c) * kernel + kh) * kernel + kw])
                                            }
                                        }
                                    }
                                    worst = max(worst, abs(s - Double(ys[(m * outH + oh) * outW + ow])))
                                }
                            }
                        }
                        #expect(worst < 1e-5, "max error \(worst)")
                    }
                }
            }
        }
    }
}

/// Each position's twin (identical left, else upper, neighbour patch) as `IdenticalPatches` finds it — row scans for
/// pointwise windows, a centre-tap filter before full compares for the rest — against patches compared whole, on
/// input like a ReLU's output (most channels exactly zero over wide regions, runs of equal values, ±0).
struct NeighbourTwinsTests {
    @Test(arguments: [(32, 23, 37, 1, 1, 0), (64, 9, 8, 1, 1, 0), (5, 4, 3, 1, 1, 0), (16, 1, 17, 1, 1, 0),
                      (6, 23, 37, 3, 1, 1), (3, 24, 37, 3, 2, 0), (4, 13, 21, 3, 2, 1), (2, 9, 11, 2, 1, 0)])
    func twinsMatchWholePatchComparison(channels: Int, height: Int, width: Int, kernel: Int, stride: Int, pad: Int) throws {
        var generator = SeededGenerator(seed: 11)
        var values = [Float](repeating: 0, count: channels * height * width)
        for c in 0..<channels {
            for y in 0..<height {
                for x in 0..<width {
                    // Blocks of a few windows share a value in most channels; a few channels vary per position.
                    let shared = Float((y / (3 * kernel) + x / (4 * kernel)) % 4) - 1.5
                    let own = generator.nextNormal()
                    let v: Float = c % 7 == 6 && (x + y) % 5 == 0 ? own : shared
                    values[(c * height + y) * width + x] = c % 3 == 0 ? max(v, 0) : (v == 0.5 ? -0.0 : v)
                }
            }
        }
        let window = try Window2D(inH: height, inW: width, kernel: [kernel, kernel], strides: [stride, stride],
                                  pads: [pad, pad, pad, pad], dilations: [1, 1], autoPad: .notSet)
        func patch(_ oh: Int, _ ow: Int) -> [UInt32] {
            var p: [UInt32] = []
            for c in 0..<channels {
                for kh in 0..<kernel {
                    for kw in 0..<kernel {
                        let (y, x) = (oh * stride - pad + kh, ow * stride - pad + kw)
                        p.append((0..<height).contains(y) && (0..<width).contains(x)
                                 ? values[(c * height + y) * width + x].bitPattern : 0)
                    }
                }
            }
            return p
        }
        var expected = [Int32](repeating: -1, count: window.outH * window.outW)
        for oh in 0..<window.outH {
            for ow in 0..<window.outW {
                if ow > 0, patch(oh, ow) == patch(oh, ow - 1) {
                    expected[oh * window.outW + ow] = Int32(oh * window.outW + ow - 1)
                } else if oh > 0, patch(oh, ow) == patch(oh - 1, ow) {
                    expected[oh * window.outW + ow] = Int32((oh - 1) * window.outW + ow)
                }
            }
        }
        values.withUnsafeBufferPointer { xs in
            #expect(IdenticalPatches.neighbourTwins(xs.baseAddress!, channels, window) == expected)
            #expect(IdenticalPatches.neighbourTwins(xs.baseAddress!, channels, window, byPosition: true) == expected)
        }
        #expect(expected.contains { $0 >= 0 } && expected.contains { $0 < 0 } || expected.count < 4)
    }
}
