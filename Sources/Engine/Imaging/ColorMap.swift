/// A colour in [0, 1] per channel.
public struct RGB: Sendable, Equatable, Hashable {
    public var r: Float, g: Float, b: Float
    public init(_ r: Float, _ g: Float, _ b: Float) {
        self.r = r
        self.g = g
        self.b = b
    }
    /// From a 0xRRGGBB literal.
    public init(hex: UInt32) {
        self.init(Float((hex >> 16) & 0xFF) / 255, Float((hex >> 8) & 0xFF) / 255, Float(hex & 0xFF) / 255)
    }
    public static let white = RGB(1, 1, 1)
    public static let black = RGB(0, 0, 0)
    /// `#rrggbb`, for SVG.
    public var hexString: String {
        func byte(_ v: Float) -> Int { Int((min(max(v, 0), 1) * 255).rounded()) }
        let digits = Array("0123456789abcdef")
        return "#" + [byte(r), byte(g), byte(b)].map { "\(digits[$0 >> 4])\(digits[$0 & 15])" }.joined()
    }
}

/// A 256-entry colour lookup table with matplotlib's values and indexing: `x` in [0, 1] picks entry
/// `⌊256·x⌋` (1.0 picks the last), values below 0 or above 1 clamp to the ends, NaN draws white
/// (matplotlib's "bad" colour is transparent, which shows as the white page).
public struct ColorMap: Sendable, Equatable {
    public let name: String
    /// 256 × RGB, row-major.
    public let table: [Float]

    /// Every map the engine knows: perceptually uniform (viridis, magma, inferno, plasma), gray, hot, jet,
    /// and the diverging RdBu, RdBu_r, bwr, coolwarm (centre white/gray at 0 with `symmetric` ranges).
    public static let names: [String] = ColorMapTables.sources.keys.sorted()

    /// Names of diverging maps: heat maps drawn with them default to a range symmetric around 0.
    public static let divergingNames: Set<String> = ["RdBu", "RdBu_r", "bwr", "coolwarm"]

    private static let all: [String: ColorMap] = {
        var maps: [String: ColorMap] = [:]
        for (name, text) in ColorMapTables.sources {
            let values = text.split(separator: " ").map { Float($0) ?? 0 }
            precondition(values.count == 768, "colour table \(name) must have 256 RGB entries")
            maps[name] = ColorMap(name: name, table: values)
        }
        return maps
    }()

    private init(name: String, table: [Float]) {
        self.name = name
        self.table = table
    }

    /// The map called `name` (case-insensitive; `RdBu_r` keeps its suffix), or `ImageError.invalidArgument`
    /// listing the known names.
    public static func named(_ name: String) throws -> ColorMap {
        if let map = all[name] { return map }
        if let key = all.keys.first(where: { $0.lowercased() == name.lowercased() }), let map = all[key] {
            return map
        }
        throw ImageError.invalidArgument("unknown colour map \"\(name)\"; known: \(names.joined(separator: ", "))")
    }

    public static var viridis: ColorMap { all["viridis"]! }
    public static var magma: ColorMap { all["magma"]! }
    public static var inferno: ColorMap { all["inferno"]! }
    public static var gray: ColorMap { all["gray"]! }
    public static var jet: ColorMap { all["jet"]! }
    public static var rdBuReversed: ColorMap { all["RdBu_r"]! }
    public static var bwr: ColorMap { all["bwr"]! }

    public var isDiverging: Bool { Self.divergingNames.contains(name) }

    /// The colour for a normalised value.
    public func color(_ x: Double) -> RGB {
        if x.isNaN { return .white }
        var index = Int((x * 256).rounded(.down).clamped(to: -1...256))
        index = min(max(index, 0), 255)
        return RGB(table[3 * index], table[3 * index + 1], table[3 * index + 2])
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}

/// A 2-D field of numbers drawn with a colour map (saliency, Grad-CAM, occlusion, activations).
public struct HeatMap: Sendable, Equatable {
    public var height: Int
    public var width: Int
    /// Row-major H × W.
    public var values: [Float]

    public init(height: Int, width: Int, values: [Float]) {
        precondition(values.count == height * width, "heat map needs \(height)×\(width) values, got \(values.count)")
        self.height = height
        self.width = width
        self.values = values
    }

    /// The data range used when none is given: [min, max] over finite values, or [−m, m] with m = max |v|
    /// when `symmetric` (diverging maps). A constant field gets a range around its value.
    public func autoRange(symmetric: Bool) -> ClosedRange<Float> {
        let finite = values.filter { $0.isFinite }
        guard let lo = finite.min(), let hi = finite.max() else { return 0...1 }
        if symmetric {
            let m = max(abs(lo), abs(hi))
            return m > 0 ? -m...m : -1...1
        }
        return lo < hi ? lo...hi : (lo - 0.5)...(hi + 0.5)
    }

    /// Colours each value after mapping `range` linearly onto [0, 1] (matplotlib's `Normalize`).
    public func colored(_ map: ColorMap, range: ClosedRange<Float>? = nil) -> Image {
        let r = range ?? autoRange(symmetric: map.isDiverging)
        let lo = Double(r.lowerBound)
        let span = Double(r.upperBound - r.lowerBound)
        var out = [Float](repeating: 0, count: height * width * 3)
        for i in 0..<(height * width) {
            let v = Double(values[i])
            let x = span > 0 ? (v - lo) / span : 0
            let c = map.color(v.isNaN ? .nan : x)
            out[3 * i] = c.r
            out[3 * i + 1] = c.g
            out[3 * i + 2] = c.b
        }
        return Image(height: height, width: width, channels: 3, pixels: out)
    }

    /// The field as a one-channel image (for resampling), values unchanged.
    var asImage: Image { Image(height: height, width: width, channels: 1, pixels: values) }
}

extension Image {
    /// `heat` coloured with `map`, resized (bilinear) to this image's size and blended over it:
    /// `(1 − alpha)·image + alpha·colour`. Gray images are drawn in RGB.
    public func overlaid(
        with heat: HeatMap, map: ColorMap = .jet, alpha: Float = 0.5,
        range: ClosedRange<Float>? = nil
    ) -> Image {
        let r = range ?? heat.autoRange(symmetric: map.isDiverging)
        let fitted = heat.asImage.resized(height: height, width: width, filter: .bilinear)
        let colored = HeatMap(height: height, width: width, values: fitted.pixels).colored(map, range: r)
        let base = toRGB()
        var out = base.pixels
        for i in 0..<out.count { out[i] = (1 - alpha) * base.pixels[i] + alpha * colored.pixels[i] }
        return Image(height: height, width: width, channels: 3, pixels: out, label: label, name: name)
    }
}
