import Foundation

/// "Nice" axis ticks (steps of 1, 2, 2.5 or 5 × 10^k) and their labels, for plots and colour bars.
enum Ticks {
    /// Tick positions inside [lo, hi], about `target` of them, and the step between them.
    static func nice(lo: Double, hi: Double, target: Int = 6) -> (values: [Double], step: Double) {
        guard lo.isFinite, hi.isFinite else { return ([], 1) }
        if hi <= lo { return ([lo], 1) }
        let raw = (hi - lo) / Double(max(target - 1, 1))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var values: [Double] = []
        var v = (lo / step).rounded(.up) * step
        let end = hi + step * 1e-9
        while v <= end && values.count < 100 {
            values.append(abs(v) < step * 1e-9 ? 0 : v)
            let next = v + step
            if next == v { break }  // the step is below the values' precision (a range like 1e10 … 1e10 + 1e-6)
            v = next
        }
        return (values, step)
    }

    /// A label with just enough decimals for the step (`0.25`, `10`, `1e-05`).
    static func label(_ v: Double, step: Double) -> String {
        // matplotlib's typographic minus sign (U+2212) rather than a hyphen.
        plainLabel(v, step: step).replacingOccurrences(of: "-", with: "\u{2212}")
    }

    private static func plainLabel(_ v: Double, step: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e6 || a < 1e-4 { return String(format: "%.3g", v) }
        var decimals = max(0, -Int(log10(step).rounded(.down)))
        if decimals > 0, abs((step * pow(10, Double(decimals))).rounded() - step * pow(10, Double(decimals))) > 1e-6 {
            decimals += 1  // steps like 0.25
        }
        return String(format: "%.\(min(decimals, 6))f", v)
    }
}

/// Maps data coordinates into a pixel rectangle (y up in data, down in pixels).
struct PlotFrame {
    var x: Double, y: Double, width: Double, height: Double
    var xRange: ClosedRange<Double>, yRange: ClosedRange<Double>

    func px(_ v: Double) -> Double {
        let span = xRange.upperBound - xRange.lowerBound
        return x + (span > 0 ? (v - xRange.lowerBound) / span : 0.5) * width
    }

    func py(_ v: Double) -> Double {
        let span = yRange.upperBound - yRange.lowerBound
        return y + height - (span > 0 ? (v - yRange.lowerBound) / span : 0.5) * height
    }

    /// Range of the finite values widened by `margin` of its span on each side (a point if all equal).
    static func paddedRange(_ values: [Double], margin: Double = 0.05) -> ClosedRange<Double> {
        let finite = values.filter { $0.isFinite }
        guard let lo = finite.min(), let hi = finite.max() else { return 0...1 }
        if hi == lo { return (lo - 1)...(hi + 1) }
        let pad = (hi - lo) * margin
        return (lo - pad)...(hi + pad)
    }

    /// Axes box, ticks, tick labels, axis labels and title.
    func drawAxes(into d: inout Drawing, xLabel: String?, yLabel: String?, title: String?) {
        let ink = RGB(hex: 0x333333)
        let gridInk = RGB(hex: 0xE5E5E5)
        let xt = Ticks.nice(lo: xRange.lowerBound, hi: xRange.upperBound)
        let yt = Ticks.nice(lo: yRange.lowerBound, hi: yRange.upperBound)
        for v in xt.values {
            let p = px(v).rounded() + 0.5
            d.add(.polyline(points: [(p, y), (p, y + height)], color: gridInk, width: 1))
        }
        for v in yt.values {
            let p = py(v).rounded() + 0.5
            d.add(.polyline(points: [(x, p), (x + width, p)], color: gridInk, width: 1))
        }
        d.add(.rect(x: x, y: y, width: width + 1, height: height + 1, fill: nil, stroke: ink))
        for v in xt.values {
            let p = px(v).rounded() + 0.5
            d.add(.polyline(points: [(p, y + height + 1), (p, y + height + 5)], color: ink, width: 1))
            d.add(.text(Ticks.label(v, step: xt.step), x: p, y: y + height + 18, size: 11, color: ink, anchor: .middle))
        }
        for v in yt.values {
            let p = py(v).rounded() + 0.5
            d.add(.polyline(points: [(x - 4, p), (x, p)], color: ink, width: 1))
            d.add(.text(Ticks.label(v, step: yt.step), x: x - 7, y: p + 4, size: 11, color: ink, anchor: .end))
        }
        if let xLabel {
            d.add(.text(xLabel, x: x + width / 2, y: y + height + 36, size: 12, color: ink, anchor: .middle))
        }
        if let yLabel { d.add(.text(yLabel, x: x, y: y - 8, size: 12, color: ink, anchor: .start)) }
        if let title {
            d.add(
                .text(
                    title, x: x + width / 2, y: y - (yLabel == nil ? 10 : 26), size: 14, color: .black, anchor: .middle)
            )
        }
    }
}

/// matplotlib's categorical palettes: tab10 for up to 10 classes, tab20 beyond.
public enum Palette {
    public static let tab10: [RGB] = [
        0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
    ].map { RGB(hex: $0) }
    public static let tab20: [RGB] = [
        0x1f77b4, 0xaec7e8, 0xff7f0e, 0xffbb78, 0x2ca02c, 0x98df8a, 0xd62728, 0xff9896, 0x9467bd, 0xc5b0d5,
        0x8c564b, 0xc49c94, 0xe377c2, 0xf7b6d2, 0x7f7f7f, 0xc7c7c7, 0xbcbd22, 0xdbdb8d, 0x17becf, 0x9edae5,
    ].map { RGB(hex: $0) }

    /// The colour of class `index` when there are `count` classes.
    public static func color(_ index: Int, of count: Int) -> RGB {
        let table = count <= 10 ? tab10 : tab20
        return table[((index % table.count) + table.count) % table.count]
    }
}
