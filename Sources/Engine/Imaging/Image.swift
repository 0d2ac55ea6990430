/// A picture at the edges of the engine: height × width × channels floats in [0, 1], interleaved (HWC).
///
/// Invariants: `channels` is 1 (gray) or 3 (RGB); `pixels.count == height * width * channels`.
/// Transparency never reaches an `Image`: decoders composite alpha onto white (see `PNGCodec`).
/// The engine works in C×H×W (NCHW without the N); `chwData()` / `init(chw:…)` convert without
/// depending on the Tensor type.
public struct Image: Sendable, Equatable {
    public var height: Int
    public var width: Int
    public var channels: Int
    /// HWC interleaved: the value of channel `c` at row `y`, column `x` is `pixels[(y * width + x) * channels + c]`.
    public var pixels: [Float]
    /// A class index, when the image came from a labelled dataset.
    public var label: Int?
    /// Where the image came from (file name, sample name), for display.
    public var name: String?

    /// Wraps HWC pixels. Precondition: channels ∈ {1, 3} and the pixel count matches.
    public init(height: Int, width: Int, channels: Int, pixels: [Float], label: Int? = nil, name: String? = nil) {
        precondition(channels == 1 || channels == 3, "Image channels must be 1 or 3, got \(channels)")
        precondition(height >= 0 && width >= 0, "Image size must be non-negative")
        precondition(
            pixels.count == height * width * channels,
            "Image pixel count \(pixels.count) != \(height)×\(width)×\(channels)")
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = pixels
        self.label = label
        self.name = name
    }

    /// A uniform image (e.g. a white canvas).
    public init(height: Int, width: Int, channels: Int, fill: Float = 0) {
        self.init(
            height: height, width: width, channels: channels,
            pixels: [Float](repeating: fill, count: height * width * channels))
    }

    /// Builds an image from a C×H×W buffer (the engine's layout for one sample).
    public init(chw: [Float], channels: Int, height: Int, width: Int, label: Int? = nil, name: String? = nil) {
        precondition(
            chw.count == channels * height * width,
            "CHW buffer has \(chw.count) values, expected \(channels)×\(height)×\(width)")
        var hwc = [Float](repeating: 0, count: chw.count)
        let plane = height * width
        for c in 0..<channels {
            for i in 0..<plane { hwc[i * channels + c] = chw[c * plane + i] }
        }
        self.init(height: height, width: width, channels: channels, pixels: hwc, label: label, name: name)
    }

    /// The pixels as a C×H×W buffer (planar), ready to become an engine tensor of shape [C, H, W].
    public func chwData() -> [Float] {
        var chw = [Float](repeating: 0, count: pixels.count)
        let plane = height * width
        for c in 0..<channels {
            for i in 0..<plane { chw[c * plane + i] = pixels[i * channels + c] }
        }
        return chw
    }

    /// Number of pixels (positions), not values.
    public var pixelCount: Int { height * width }

    /// Value at (y, x, c); no bounds clamping.
    @inlinable public subscript(y: Int, x: Int, c: Int) -> Float {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }

    /// The same picture with 3 channels (gray repeated); RGB images are returned unchanged.
    public func toRGB() -> Image {
        if channels == 3 { return self }
        var out = [Float](repeating: 0, count: pixelCount * 3)
        for i in 0..<pixelCount {
            let v = pixels[i]
            out[3 * i] = v
            out[3 * i + 1] = v
            out[3 * i + 2] = v
        }
        return Image(height: height, width: width, channels: 3, pixels: out, label: label, name: name)
    }

    /// The same picture with 1 channel, by ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B), as PIL's "L" mode.
    public func toGray() -> Image {
        if channels == 1 { return self }
        var out = [Float](repeating: 0, count: pixelCount)
        for i in 0..<pixelCount {
            out[i] = 0.299 * pixels[3 * i] + 0.587 * pixels[3 * i + 1] + 0.114 * pixels[3 * i + 2]
        }
        return Image(height: height, width: width, channels: 1, pixels: out, label: label, name: name)
    }

    /// Values clamped into [0, 1] (NaN becomes 0), as every encoder needs.
    public func clamped() -> Image {
        var copy = self
        copy.pixels.withUnsafeMutableBufferPointer { values in
            guard let base = values.baseAddress else { return }
            var i = 0
            // Eight lanes at a time (the scalar map was ~0.3 ms of a 224×224 saliency figure). "Not above 0" takes
            // NaN, −0 and negatives to +0, as `isNaN ? 0 : max(v, 0)` does.
            while i + 8 <= values.count {
                var v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self)
                v.replace(with: 0, where: .!(v .> 0))
                v.replace(with: 1, where: v .> 1)
                UnsafeMutableRawPointer(base + i).storeBytes(of: v, as: SIMD8<Float>.self)
                i += 8
            }
            while i < values.count {
                let v = base[i]
                base[i] = v.isNaN ? 0 : min(max(v, 0), 1)
                i += 1
            }
        }
        return copy
    }

    /// 8-bit samples (round half up after clamping), HWC interleaved.
    public func bytes() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: pixels.count) { out, count in
            pixels.withUnsafeBufferPointer { src in
                for i in 0..<src.count {
                    let v = src[i]
                    let c = v.isNaN ? 0 : min(max(v, 0), 1)
                    out[i] = UInt8(c * 255 + 0.5)  // truncation of a non-negative value: round half up
                }
            }
            count = pixels.count
        }
    }

    /// An image from 8-bit HWC samples (value / 255).
    public init(bytes: [UInt8], height: Int, width: Int, channels: Int, label: Int? = nil, name: String? = nil) {
        self.init(
            height: height, width: width, channels: channels,
            pixels: bytes.map { Float($0) / 255 }, label: label, name: name)
    }
}

extension Image: CustomStringConvertible {
    /// `Image 224×224×3 "chelsea" label 3`, the text/plain form.
    public var description: String {
        var s = "Image \(height)×\(width)×\(channels)"
        if let name { s += " \"\(name)\"" }
        if let label { s += " label \(label)" }
        return s
    }
}
