import Foundation
import ReportModel
#if canImport(FoundationXML)
import FoundationXML
#endif
import Render
import Runtime
import Testing

// MARK: - Ticks

@Test(arguments: [
    (0.0, 1.0, [0, 0.2, 0.4, 0.6, 0.8, 1]),
    (0, 137.8, [0, 20, 40, 60, 80, 100, 120, 140]),
    (-2, 2, [-2, -1, 0, 1, 2]),
    (0.001, 0.0043, [0.001, 0.0015, 0.002, 0.0025, 0.003, 0.0035, 0.004, 0.0045]),
    (195, 200, [195, 196, 197, 198, 199, 200]),
    (5, 5, [4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6]),
    (0, 0, [-1, -0.5, 0, 0.5, 1]),
    (1, 0, [0, 0.2, 0.4, 0.6, 0.8, 1]),
])
func niceTicksTable(min: Double, max: Double, expected: [Double]) {
    #expect(niceTicks(min: min, max: max, maxCount: 8) == expected)
}

@Test func niceTicksAreFourToEightAndCoverTheRange() {
    var rng = LCG(state: 1)
    for _ in 0..<20_000 {
        let a = (rng.next() * 2e4 - 1e4) * pow(10, rng.next() * 11 - 8)
        let b = a + abs(a) * (rng.next() * 10 + 1e-6) + 1e-12
        let ticks = niceTicks(min: a, max: b, maxCount: 8)
        #expect((4...8).contains(ticks.count), "\(a)…\(b): \(ticks)")
        #expect(ticks.first! <= a && ticks.last! >= b, "\(a)…\(b): \(ticks)")
    }
    #expect(niceTicks(min: .nan, max: 1, maxCount: 8).isEmpty)
    #expect(niceTicks(min: 0, max: .infinity, maxCount: 8).isEmpty)
    #expect(niceTicks(min: -1e308, max: 1e308, maxCount: 8).isEmpty)
    #expect(niceTicks(min: 5e-324, max: 5e-324, maxCount: 8).isEmpty)
}

// MARK: - Escaping

@Test func xmlEscapeCoversMarkupAndControlCharacters() {
    #expect(xmlEscape(#"<a href="x">Tom & 'Jerry'</a>"#) == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;")
    #expect(xmlEscape("tab\tok, bell\u{7} not") == "tab\tok, bell\u{FFFD} not")
    #expect(xmlEscape("σ = 0.5 → ✓") == "σ = 0.5 → ✓")
}

@Test(arguments: allKinds)
func hostileTextIsEscaped(kind: Figure.Kind) throws {
    let hostile = "<script>alert('x&y')</script>\""
    let figure = Figure(kind: kind, title: hostile, xLabel: hostile, yLabel: hostile,
                        series: [.init(name: hostile, x: [0, 1, 2], y: [1, 2, 1], groups: [0, 1, 1]),
                                 .init(name: hostile + "2", x: [0, 1, 2], y: [2, 1, 0], groups: [1, 0, 0])],
                        groupNames: [hostile, hostile])
    let svg = SVGChart.render(figure, idPrefix: "\"><script>")
    #expect(!svg.lowercased().contains("<script"))
    #expect(svg.contains("&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;&quot;"))
    try expectWellFormed(svg)
}

// MARK: - Degenerate data

@Test(arguments: allKinds)
func degenerateDataGivesWellFormedFiniteSVG(kind: Figure.Kind) throws {
    let cases: [[Figure.Series]] = [
        [],
        [.init(name: "empty", x: [], y: [])],
        [.init(name: "one", x: [3], y: [7], groups: [2])],
        [.init(name: "flat", x: [1, 2, 3, 4], y: [5, 5, 5, 5], groups: [0, 0, 0, 0])],
        [.init(name: "same x", x: [2, 2, 2], y: [1, 2, 3])],
        [.init(name: "holes", x: [0, .nan, 2, 3, .infinity, 5], y: [1, 2, .nan, -.infinity, 4, -3], groups: [0, 1, 2, 3, 4, 5])],
        [.init(name: "all bad", x: [.nan, .infinity], y: [.nan, -.infinity])],
        [.init(name: "ragged", x: [0, 1, 2, 3], y: [1, 2], groups: [0])],
        [.init(name: "huge", x: [-1e308, 1e308], y: [1e-300, 1e300], groups: [-3, 99])],
        [.init(name: "tiny", x: [1e-9, 1.0000001e-9], y: [3e-12, 3.1e-12])],
    ]
    for (n, series) in cases.enumerated() {
        for logY in [false, true] {
            let figure = Figure(kind: kind, title: "t", xLabel: "x", yLabel: "y", series: series, groupNames: ["a"], logY: logY)
            let svg = SVGChart.render(figure, idPrefix: "d")
            writeSample(svg, "degenerate-\(kind)-\(n)\(logY ? "-log" : "")")
            try expectWellFormed(svg)
            let lower = svg.lowercased()
            #expect(!lower.contains("nan") && !lower.contains("inf"), "\(kind) \(series.map(\.name)) log \(logY)")
        }
    }
}

// MARK: - Structure

@Test func tenThousandPointScatterIsCompactAndGroupedPerClass() throws {
    var rng = LCG(state: 42)
    let groups = (0..<10_000).map { $0 % 10 }
    let x = groups.map { Double($0) + 3 * rng.next() - 1.5 }
    let y = groups.map { sin(Double($0)) * 4 + 3 * rng.next() }
    let names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    let svg = SVGChart.render(Figure(kind: .scatter, title: "Latent space", xLabel: "z0", yLabel: "z1",
                                     series: [.init(name: "z", x: x, y: y, groups: groups)], groupNames: names),
                              idPrefix: "scatter")
    #expect(svg.utf8.count < 300_000, "\(svg.utf8.count) bytes")
    #expect(count("h0\"", in: svg) == 10)
    for name in names { #expect(svg.contains(">\(name)</text>")) }
    try expectWellFormed(svg)
    writeSample(svg, "scatter")
}

@Test func histogramOverlaysTwoSeriesWithALegend() throws {
    let edges = (0...20).map { Double($0) * 0.05 }
    let a = (0..<20).map { Double(100 - abs($0 - 6) * 12).clamped(0) }
    let b = (0..<20).map { Double(80 - abs($0 - 13) * 10).clamped(0) }
    let svg = SVGChart.render(Figure(kind: .histogram, title: "Reconstruction error", xLabel: "per-image MSE", yLabel: "images",
                                     series: [.init(name: "digits", x: edges, y: a), .init(name: "letters", x: edges, y: b)]),
                              idPrefix: "hist")
    #expect(count("fill-opacity=\"0.3\"", in: svg) == 3)  // the overlay group and two legend swatches
    #expect(count("Z\" fill=", in: svg) == 2)
    #expect(svg.contains(">digits</text>") && svg.contains(">letters</text>"))
    try expectWellFormed(svg)
    writeSample(svg, "histogram")
}

@Test func stripPlotPutsEachClassOnItsOwnRow() throws {
    let classes = (0..<500).map { $0 % 10 }
    let values = classes.indices.map { Double(classes[$0]) * 0.3 + sin(Double($0 * 7919)) }
    let names = (0..<10).map(String.init)
    let svg = SVGChart.render(Figure(kind: .strip, title: "1-D latent", xLabel: "z0", yLabel: "digit",
                                     series: [.init(name: "z", x: values, y: classes.map(Double.init), groups: classes)], groupNames: names),
                              idPrefix: "strip")
    let paths = try rows(of: svg)
    #expect(paths.count == 10)
    // Each class's dots stay within its own band, rows top to bottom in class order.
    for (i, ys) in paths.enumerated() {
        #expect(ys.max()! - ys.min()! < 30)
        if i > 0 { #expect(ys.min()! > paths[i - 1].max()!) }
    }
    for name in names { #expect(svg.contains("\">\(name)</text>")) }
    #expect(!svg.contains("<circle"), "rows already name the classes: no legend")
    try expectWellFormed(svg)
    writeSample(svg, "strip")
}

@Test func stripColoredOtherThanByRowHasALegend() throws {
    let digits = (0..<300).map { $0 % 10 }, tints = (0..<300).map { ($0 * 7) % 10 }
    let names = ["red", "orange", "lime", "green", "spring green", "cyan", "azure", "violet", "magenta", "rose"]
    let svg = SVGChart.render(Figure(kind: .strip, title: "By tint", xLabel: "z0", yLabel: "digit",
                                     series: [.init(name: "z", x: digits.indices.map { sin(Double($0)) }, y: digits.map(Double.init), groups: tints)],
                                     groupNames: names),
                              idPrefix: "tint")
    #expect(count("<circle", in: svg) == 10)
    #expect(svg.contains(">spring green</text>"))
    writeSample(svg, "strip-tints")
}

@Test func longBarLabelsAreRotated() throws {
    let names = (0..<12).map { "autoencoder \($0).final_loss" }
    let svg = SVGChart.render(Figure(kind: .bar, title: "Final loss", xLabel: "", yLabel: "loss",
                                     series: [.init(name: "values", x: names.indices.map(Double.init), y: names.indices.map { 0.01 * Double($0 + 1) })],
                                     groupNames: names),
                              idPrefix: "bars")
    #expect(count("rotate(-40)", in: svg) == 12)
    #expect(svg.contains(">autoencoder 11.final_lo…</text>"), "clipped to fit a quarter of the height")
    try expectWellFormed(svg)
    writeSample(svg, "bars-rotated")
}

@Test func logAxisTicksAreDecades() throws {
    let epochs = (1...30).map(Double.init)
    let svg = SVGChart.render(Figure(kind: .line, title: "Loss", xLabel: "epoch", yLabel: "loss",
                                     series: [.init(name: "train", x: epochs, y: epochs.map { 0.3 * pow(0.8, $0) }),
                                              .init(name: "test", x: epochs, y: epochs.map { 0.35 * pow(0.82, $0) + 0.0001 })],
                                     logY: true),
                              idPrefix: "log")
    let yLabels = try tickLabels(of: svg, anchor: "end")
    #expect(yLabels == ["0.0001", "0.001", "0.01", "0.1", "1"])
    try expectWellFormed(svg)
    writeSample(svg, "log")
}

/// Values within one decade get ticks inside it: a loss curve from 88 down to 29 on a log axis
/// showed only 10 and 100 before.
@Test func logAxisWithinOneDecadeHasTicksInside() throws {
    func yLabels(_ ys: [Double]) throws -> [String] {
        let svg = SVGChart.render(Figure(kind: .line, title: "Loss", xLabel: "epoch", yLabel: "loss",
                                         series: [.init(name: "train", x: ys.indices.map(Double.init), y: ys)], logY: true),
                                  idPrefix: "log1")
        try expectWellFormed(svg)
        return try tickLabels(of: svg, anchor: "end")
    }
    #expect(try yLabels([88, 61, 45, 37, 32, 29]) == ["20", "50", "100"])
    #expect(try yLabels([48, 40, 33, 29]) == ["20", "30", "40", "50"])
    #expect(try yLabels([0.052, 0.031]) == ["0.02", "0.05", "0.1"])
    #expect(try yLabels([3, 700]) == ["1", "10", "100", "1,000"])
}

@Test func tickLabelsShowNoFloatNoiseAndGroupThousands() throws {
    let svg = SVGChart.render(Figure(kind: .line, title: "", xLabel: "", yLabel: "",
                                     series: [.init(name: "a", x: [0.1, 0.7], y: [0, 13_500])]),
                              idPrefix: "n")
    #expect(try tickLabels(of: svg, anchor: "middle") == ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"])
    #expect(try tickLabels(of: svg, anchor: "end") == ["0", "2,000", "4,000", "6,000", "8,000", "10,000", "12,000", "14,000"])
}

@Test func idsUseThePrefix() {
    let svg = SVGChart.render(Figure(kind: .bar, title: "Bars", xLabel: "", yLabel: "", series: []), idPrefix: "cell-3")
    #expect(svg.contains("id=\"cell-3-title\"") && svg.contains("aria-labelledby=\"cell-3-title\""))
    #expect(count(" id=\"", in: svg) == 1)
}

// MARK: - Golden

@Test func goldenLineChart() {
    let figure = Figure(kind: .line, title: "Loss", xLabel: "epoch", yLabel: "loss",
                        series: [.init(name: "baseline", x: [1, 2, 3], y: [0.5, 0.3, 0.25]),
                                 .init(name: "wide", x: [1, 2, 3], y: [0.45, 0.2, 0.12])])
    let svg = SVGChart.render(figure, idPrefix: "g1")
    writeSample(svg, "golden-line")
    #expect(svg == goldenLine)
}

/// A held-out curve: dashed, in its training curve's color, in the plot and in the legend.
@Test func goldenDashedValidationLine() {
    let figure = Figure(kind: .line, title: "Loss", xLabel: "epoch", yLabel: "loss",
                        series: [.init(name: "baseline", x: [1, 2, 3], y: [0.5, 0.3, 0.25]),
                                 .init(name: "wide", x: [1, 2, 3], y: [0.45, 0.2, 0.12], dashed: true, color: 0)])
    let expected = goldenLine
        .replacingOccurrences(of: "<path d=\"M57.1 79.5L294.1 277L531 340.2\" stroke=\"#D55E00\"/>",
                              with: "<path d=\"M57.1 79.5L294.1 277L531 340.2\" stroke=\"#0072B2\" stroke-dasharray=\"6 4\"/>")
        .replacingOccurrences(of: "<path d=\"M57.1 79.5h0M294.1 277h0M531 340.2h0\" stroke=\"#D55E00\"",
                              with: "<path d=\"M57.1 79.5h0M294.1 277h0M531 340.2h0\" stroke=\"#0072B2\"")
        .replacingOccurrences(of: "<path d=\"M547 63h16\" stroke=\"#D55E00\" stroke-width=\"2.5\"/>",
                              with: "<path d=\"M547 63h16\" stroke=\"#0072B2\" stroke-width=\"2.5\" stroke-dasharray=\"4 3\"/>")
    #expect(expected != goldenLine)
    #expect(SVGChart.render(figure, idPrefix: "g1") == expected)
}

@Test func goldenBarChart() {
    let figure = Figure(kind: .bar, title: "Final loss", xLabel: "model", yLabel: "MSE",
                        series: [.init(name: "values", x: [0, 1, 2], y: [0.0123, 0.0087, 0.02])],
                        groupNames: ["baseline", "wide", "deep"])
    let svg = SVGChart.render(figure, idPrefix: "g2")
    writeSample(svg, "golden-bar")
    #expect(svg == goldenBar)
}

private let goldenLine = """
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 400" width="640" height="400" style="max-width:640px;width:100%;height:auto" role="img" aria-labelledby="g1-title" font-family="system-ui,sans-serif" font-size="11">
<title id="g1-title">Loss</title>
<rect width="640" height="400" fill="#fff"/>
<text x="320" y="24" text-anchor="middle" font-size="14" font-weight="600" fill="#222">Loss</text>
<path d="M57.1 40V356M294.1 40V356M531 40V356M57.1 356H531M57.1 277H531M57.1 198H531M57.1 119H531M57.1 40H531" stroke="#E8E8E8" fill="none" shape-rendering="crispEdges"/>
<g fill="none" stroke-width="1.8" stroke-linejoin="round" stroke-linecap="round">
<path d="M57.1 40L294.1 198L531 237.5" stroke="#0072B2"/>
<path d="M57.1 40h0M294.1 198h0M531 237.5h0" stroke="#0072B2" stroke-width="5"/>
<path d="M57.1 79.5L294.1 277L531 340.2" stroke="#D55E00"/>
<path d="M57.1 79.5h0M294.1 277h0M531 340.2h0" stroke="#D55E00" stroke-width="5"/>
</g>
<path d="M57.1 40V356H531M57.1 356v4M294.1 356v4M531 356v4M57.1 356h-4M57.1 277h-4M57.1 198h-4M57.1 119h-4M57.1 40h-4" stroke="#555" fill="none" shape-rendering="crispEdges"/>
<g fill="#222" text-anchor="middle"><text x="57.1" y="372">1</text><text x="294.1" y="372">2</text><text x="531" y="372">3</text></g>
<g fill="#222" text-anchor="end"><text x="50.1" y="360">0.1</text><text x="50.1" y="281">0.2</text><text x="50.1" y="202">0.3</text><text x="50.1" y="123">0.4</text><text x="50.1" y="44">0.5</text></g>
<text x="294.1" y="390" text-anchor="middle" font-size="12" fill="#222">epoch</text>
<text transform="translate(16 198) rotate(-90)" text-anchor="middle" font-size="12" fill="#222">loss</text>
<g fill="#222"><path d="M547 46h16" stroke="#0072B2" stroke-width="2.5"/><text x="569" y="50">baseline</text><path d="M547 63h16" stroke="#D55E00" stroke-width="2.5"/><text x="569" y="67">wide</text></g>
</svg>
"""

private let goldenBar = """
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 400" width="640" height="400" style="max-width:640px;width:100%;height:auto" role="img" aria-labelledby="g2-title" font-family="system-ui,sans-serif" font-size="11">
<title id="g2-title">Final loss</title>
<rect width="640" height="400" fill="#fff"/>
<text x="320" y="24" text-anchor="middle" font-size="14" font-weight="600" fill="#222">Final loss</text>
<path d="M69.9 356H616M69.9 277H616M69.9 198H616M69.9 119H616M69.9 40H616" stroke="#E8E8E8" fill="none" shape-rendering="crispEdges"/>
<g fill="#0072B2"><rect x="95.4" y="161.7" width="131.1" height="194.3"/><rect x="277.4" y="218.5" width="131.1" height="137.5"/><rect x="459.5" y="40" width="131.1" height="316"/></g>
<g fill="#222" font-size="10" text-anchor="middle"><text x="160.9" y="157.7">0.0123</text><text x="343" y="214.5">0.0087</text><text x="525" y="36">0.02</text></g>
<path d="M69.9 40V356H616M160.9 356v4M343 356v4M525 356v4M69.9 356h-4M69.9 277h-4M69.9 198h-4M69.9 119h-4M69.9 40h-4" stroke="#555" fill="none" shape-rendering="crispEdges"/>
<g fill="#222" text-anchor="middle"><text x="160.9" y="372">baseline</text><text x="343" y="372">wide</text><text x="525" y="372">deep</text></g>
<g fill="#222" text-anchor="end"><text x="62.9" y="360">0.000</text><text x="62.9" y="281">0.005</text><text x="62.9" y="202">0.010</text><text x="62.9" y="123">0.015</text><text x="62.9" y="44">0.020</text></g>
<text x="343" y="390" text-anchor="middle" font-size="12" fill="#222">model</text>
<text transform="translate(16 198) rotate(-90)" text-anchor="middle" font-size="12" fill="#222">MSE</text>
</svg>
"""

// MARK: - Helpers

private let allKinds: [Figure.Kind] = [.line, .scatter, .histogram, .bar, .strip]

extension Double {
    fileprivate func clamped(_ lo: Double) -> Double { Swift.max(lo, self) }
}

/// Uniform doubles in 0..<1, the same on every run.
private struct LCG {
    var state: UInt64
    mutating func next() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / 9_007_199_254_740_992
    }
}

private func count(_ needle: String, in haystack: String) -> Int {
    haystack.components(separatedBy: needle).count - 1
}

/// Parses `svg` as XML, failing the test with the parser's error.
private func expectWellFormed(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let parser = XMLParser(data: Data(svg.utf8))
    let ok = parser.parse()
    #expect(ok, "\(parser.parserError.map { "\($0)" } ?? "") line \(parser.lineNumber)", sourceLocation: sourceLocation)
}

/// Collects elements in document order, each with its parent's index, attributes and own text.
private final class Collector: NSObject, XMLParserDelegate {
    var elements: [(name: String, parent: Int?, attributes: [String: String], text: String)] = []
    var open: [Int] = []
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append((name, open.last, attributes, ""))
        open.append(elements.count - 1)
    }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let current = open.last { elements[current].text += string }
    }
}

private func parsed(_ svg: String) throws -> Collector {
    let parser = XMLParser(data: Data(svg.utf8))
    let collector = Collector()
    parser.delegate = collector
    try #require(parser.parse())
    return collector
}

/// Texts of the tick labels in the `<g>` with the given text anchor (middle: x axis, end: y axis).
private func tickLabels(of svg: String, anchor: String) throws -> [String] {
    let elements = try parsed(svg).elements
    guard let g = elements.firstIndex(where: { $0.name == "g" && $0.attributes["text-anchor"] == anchor }) else { return [] }
    return elements.filter { $0.parent == g }.map(\.text)
}

/// The y coordinates of each dot path, in drawing order.
private func rows(of svg: String) throws -> [[Double]] {
    try parsed(svg).elements.filter { $0.name == "path" && ($0.attributes["d"] ?? "").hasSuffix("h0") }.map { path in
        path.attributes["d"]!.split(separator: "M").map { Double($0.dropLast(2).split(separator: " ")[1])! }
    }
}

/// Samples to look at, with SVG_SAMPLES set: `rsvg-convert -o x.png x.svg`.
private func writeSample(_ svg: String, _ name: String) {
    guard ProcessInfo.processInfo.environment["SVG_SAMPLES"] != nil else { return }
    let dir = URL(fileURLWithPath: "/tmp/svg-samples")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try? svg.write(to: dir.appendingPathComponent(name + ".svg"), atomically: true, encoding: .utf8)
}

/// Repeated seeds: a line's spread is a translucent band under it, a bar's an error bar, and
/// both widen the y axis to hold them.
@Test func spreadsDrawBandsAndErrorBars() {
    let line = Figure(kind: .line, title: "", xLabel: "epoch", yLabel: "loss",
                      series: [.init(name: "ae", x: [1, 2, 3], y: [3, 2, 1], spread: [0.5, 0.25, 0])])
    let svg = SVGChart.render(line, idPrefix: "s1")
    let band = svg.components(separatedBy: "\n").filter { $0.contains("fill-opacity=\"0.18\"") }
    #expect(band.count == 1 && band[0].hasPrefix("<path d=\"M") && band[0].hasSuffix("Z\" fill=\"#0072B2\" fill-opacity=\"0.18\" stroke=\"none\"/>"))
    // Six corners: three upper edges out, three lower edges back.
    #expect(band[0].components(separatedBy: "L").count == 6)
    // The band is drawn first, under its line; 3.5 (the top edge) is on the axis.
    #expect(svg.range(of: "fill-opacity")!.lowerBound < svg.range(of: "stroke-width=\"1.8\"")!.lowerBound)
    #expect(SVGChart.render(Figure(kind: .line, title: "", xLabel: "epoch", yLabel: "loss",
                                   series: [.init(name: "ae", x: [1, 2, 3], y: [3, 2, 1])]), idPrefix: "s1") != svg)
    let bars = Figure(kind: .bar, title: "", xLabel: "", yLabel: "",
                      series: [.init(name: "values", x: [0, 1], y: [10, 20], spread: [2, 0])], groupNames: ["a", "b"])
    let barSVG = SVGChart.render(bars, idPrefix: "s2")
    let whiskers = barSVG.components(separatedBy: "\n").filter { $0.contains("stroke-width=\"1.2\"") }
    // One error bar (b has no spread): the vertical stroke and its two caps.
    #expect(whiskers.count == 1 && whiskers[0].components(separatedBy: "M").count == 4)
    #expect(!SVGChart.render(Figure(kind: .bar, title: "", xLabel: "", yLabel: "",
                                    series: [.init(name: "values", x: [0, 1], y: [10, 20])], groupNames: ["a", "b"]),
                             idPrefix: "s2").contains("stroke-width=\"1.2\""))
}
