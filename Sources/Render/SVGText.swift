import Foundation
import ReportModel

/// Text for XML content and attribute values. Notebooks are untrusted, so every string that
/// reaches a report goes through here; characters XML 1.0 cannot carry become U+FFFD.
public func xmlEscape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"  // &apos; is not HTML 4; the numeric form works everywhere
        case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
        case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: out += "\u{FFFD}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// Text layout and number formatting for the charts, namespaced so Render's other files keep their names free.
enum SVGText {
    /// At most `maxCharacters` characters, an ellipsis marking a cut.
    static func clipped(_ s: String, _ maxCharacters: Int) -> String {
        s.count <= maxCharacters ? s : String(s.prefix(max(0, maxCharacters - 1))) + "…"
    }

    /// Rendered width without font metrics: the average sans-serif glyph is about 0.58 em.
    static func textWidth(_ s: String, fontSize: Double) -> Double { Double(s.count) * fontSize * 0.58 }

    /// How many characters fit in `width` pixels.
    static func characters(fitting width: Double, fontSize: Double) -> Int { max(4, Int(width / (fontSize * 0.58))) }

    /// A viewBox coordinate: one decimal, no trailing ".0", never "-0".
    static func coordinate(_ v: Double) -> String {
        // Clamping keeps absurd inputs from trapping in the Int conversion; they are off-canvas anyway.
        let tenths = Int((min(max(v.isFinite ? v : 0, -1e6), 1e6) * 10).rounded())
        let whole = tenths / 10, fraction = abs(tenths % 10)
        let sign = tenths < 0 && whole == 0 ? "-" : ""
        return fraction == 0 ? sign + String(whole) : "\(sign)\(whole).\(fraction)"
    }

    /// `x` with exactly `decimals` decimals and thousands separated by commas: 1,234.5.
    /// Callers keep |x| × 10^decimals below 2^53.
    static func decimalText(_ x: Double, decimals: Int) -> String {
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((abs(x) * Double(scale)).rounded())
        var text = grouped(scaled / scale)
        if decimals > 0 {
            let fraction = String(scaled % scale)
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return x < 0 && scaled > 0 ? "-" + text : text
    }

    /// Numbers too large or small for `decimalText`: the mantissa to at most `decimals` decimals,
    /// trailing zeros cut (2.5e-7).
    static func scientificText(_ x: Double, decimals: Int = 3) -> String {
        guard x != 0, x.isFinite else { return x == 0 ? "0" : String(x) }
        let decimals = min(15, max(0, decimals))
        var exponent = Int((log10(abs(x))).rounded(.down))
        var mantissa = x / powerOfTen(exponent)
        // Rounding can carry into a new digit (9.9996 → 10.000): renormalize.
        if (abs(mantissa) * powerOfTen(decimals)).rounded() >= 10 * powerOfTen(decimals) { mantissa /= 10; exponent += 1 }
        return trimmedZeros(decimalText(mantissa, decimals: decimals)) + "e" + String(exponent)
    }

    /// A value label (bar heights): 4 significant digits, integers in full.
    static func valueText(_ x: Double) -> String {
        guard x.isFinite else { return String(x) }
        if x == x.rounded(), abs(x) < 1e12 { return grouped(Int(x)) }
        let decimals = 3 - Int((log10(abs(x))).rounded(.down))
        if decimals > 6 || abs(x) >= 1e12 { return scientificText(x) }
        return trimmedZeros(decimalText(x, decimals: max(0, decimals)))
    }

    private static func trimmedZeros(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var t = Substring(s)
        while t.hasSuffix("0") { t = t.dropLast() }
        if t.hasSuffix(".") { t = t.dropLast() }
        return String(t)
    }

    /// 10^k, correctly rounded (parsing rounds once; repeated multiplication would not for k < 0).
    static func powerOfTen(_ k: Int) -> Double { Double("1e\(k)") ?? (k < 0 ? 0 : .infinity) }
}
