import Foundation
import ReportModel
import Runtime

/// The marks of each figure kind: what data it draws, on which domains, with which legend.
extension SVGDrawing {
    /// Drawable on the y axis: finite, and positive on a log axis.
    func drawable(_ y: Double) -> Bool { y.isFinite && (!figure.logY || y > 0) }

    /// Series names, when there is more than one to tell apart.
    var seriesLegend: [(name: String, color: String)] {
        figure.series.count > 1 ? figure.series.enumerated().map { ($1.name, SVGPalette.series($1.color ?? $0)) } : []
    }

    func groupName(_ g: Int) -> String {
        if let names = figure.groupNames, names.indices.contains(g) { return names[g] }
        return String(g)
    }

    /// One polyline per series, broken where a point is missing; dots too when there are few
    /// enough points to tell apart (and so a lone point still shows).
    func linePlan() -> SVGPlan {
        let runs = figure.series.map { s in
            var runs: [[(x: Double, y: Double)]] = [[]]
            for (x, y) in zip(s.x, s.y) {
                if x.isFinite && drawable(y) {
                    runs[runs.count - 1].append((x, y))
                } else if !runs[runs.count - 1].isEmpty {
                    runs.append([])
                }
            }
            return runs.filter { !$0.isEmpty }
        }
        let points = runs.joined().joined()
        // Mean ± sd over repeated seeds: a band, where both of its edges can be drawn.
        let bands = figure.series.map { s -> [(x: Double, low: Double, high: Double)] in
            guard let spread = s.spread else { return [] }
            return zip(zip(s.x, s.y), spread).compactMap { p, sd in
                let (x, y) = p
                return x.isFinite && sd.isFinite && drawable(y - sd) && drawable(y + sd) ? (x, y - sd, y + sd) : nil
            }
        }
        let edges = bands.joined().flatMap { [$0.low, $0.high] }
        return SVGPlan(x: .numeric(points.map(\.x)), y: .numeric(points.map(\.y) + edges), legend: seriesLegend,
                       dashed: Set(figure.series.indices.filter { figure.series[$0].dashed == true }), isEmpty: points.isEmpty) { xAxis, yAxis in
            let c = SVGText.coordinate
            var svg = ""
            for (i, band) in bands.enumerated() where band.count > 1 {
                let upper = band.map { "\(c(xAxis.pixel($0.x))) \(c(yAxis.pixel($0.high)))" }
                let lower = band.reversed().map { "\(c(xAxis.pixel($0.x))) \(c(yAxis.pixel($0.low)))" }
                svg += "<path d=\"M\((upper + lower).joined(separator: "L"))Z\" fill=\"\(SVGPalette.series(figure.series[i].color ?? i))\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
            }
            svg += "<g fill=\"none\" stroke-width=\"1.8\" stroke-linejoin=\"round\" stroke-linecap=\"round\">\n"
            for (i, seriesRuns) in runs.enumerated() where !seriesRuns.isEmpty {
                let color = SVGPalette.series(figure.series[i].color ?? i)
                let dash = figure.series[i].dashed == true ? " stroke-dasharray=\"6 4\"" : ""
                var line = "", dots = ""
                for run in seriesRuns {
                    for (j, p) in run.enumerated() {
                        let point = "\(c(xAxis.pixel(p.x))) \(c(yAxis.pixel(p.y)))"
                        line += (j == 0 ? "M" : "L") + point
                        dots += "M" + point + "h0"
                    }
                }
                svg += "<path d=\"\(line)\" stroke=\"\(color)\"\(dash)/>\n"
                if seriesRuns.joined().count <= 25 { svg += "<path d=\"\(dots)\" stroke=\"\(color)\" stroke-width=\"5\"/>\n" }
            }
            return svg + "</g>\n"
        }
    }

    /// Scatter points (or strip rows: x = value, y = row) colored by class, or by series when
    /// there are no classes. Each color is one path of zero-length round-capped segments: about
    /// 13 bytes a point.
    func dotPlan(rows: Bool) -> SVGPlan {
        enum Key: Hashable, Comparable { case group(Int), series(Int) }
        var dots: [Key: [(x: Double, y: Double, jitter: Double)]] = [:]
        var rowCount = rows ? (figure.groupNames?.count ?? 0) : 0
        var groupsAreRows = true
        for (s, series) in figure.series.enumerated() {
            for (j, (x, y)) in zip(series.x, series.y).enumerated() {
                let row = (0...999).contains(y.rounded()) ? Int(y.rounded()) : -1
                guard x.isFinite, rows ? row >= 0 : drawable(y) else { continue }
                let key: Key = if let g = series.groups, j < g.count { .group(g[j]) } else { .series(s) }
                if case let .group(g) = key, g != row { groupsAreRows = false }
                if rows {
                    rowCount = max(rowCount, row + 1)
                    dots[key, default: []].append((x, Double(row), jitter(j, s)))
                } else {
                    dots[key, default: []].append((x, y, 0))
                }
            }
        }
        let keys = dots.keys.sorted()
        func color(_ key: Key) -> String {
            switch key { case let .group(g): SVGPalette.class(g); case let .series(s): SVGPalette.series(s) }
        }
        func name(_ key: Key) -> String {
            switch key { case let .group(g): groupName(g); case let .series(s): figure.series[s].name }
        }
        let classCount = keys.count { if case .group = $0 { true } else { false } }
        // Strip rows already name the classes when each class has its own row.
        let rowsNameClasses = rows && groupsAreRows && classCount == keys.count
        let legend = (keys.count > 1 || classCount > 0) && !rowsNameClasses ? keys.map { (name: name($0), color: color($0)) } : []
        let all = dots.values.joined()
        let yDomain: SVGPlan.Domain = rows && rowCount > 0 ? .bands((0..<rowCount).map(groupName)) : .numeric(all.map(\.y))
        let size = all.count > 2000 ? 3.0 : all.count > 300 ? 4 : 6
        return SVGPlan(x: .numeric(all.map(\.x)), y: yDomain, legend: legend, swatch: .dot, isEmpty: all.isEmpty) { xAxis, yAxis in
            let c = SVGText.coordinate
            // Jitter within 60 % of a row keeps neighbouring rows apart.
            let spread = yAxis.bandWidth * 0.6
            var svg = "<g fill=\"none\" stroke-width=\"\(size)\" stroke-linecap=\"round\" stroke-opacity=\"\(all.count > 2000 ? 0.6 : 0.8)\">\n"
            for key in keys {
                var d = ""
                for p in dots[key]! { d += "M\(c(xAxis.pixel(p.x))) \(c(yAxis.pixel(p.y) + p.jitter * spread))h0" }
                svg += "<path stroke=\"\(color(key))\" d=\"\(d)\"/>\n"
            }
            return svg + "</g>\n"
        }
    }

    /// Overlaid translucent step histograms; `x` holds the bin edges, `y` the counts.
    func histogramPlan() -> SVGPlan {
        let bins = figure.series.map { s in
            (0..<max(0, min(s.x.count - 1, s.y.count))).compactMap { j -> (x0: Double, x1: Double, count: Double)? in
                s.x[j].isFinite && s.x[j + 1].isFinite ? (s.x[j], s.x[j + 1], s.y[j]) : nil
            }
        }
        let all = bins.joined()
        let counts = all.map(\.count).filter(drawable)
        return SVGPlan(x: .numeric(all.flatMap { [$0.x0, $0.x1] }),
                       y: .numeric(withZero(counts)),
                       legend: seriesLegend, swatch: .block(opacity: 0.3), isEmpty: counts.isEmpty) { xAxis, yAxis in
            let c = SVGText.coordinate
            let base = figure.logY ? yAxis.start : yAxis.pixel(0)
            var svg = "<g fill-opacity=\"0.3\" stroke-width=\"1.2\" stroke-linejoin=\"round\">\n"
            for (i, seriesBins) in bins.enumerated() where !seriesBins.isEmpty {
                var d = "", edge = Double.nan
                for bin in seriesBins {
                    // A gap in the edges closes the outline and starts another.
                    if bin.x0 != edge { d += (d.isEmpty ? "" : "V\(c(base))Z") + "M\(c(xAxis.pixel(bin.x0))) \(c(base))" }
                    d += "V\(c(drawable(bin.count) ? yAxis.pixel(bin.count) : base))H\(c(xAxis.pixel(bin.x1)))"
                    edge = bin.x1
                }
                let color = SVGPalette.series(i)
                svg += "<path d=\"\(d)V\(c(base))Z\" fill=\"\(color)\" stroke=\"\(color)\"/>\n"
            }
            return svg + "</g>\n"
        }
    }

    /// Bars named by `groupNames`, one color per series side by side, values printed above.
    func barPlan() -> SVGPlan {
        let count = figure.series.map(\.y.count).max() ?? 0
        let names = (0..<count).map { i in
            if let names = figure.groupNames, names.indices.contains(i) { return names[i] }
            let x = figure.series.first { i < $0.x.count }?.x[i]
            return x.map { $0.isFinite ? SVGText.valueText($0) : String(i) } ?? String(i)
        }
        let values = figure.series.flatMap(\.y).filter(drawable)
        // Error bars over repeated seeds: mean ± sd, where both ends can be drawn.
        func errorBar(_ s: Figure.Series, _ i: Int) -> (low: Double, high: Double)? {
            guard let sd = s.spread, i < sd.count, sd[i].isFinite, sd[i] > 0,
                  drawable(s.y[i] - sd[i]), drawable(s.y[i] + sd[i]) else { return nil }
            return (s.y[i] - sd[i], s.y[i] + sd[i])
        }
        let ends = figure.series.flatMap { s in s.y.indices.compactMap { errorBar(s, $0) }.flatMap { [$0.low, $0.high] } }
        return SVGPlan(x: count > 0 ? .bands(names) : .numeric([]), y: .numeric(withZero(values + ends)),
                       legend: seriesLegend, swatch: .block(opacity: 1), isEmpty: values.isEmpty) { xAxis, yAxis in
            let c = SVGText.coordinate
            let base = figure.logY ? yAxis.start : yAxis.pixel(0)
            let barWidth = xAxis.bandWidth * 0.72 / Double(max(1, figure.series.count))
            var bars = "", labels = "", whiskers = ""
            for (s, series) in figure.series.enumerated() {
                bars += "<g fill=\"\(SVGPalette.series(s))\">"
                for (i, v) in series.y.enumerated() where drawable(v) {
                    let x = xAxis.pixel(Double(i)) - xAxis.bandWidth * 0.36 + Double(s) * barWidth
                    let y = yAxis.pixel(v)
                    bars += "<rect x=\"\(c(x))\" y=\"\(c(min(y, base)))\" width=\"\(c(barWidth))\" height=\"\(c(abs(base - y)))\"/>"
                    let bar = errorBar(series, i)
                    if let bar {
                        let mid = x + barWidth / 2, cap = min(6, barWidth / 4)
                        let (top, bottom) = (yAxis.pixel(bar.high), yAxis.pixel(bar.low))
                        whiskers += "M\(c(mid)) \(c(top))V\(c(bottom))M\(c(mid - cap)) \(c(top))h\(c(2 * cap))M\(c(mid - cap)) \(c(bottom))h\(c(2 * cap))"
                    }
                    let label = SVGText.valueText(v)
                    if SVGText.textWidth(label, fontSize: 10) <= barWidth + 8 {
                        // Above the error bar, if there is one, so it stays readable.
                        let top = min(y, bar.map { yAxis.pixel($0.high) } ?? y)
                        labels += "<text x=\"\(c(x + barWidth / 2))\" y=\"\(c(y <= base || figure.logY ? top - 4 : y + 12))\">\(label)</text>"
                    }
                }
                bars += "</g>\n"
            }
            if !whiskers.isEmpty { bars += "<path d=\"\(whiskers)\" fill=\"none\" stroke=\"\(SVGPalette.text)\" stroke-width=\"1.2\"/>\n" }
            return bars + (labels.isEmpty ? "" : "<g fill=\"\(SVGPalette.text)\" font-size=\"10\" text-anchor=\"middle\">\(labels)</g>\n")
        }
    }

    /// Bars and histograms grow from zero on a linear axis.
    func withZero(_ values: [Double]) -> [Double] { figure.logY || values.isEmpty ? values : values + [0] }

    /// Deterministic vertical offset in −0.5..<0.5 for point `index` of series `series` (SplitMix64).
    func jitter(_ index: Int, _ series: Int) -> Double {
        var z = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(truncatingIfNeeded: series) &* 0xD1B5_4A32_D192_ED03
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / 9_007_199_254_740_992 - 0.5
    }
}
