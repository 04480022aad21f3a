import Foundation
import ReportModel
import Runtime

/// Figures as inline SVG for the HTML report: no script, no external references, text escaped.
public enum SVGChart {
    /// One `<svg>` element drawing `figure` in a `width` × `height` viewBox that shrinks to fit
    /// its container. `idPrefix` keeps its ids unique in a page holding several charts.
    public static func render(_ figure: Figure, width: Int = 640, height: Int = 400, idPrefix: String) -> String {
        SVGDrawing(figure, width: max(width, 240), height: max(height, 160), idPrefix: idPrefix).svg
    }
}

/// What a figure kind contributes to the shared frame: its domains, legend and marks.
struct SVGPlan {
    enum Domain {
        /// The drawable values to cover; none without data.
        case numeric([Double])
        case bands([String])
    }
    enum Swatch { case line, dot, block(opacity: Double) }
    var x: Domain
    var y: Domain
    var legend: [(name: String, color: String)] = []
    var swatch = Swatch.line
    /// Legend entries drawn as a dashed line.
    var dashed: Set<Int> = []
    var isEmpty: Bool
    /// Draws the data once the axes are laid out.
    var marks: (_ x: SVGAxis, _ y: SVGAxis) -> String
}

struct SVGDrawing {
    let figure: Figure
    let width, height: Double
    let idPrefix: String

    init(_ figure: Figure, width: Int, height: Int, idPrefix: String) {
        self.figure = figure; self.width = Double(width); self.height = Double(height); self.idPrefix = idPrefix
    }

    var svg: String {
        let plan = switch figure.kind {
        case .line: linePlan()
        case .scatter: dotPlan(rows: false)
        case .strip: dotPlan(rows: true)
        case .histogram: histogramPlan()
        case .bar: barPlan()
        }
        let frame = layout(plan)
        let c = SVGText.coordinate, id = xmlEscape(idPrefix) + "-title"
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(c(width)) \(c(height))\" width=\"\(c(width))\" height=\"\(c(height))\""
        svg += " style=\"max-width:\(c(width))px;width:100%;height:auto\" role=\"img\" aria-labelledby=\"\(id)\""
        svg += " font-family=\"system-ui,sans-serif\" font-size=\"11\">\n"
        svg += "<title id=\"\(id)\">\(xmlEscape(accessibleName))</title>\n"
        svg += "<rect width=\"\(c(width))\" height=\"\(c(height))\" fill=\"#fff\"/>\n"
        if !figure.title.isEmpty {
            let title = SVGText.clipped(figure.title, SVGText.characters(fitting: width - 24, fontSize: 14))
            svg += "<text x=\"\(c(width / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"600\" fill=\"\(SVGPalette.text)\">\(xmlEscape(title))</text>\n"
        }
        svg += grid(frame)
        svg += plan.marks(frame.x, frame.y)
        if plan.isEmpty {
            svg += "<text x=\"\(c((frame.left + frame.right) / 2))\" y=\"\(c((frame.top + frame.bottom) / 2))\" text-anchor=\"middle\" fill=\"\(SVGPalette.muted)\">no data</text>\n"
        }
        return svg + axes(frame) + legend(plan, frame) + "</svg>"
    }

    /// Where the plot area, axes and legend go.
    struct Frame {
        var left, right, top, bottom: Double
        var x, y: SVGAxis
        var rotateXLabels: Bool
        var yLabelsWidth: Double
        var legendNames: [String]
    }

    func layout(_ plan: SVGPlan) -> Frame {
        let legendNames = plan.legend.map { SVGText.clipped($0.name, 24) }
        let legendWidth = legendNames.isEmpty ? 0
            : min(width * 0.3, 34 + (legendNames.map { SVGText.textWidth($0, fontSize: 11) }.max() ?? 0))
        // Vertical layout first: the y ticks depend only on the plot's height.
        let top = figure.title.isEmpty ? 14.0 : 40
        var bottom = height - (figure.xLabel.isEmpty ? 26 : 44)
        var xNames: [String] = [], rotateXNames = false, leftmostXName = 0.0
        if case let .bands(names) = plan.x {
            let band = (width - 90 - legendWidth) / Double(max(1, names.count))
            rotateXNames = names.contains { SVGText.textWidth($0, fontSize: 11) > band - 6 }
            // Rotated 40°, a label of width w drops 0.64 w: keep that within a quarter of the chart.
            let maxCharacters = rotateXNames ? SVGText.characters(fitting: height * 0.25 / 0.64, fontSize: 11) : 40
            xNames = names.map { SVGText.clipped($0, maxCharacters) }
            if rotateXNames {
                bottom -= 0.64 * (xNames.map { SVGText.textWidth($0, fontSize: 11) }.max() ?? 0)
                // The first label reaches 0.77 of its width left of its bar's centre.
                leftmostXName = 0.77 * SVGText.textWidth(xNames[0], fontSize: 11) - band / 2 + 4
            }
        }
        let yMaxCount = min(8, max(3, Int((bottom - top) / 40)))
        let yAxis: SVGAxis = switch plan.y {
        case let .bands(names): .bands(names.map { SVGText.clipped($0, 16) }, start: top, end: bottom)
        case let .numeric(values) where figure.logY && figure.kind != .strip: .log(values, maxCount: yMaxCount, start: bottom, end: top)
        case let .numeric(values): .linear(values, maxCount: yMaxCount, start: bottom, end: top)
        }
        let yLabelsWidth = yAxis.labels.map { SVGText.textWidth($0, fontSize: 11) }.max() ?? 0
        let left = max(leftmostXName, (figure.yLabel.isEmpty ? 10 : 30) + yLabelsWidth + 8)
        let right = width - (legendNames.isEmpty ? 24 : legendWidth + 24)
        let xAxis: SVGAxis = switch plan.x {
        case .bands: .bands(xNames, start: left, end: right)
        case let .numeric(values): .linear(values, maxCount: min(8, max(3, Int((right - left) / 60))), start: left, end: right)
        }
        return Frame(left: left, right: right, top: top, bottom: bottom, x: xAxis, y: yAxis,
                     rotateXLabels: rotateXNames, yLabelsWidth: yLabelsWidth, legendNames: legendNames)
    }

    /// Light lines at the ticks, under the data; none across bars.
    func grid(_ f: Frame) -> String {
        let c = SVGText.coordinate
        var d = ""
        if case .bands = f.x.scale {} else {
            for t in f.x.ticks { d += "M\(c(f.x.pixel(t))) \(c(f.top))V\(c(f.bottom))" }
        }
        for t in f.y.ticks { d += "M\(c(f.left)) \(c(f.y.pixel(t)))H\(c(f.right))" }
        return d.isEmpty ? "" : "<path d=\"\(d)\" stroke=\"\(SVGPalette.grid)\" fill=\"none\" shape-rendering=\"crispEdges\"/>\n"
    }

    /// Axis lines and tick marks over the data, tick labels and axis labels.
    func axes(_ f: Frame) -> String {
        let c = SVGText.coordinate
        var d = "M\(c(f.left)) \(c(f.top))V\(c(f.bottom))H\(c(f.right))"
        for t in f.x.ticks { d += "M\(c(f.x.pixel(t))) \(c(f.bottom))v4" }
        for t in f.y.ticks { d += "M\(c(f.left)) \(c(f.y.pixel(t)))h-4" }
        var svg = "<path d=\"\(d)\" stroke=\"\(SVGPalette.axis)\" fill=\"none\" shape-rendering=\"crispEdges\"/>\n"
        svg += "<g fill=\"\(SVGPalette.text)\" text-anchor=\"\(f.rotateXLabels ? "end" : "middle")\">"
        for (t, label) in zip(f.x.ticks, f.x.labels) {
            svg += f.rotateXLabels
                ? "<text transform=\"translate(\(c(f.x.pixel(t) + 3)) \(c(f.bottom + 12))) rotate(-40)\">\(xmlEscape(label))</text>"
                : "<text x=\"\(c(f.x.pixel(t)))\" y=\"\(c(f.bottom + 16))\">\(xmlEscape(label))</text>"
        }
        svg += "</g>\n<g fill=\"\(SVGPalette.text)\" text-anchor=\"end\">"
        for (t, label) in zip(f.y.ticks, f.y.labels) {
            svg += "<text x=\"\(c(f.left - 7))\" y=\"\(c(f.y.pixel(t) + 4))\">\(xmlEscape(label))</text>"
        }
        svg += "</g>\n"
        if !figure.xLabel.isEmpty {
            let label = SVGText.clipped(figure.xLabel, SVGText.characters(fitting: f.right - f.left, fontSize: 12))
            svg += "<text x=\"\(c((f.left + f.right) / 2))\" y=\"\(c(height - 10))\" text-anchor=\"middle\" font-size=\"12\" fill=\"\(SVGPalette.text)\">\(xmlEscape(label))</text>\n"
        }
        if !figure.yLabel.isEmpty {
            let label = SVGText.clipped(figure.yLabel, SVGText.characters(fitting: f.bottom - f.top, fontSize: 12))
            let x = f.left - f.yLabelsWidth - 22
            svg += "<text transform=\"translate(\(c(x)) \(c((f.top + f.bottom) / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\" fill=\"\(SVGPalette.text)\">\(xmlEscape(label))</text>\n"
        }
        return svg
    }

    /// A column right of the plot: a swatch and a name per entry.
    func legend(_ plan: SVGPlan, _ f: Frame) -> String {
        guard !f.legendNames.isEmpty else { return "" }
        let c = SVGText.coordinate
        let spacing = min(17, (f.bottom - f.top) / Double(f.legendNames.count))
        let x = f.right + 16
        var svg = "<g fill=\"\(SVGPalette.text)\">"
        for (i, (name, entry)) in zip(f.legendNames, plan.legend).enumerated() {
            let y = f.top + 6 + Double(i) * spacing
            switch plan.swatch {
            case .line:
                let dash = plan.dashed.contains(i) ? " stroke-dasharray=\"4 3\"" : ""
                svg += "<path d=\"M\(c(x)) \(c(y))h16\" stroke=\"\(entry.color)\" stroke-width=\"2.5\"\(dash)/>"
            case .dot: svg += "<circle cx=\"\(c(x + 8))\" cy=\"\(c(y))\" r=\"4\" fill=\"\(entry.color)\"/>"
            case let .block(opacity):
                svg += "<rect x=\"\(c(x + 2))\" y=\"\(c(y - 5))\" width=\"12\" height=\"10\" fill=\"\(entry.color)\""
                svg += opacity < 1 ? " fill-opacity=\"\(opacity)\" stroke=\"\(entry.color)\"/>" : "/>"
            }
            svg += "<text x=\"\(c(x + 22))\" y=\"\(c(y + 4))\">\(xmlEscape(name))</text>"
        }
        return svg + "</g>\n"
    }

    /// The chart's title, or what it shows when untitled, for screen readers and tooltips.
    var accessibleName: String {
        if !figure.title.isEmpty { return figure.title }
        let axes = [figure.yLabel, figure.xLabel].filter { !$0.isEmpty }.joined(separator: " against ")
        return "\(figure.kind.rawValue) chart" + (axes.isEmpty ? "" : " of \(axes)")
    }
}
