import Foundation

/// Ticks at a 1, 2 or 5 × 10^k step covering [min, max], at most `maxCount` of them (and, for
/// `maxCount` ≥ 8, at least 4): the first at or below `min`, the last at or above `max`.
/// Equal bounds are widened by 10 % so the value sits mid-axis; non-finite bounds give no ticks.
public func niceTicks(min: Double, max: Double, maxCount: Int) -> [Double] {
    SVGTickStep(min: min, max: max, maxCount: maxCount)?.values ?? []
}

/// A tick step `mantissa × 10^exponent` and the multiples of it that cover a range.
struct SVGTickStep {
    var mantissa: Int
    var exponent: Int
    var indices: ClosedRange<Int>

    /// `integral` keeps the step a whole number (epochs, counts).
    init?(min: Double, max: Double, maxCount: Int, integral: Bool = false) {
        guard min.isFinite, max.isFinite else { return nil }
        var lo = Swift.min(min, max), hi = Swift.max(min, max)
        let magnitude = Swift.max(abs(lo), abs(hi))
        if hi - lo <= magnitude * 1e-12 {
            let margin = magnitude == 0 ? 1 : magnitude * 0.1
            lo -= margin; hi += margin
        }
        let span = hi - lo, count = Swift.max(2, maxCount)
        guard span.isFinite, span > 0 else { return nil }  // overflow, or subnormals too small to widen
        // No step below span / (count − 1) can fit, so start at its power of ten and go up.
        var exponent = Int(log10(span / Double(count - 1)).rounded(.down))
        if integral { exponent = Swift.max(0, exponent) }
        while exponent < 300 {
            for mantissa in [1, 2, 5] {
                let step = Double(mantissa) * SVGText.powerOfTen(exponent)
                // The slack absorbs division noise: 0.3 / 0.1 must count as 3, not 2.999….
                let first = (lo / step + 1e-9).rounded(.down), last = (hi / step - 1e-9).rounded(.up)
                guard abs(first) < 1e15, abs(last) < 1e15 else { return nil }
                if last - first + 1 <= Double(count) {
                    self.mantissa = mantissa; self.exponent = exponent; indices = Int(first)...Int(last)
                    return
                }
            }
            exponent += 1
        }
        return nil
    }

    var values: [Double] { indices.map(value) }

    func value(_ index: Int) -> Double {
        let multiple = Double(index * mantissa)
        // An exact integer over an exact power of ten rounds once: the 3rd tick of 0.1 is 0.3.
        return exponent >= 0 ? multiple * SVGText.powerOfTen(exponent) : multiple / SVGText.powerOfTen(-exponent)
    }

    /// Labels with as many decimals as the step has, so a column of them never shows float noise.
    var labels: [String] {
        let largest = Swift.max(abs(value(indices.lowerBound)), abs(value(indices.upperBound)))
        if exponent < -5 || largest >= 1e9 {
            // Enough mantissa decimals to reach the step's digit.
            return values.map { $0 == 0 ? "0" : SVGText.scientificText($0, decimals: Int(log10(abs($0)).rounded(.down)) - exponent) }
        }
        return values.map { SVGText.decimalText($0, decimals: Swift.max(0, -exponent)) }
    }
}

/// One axis: data values (or band indices) to pixels, with its ticks.
struct SVGAxis {
    enum Scale {
        case linear(lo: Double, hi: Double)
        /// Domain in decades: 10^lo … 10^hi.
        case log(lo: Double, hi: Double)
        /// Categories 0..<count, each centred in an equal band; row 0 at `start`.
        case bands(count: Int)
    }
    var scale: Scale
    /// Pixel positions of the domain's ends.
    var start, end: Double
    var ticks: [Double]
    var labels: [String]

    func pixel(_ v: Double) -> Double {
        switch scale {
        case let .linear(lo, hi): start + (v - lo) / (hi - lo) * (end - start)
        case let .log(lo, hi): start + (log10(v) - lo) / (hi - lo) * (end - start)
        case let .bands(count): start + (v + 0.5) / Double(count) * (end - start)
        }
    }

    var bandWidth: Double {
        if case let .bands(count) = scale { return abs(end - start) / Double(count) }
        return 0
    }

    /// A linear axis covering finite `values` (0…1 without any), widened to the covering ticks;
    /// whole-number ticks when the values are whole numbers.
    static func linear(_ values: [Double], maxCount: Int, start: Double, end: Double) -> SVGAxis {
        let step = values.min().flatMap { lo in
            SVGTickStep(min: lo, max: values.max()!, maxCount: maxCount, integral: values.allSatisfy { $0 == $0.rounded() })
        } ?? SVGTickStep(min: 0, max: 1, maxCount: maxCount)!
        let ticks = step.values
        return SVGAxis(scale: .linear(lo: ticks.first!, hi: ticks.last!), start: start, end: end, ticks: ticks, labels: step.labels)
    }

    /// A log axis covering positive finite `values` (1…10 without any), ticks at whole decades;
    /// every n-th decade when there are more than `maxCount`. Values within one decade (a loss
    /// between 29 and 88) would show only its two ends: they get 1-2-5 ticks instead, or every
    /// multiple where 1-2-5 gives fewer than three, and an axis from the tick below to the tick above.
    static func log(_ values: [Double], maxCount: Int, start: Double, end: Double) -> SVGAxis {
        var lo = Int(log10(values.min() ?? 1).rounded(.down)), hi = Int(log10(values.max() ?? 10).rounded(.up))
        if hi - lo == 1, let min = values.min(), let max = values.max(), min < max {
            for multiples in [[1, 2, 5], Array(1...9)] {
                let candidates = (lo...hi).flatMap { k in multiples.map { (Double($0) * SVGText.powerOfTen(k), $0, k) } }
                    .filter { $0.0 <= SVGText.powerOfTen(hi) }
                guard let first = candidates.lastIndex(where: { $0.0 <= min }),
                      let last = candidates.firstIndex(where: { $0.0 >= max }), last - first + 1 >= 3 || multiples.count == 9
                else { continue }
                let ticks = candidates[first...last]
                return SVGAxis(scale: .log(lo: log10(ticks.first!.0), hi: log10(ticks.last!.0)), start: start, end: end,
                               ticks: ticks.map(\.0), labels: ticks.map { tickLabel(mantissa: $0.1, decade: $0.2) })
            }
        }
        if lo == hi { lo -= 1; hi += 1 }  // one exact power of ten: keep it mid-axis
        let stride = (hi - lo + Swift.max(2, maxCount) - 2) / (Swift.max(2, maxCount) - 1)
        lo = Int((Double(lo) / Double(stride)).rounded(.down)) * stride
        hi = Int((Double(hi) / Double(stride)).rounded(.up)) * stride
        let decades = Array(Swift.stride(from: lo, through: hi, by: stride))
        return SVGAxis(scale: .log(lo: Double(lo), hi: Double(hi)), start: start, end: end,
                    ticks: decades.map(SVGText.powerOfTen), labels: decades.map { tickLabel(mantissa: 1, decade: $0) })
    }

    /// "20", "0.05", "2e9": m × 10^k with as many decimals as it needs.
    private static func tickLabel(mantissa m: Int, decade k: Int) -> String {
        -5...8 ~= k ? SVGText.decimalText(Double(m) * SVGText.powerOfTen(k), decimals: Swift.max(0, -k)) : "\(m)e\(k)"
    }

    static func bands(_ names: [String], start: Double, end: Double) -> SVGAxis {
        SVGAxis(scale: .bands(count: names.count), start: start, end: end, ticks: names.indices.map(Double.init), labels: names)
    }
}
