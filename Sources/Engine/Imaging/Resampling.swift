/// How `resized` computes each output pixel.
public enum ResizeFilter: String, Sendable, CaseIterable {
    /// Triangle filter whose support widens with the scale factor on downscale (antialiased), plain bilinear
    /// (half-pixel centres) on upscale. Same weights as PIL's `BILINEAR` and torch's `antialias=True`.
    case bilinear
    /// Box filter: each output pixel averages the input area it covers (PIL's `BOX`).
    case area
    /// The input pixel under the output pixel's centre (PIL's `NEAREST`, torch's `nearest-exact`);
    /// for enlarging small images (Fashion-MNIST, filters) without blur.
    case nearest
}

/// Separable resampling in the manner of PIL's `ImagingResample`: per output index, a window of input
/// indices and normalised weights; the horizontal pass runs first, then the vertical one.
enum Resampler {
    struct Weights {
        var start: [Int]
        var count: [Int]
        var weights: [[Double]]
    }

    static func weights(inSize: Int, outSize: Int, filter: ResizeFilter) -> Weights {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let baseSupport: Double = filter == .bilinear ? 1 : 0.5
        let support = baseSupport * filterScale
        var result = Weights(start: [], count: [], weights: [])
        for out in 0..<outSize {
            let center = (Double(out) + 0.5) * scale
            let lo = max(Int(center - support + 0.5), 0)  // truncation toward zero, as in C
            let hi = min(Int(center + support + 0.5), inSize)
            var ws: [Double] = []
            var total = 0.0
            if hi > lo {
                for i in lo..<hi {
                    let x = (Double(i) - center + 0.5) / filterScale
                    let w: Double
                    switch filter {
                    case .bilinear: w = abs(x) < 1 ? 1 - abs(x) : 0
                    case .area: w = (x > -0.5 && x <= 0.5) ? 1 : 0
                    case .nearest: w = 0
                    }
                    ws.append(w)
                    total += w
                }
            }
            if total != 0 { ws = ws.map { $0 / total } }
            result.start.append(lo)
            result.count.append(ws.count)
            result.weights.append(ws)
        }
        return result
    }
}

extension Image {
    /// This image resampled to `height × width` (both ≥ 1). Label and name are kept.
    public func resized(height newHeight: Int, width newWidth: Int, filter: ResizeFilter = .bilinear) -> Image {
        precondition(newHeight >= 1 && newWidth >= 1, "resize target must be at least 1×1")
        if newHeight == height && newWidth == width { return self }
        var out: [Float]
        switch filter {
        case .nearest:
            out = [Float](repeating: 0, count: newHeight * newWidth * channels)
            let sy = Double(height) / Double(newHeight)
            let sx = Double(width) / Double(newWidth)
            for y in 0..<newHeight {
                let iy = min(Int((Double(y) + 0.5) * sy), height - 1)
                for x in 0..<newWidth {
                    let ix = min(Int((Double(x) + 0.5) * sx), width - 1)
                    for c in 0..<channels {
                        out[(y * newWidth + x) * channels + c] = pixels[(iy * width + ix) * channels + c]
                    }
                }
            }
        case .bilinear, .area:
            var current = pixels
            var curWidth = width
            if newWidth != width {
                let w = Resampler.weights(inSize: width, outSize: newWidth, filter: filter)
                var next = [Float](repeating: 0, count: height * newWidth * channels)
                for y in 0..<height {
                    for x in 0..<newWidth {
                        for c in 0..<channels {
                            var s = 0.0
                            for k in 0..<w.count[x] {
                                s += Double(current[(y * curWidth + w.start[x] + k) * channels + c]) * w.weights[x][k]
                            }
                            next[(y * newWidth + x) * channels + c] = Float(s)
                        }
                    }
                }
                current = next
                curWidth = newWidth
            }
            if newHeight != height {
                let w = Resampler.weights(inSize: height, outSize: newHeight, filter: filter)
                var next = [Float](repeating: 0, count: newHeight * curWidth * channels)
                let rowLength = curWidth * channels
                for y in 0..<newHeight {
                    for k in 0..<w.count[y] {
                        let weight = w.weights[y][k]
                        let src = (w.start[y] + k) * rowLength
                        let dst = y * rowLength
                        for i in 0..<rowLength { next[dst + i] += Float(Double(current[src + i]) * weight) }
                    }
                }
                current = next
            }
            out = current
        }
        return Image(height: newHeight, width: newWidth, channels: channels, pixels: out, label: label, name: name)
    }

    /// Resizes so the shorter side becomes `size`, keeping the aspect ratio; the longer side is
    /// `Int(size · long / short)` (truncated), as torchvision's `Resize(int)`.
    public func resized(shorterSide size: Int, filter: ResizeFilter = .bilinear) -> Image {
        precondition(size >= 1, "resize target must be at least 1")
        let target = sizeWithShorterSide(size)
        return resized(height: target.height, width: target.width, filter: filter)
    }

    /// The size `resized(shorterSide:)` produces (aspect ratio kept, the longer side rounded down, at least 1).
    public func sizeWithShorterSide(_ size: Int) -> (height: Int, width: Int) {
        func longer(_ long: Int, _ short: Int) -> Int {
            let exact = Double(size) * Double(long) / Double(short)
            return exact >= Double(Int32.max) ? Int(Int32.max) : max(1, Int(exact))
        }
        return height <= width ? (size, longer(width, height)) : (longer(height, width), size)
    }

    /// `resized(shorterSide:)` after checking the result against the pixel budget: a 1×50,000 strip resized to
    /// a shorter side of 4096 would be 800 million pixels. Throws `ImageError.tooLarge` before any work.
    public func checkedResize(shorterSide size: Int, filter: ResizeFilter = .bilinear,
                              maxPixels: Int = ImageLimits.maxPixels) throws -> Image {
        guard size >= 1 else { throw ImageError.invalidArgument("resize target must be at least 1, not \(size)") }
        let target = sizeWithShorterSide(size)
        try ImageLimits.check(width: target.width, height: target.height, codec: "resized", budget: maxPixels)
        return resized(height: target.height, width: target.width, filter: filter)
    }

    /// The central `height × width` region, torchvision's `CenterCrop`: offset `round((H − h) / 2)`;
    /// a crop larger than the image pads it first with `fill` (0, as torchvision).
    public func centerCropped(height h: Int, width w: Int, fill: Float = 0) -> Image {
        precondition(h >= 1 && w >= 1, "crop size must be at least 1×1")
        var source = self
        if h > height || w > width {
            let padH = max(0, h - height)
            let padW = max(0, w - width)
            source = padded(top: padH / 2, bottom: (padH + 1) / 2, left: padW / 2, right: (padW + 1) / 2, fill: fill)
        }
        let top = Int((Double(source.height - h) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(source.width - w) / 2).rounded(.toNearestOrEven))
        return source.cropped(top: top, left: left, height: h, width: w)
    }

    /// The region with top-left corner (top, left); the region must lie inside the image.
    public func cropped(top: Int, left: Int, height h: Int, width w: Int) -> Image {
        precondition(
            top >= 0 && left >= 0 && top + h <= height && left + w <= width && h >= 0 && w >= 0,
            "crop region outside the image")
        var out = [Float]()
        out.reserveCapacity(h * w * channels)
        for y in top..<(top + h) {
            let start = (y * width + left) * channels
            out.append(contentsOf: pixels[start..<(start + w * channels)])
        }
        return Image(height: h, width: w, channels: channels, pixels: out, label: label, name: name)
    }

    /// The image surrounded by borders of constant `fill`.
    public func padded(top: Int, bottom: Int, left: Int, right: Int, fill: Float = 0) -> Image {
        precondition(top >= 0 && bottom >= 0 && left >= 0 && right >= 0, "padding must be non-negative")
        let h = height + top + bottom
        let w = width + left + right
        var out = [Float](repeating: fill, count: h * w * channels)
        for y in 0..<height {
            let src = y * width * channels
            let dst = ((y + top) * w + left) * channels
            for i in 0..<(width * channels) { out[dst + i] = pixels[src + i] }
        }
        return Image(height: h, width: w, channels: channels, pixels: out, label: label, name: name)
    }
}
