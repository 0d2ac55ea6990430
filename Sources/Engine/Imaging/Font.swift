import CFreeType
import Foundation

/// One rasterised glyph: an 8-bit coverage bitmap and where it sits relative to the pen.
struct Glyph {
    var width: Int
    var rows: Int
    /// Offset from the pen to the bitmap's left edge.
    var left: Int
    /// Distance from the baseline up to the bitmap's top row.
    var top: Int
    /// Pen advance in whole pixels.
    var advance: Int
    var coverage: [UInt8]
}

/// The text face for PNGs: DejaVu Sans (Debian's fonts-dejavu-core) through FreeType, with light hinting
/// and 8-bit anti-aliased coverage. Owns its FT_Library and FT_Face (freed in deinit); FreeType objects
/// are not thread-safe, so every use takes the lock. Glyphs are cached per (character, pixel size).
public final class Font: @unchecked Sendable {
    /// Where Debian installs the font; the first that exists is used.
    public static let searchPaths = [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    ]

    private var library: FT_Library?
    private var face: FT_Face?
    private let lock = NSLock()
    private var cache: [Int: [Unicode.Scalar: Glyph]] = [:]
    private var kerningCache: [Int: [UInt64: Int]] = [:]
    public let path: String

    /// Loads a TrueType/OpenType file.
    public init(path: String) throws {
        self.path = path
        var lib: FT_Library?
        guard FT_Init_FreeType(&lib) == 0, let lib else { throw ImageError.fontUnavailable("FreeType failed to start") }
        library = lib
        var f: FT_Face?
        guard FT_New_Face(lib, path, 0, &f) == 0, let f else {
            FT_Done_FreeType(lib)
            library = nil
            throw ImageError.fontUnavailable("cannot load \(path) (install the Debian package fonts-dejavu-core)")
        }
        face = f
    }

    deinit {
        if let face { FT_Done_Face(face) }
        if let library { FT_Done_FreeType(library) }
    }

    private static let loaded: Result<Font, ImageError> = {
        guard let path = searchPaths.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            return .failure(
                .fontUnavailable(
                    "DejaVuSans.ttf not found in \(searchPaths.joined(separator: ", ")); "
                        + "install the Debian package fonts-dejavu-core"))
        }
        do { return .success(try Font(path: path)) } catch let e as ImageError { return .failure(e) } catch {
            return .failure(.fontUnavailable("\(error)"))
        }
    }()

    /// The shared DejaVu Sans face.
    public static func shared() throws -> Font { try loaded.get() }

    /// The glyph for a character at a pixel size (missing characters render as the font's .notdef box).
    func glyph(_ scalar: Unicode.Scalar, size: Int) -> Glyph {
        lock.lock()
        defer { lock.unlock() }
        if let g = cache[size]?[scalar] { return g }
        var g = Glyph(width: 0, rows: 0, left: 0, top: 0, advance: size / 3, coverage: [])
        if let face, FT_Set_Pixel_Sizes(face, 0, FT_UInt(size)) == 0,
            FT_Load_Char(face, FT_ULong(scalar.value), CFT_LOAD_RENDER_LIGHT) == 0, let slot = face.pointee.glyph
        {
            let bitmap = slot.pointee.bitmap
            let width = Int(bitmap.width)
            let rows = Int(bitmap.rows)
            let pitch = Int(bitmap.pitch)
            var coverage = [UInt8](repeating: 0, count: width * rows)
            if let buffer = bitmap.buffer, width > 0, rows > 0 {
                for y in 0..<rows {
                    for x in 0..<width { coverage[y * width + x] = buffer[y * pitch + x] }
                }
            }
            g = Glyph(
                width: width, rows: rows, left: Int(slot.pointee.bitmap_left), top: Int(slot.pointee.bitmap_top),
                advance: Int((slot.pointee.advance.x + 32) >> 6), coverage: coverage)
        }
        cache[size, default: [:]][scalar] = g
        return g
    }

    /// Horizontal kerning between two characters in whole pixels (the font's legacy `kern` table; 0 if none).
    func kerning(_ left: Unicode.Scalar, _ right: Unicode.Scalar, size: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let key = UInt64(left.value) << 32 | UInt64(right.value)
        if let k = kerningCache[size]?[key] { return k }
        var k = 0
        if let face, face.pointee.face_flags & FT_Long(FT_FACE_FLAG_KERNING) != 0,
            FT_Set_Pixel_Sizes(face, 0, FT_UInt(size)) == 0
        {
            var delta = FT_Vector()
            let l = FT_Get_Char_Index(face, FT_ULong(left.value))
            let r = FT_Get_Char_Index(face, FT_ULong(right.value))
            if FT_Get_Kerning(face, l, r, FT_UInt(FT_KERNING_DEFAULT.rawValue), &delta) == 0 {
                k = Int((delta.x + 32) >> 6)
            }
        }
        kerningCache[size, default: [:]][key] = k
        return k
    }

    /// Glyphs of one line with their pen positions (kerning applied), relative to the start of the line.
    func layout(_ text: String, size: Int) -> (glyphs: [(glyph: Glyph, x: Int)], width: Int) {
        var pen = 0
        var previous: Unicode.Scalar?
        var placed: [(glyph: Glyph, x: Int)] = []
        for scalar in text.unicodeScalars {
            if let previous { pen += kerning(previous, scalar, size: size) }
            let g = glyph(scalar, size: size)
            placed.append((g, pen))
            pen += g.advance
            previous = scalar
        }
        return (placed, pen)
    }

    /// Width in pixels of a single line of text.
    public func width(of text: String, size: Int) -> Int { layout(text, size: size).width }

    /// `text`, or its longest prefix followed by "…", that fits in `maxWidth` pixels.
    public func truncated(_ text: String, toWidth maxWidth: Double, size: Int) -> String {
        if Double(width(of: text, size: size)) <= maxWidth { return text }
        var chars = Array(text)
        while !chars.isEmpty {
            chars.removeLast()
            let candidate = String(chars) + "…"
            if Double(width(of: candidate, size: size)) <= maxWidth { return candidate }
        }
        return ""
    }

    /// Ascent (baseline to top of capitals, roughly) for vertical centring: 0.72 em for DejaVu Sans.
    public static func capHeight(size: Int) -> Double { 0.73 * Double(size) }
}

/// Text width for layout: FreeType when the font is there, an estimate otherwise (SVG output still works).
func textWidth(_ text: String, size: Int) -> Double {
    if let font = try? Font.shared() { return Double(font.width(of: text, size: size)) }
    return Double(text.count) * Double(size) * 0.6
}

/// Text shortened with "…" to fit `maxWidth` (unchanged when the font is unavailable).
func fitText(_ text: String, maxWidth: Double, size: Int) -> String {
    (try? Font.shared())?.truncated(text, toWidth: maxWidth, size: size) ?? text
}
