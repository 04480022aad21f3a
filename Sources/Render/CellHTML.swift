import Foundation
import Notebook
import ReportModel
import Runtime

/// A directive cell on the page: its source folded, its outputs (texts, then the figure, then
/// tables), and a provenance line.
extension ReportDocument {
    mutating func cellHTML(_ cell: Cell, record: CellRecord?, notebook index: Int) -> String {
        let anchor = cellAnchor(notebook: index, cell: cell.name)
        var out = "<section class=\"cell cell-\(anchorPart(cell.directive))\" id=\"\(anchor)\">\n"
        out += sourceHTML(cell)
        let title = record?.step.presentation.title, caption = record?.step.presentation.caption
        guard let record else {
            return out + "<p class=\"cell-status\">not run</p>\n</section>\n"
        }
        switch record.status {
        case .failed:
            out += "<div class=\"cell-error\" role=\"alert\"><p><strong>Error</strong> in cell '\(xmlEscape(cell.name))'</p>\n"
            out += "<pre>\(xmlEscape(record.reason ?? "unknown error"))</pre></div>\n"
        case .skipped:
            // The interpreter's reason reads "skipped because 'x' failed".
            let reason = record.reason ?? "skipped because an input is missing"
            out += "<p class=\"cell-skipped\">\(xmlEscape(reason.prefix(1).uppercased() + reason.dropFirst()))</p>\n"
        case .notRun:
            out += "<p class=\"cell-status\">not run</p>\n"
        case .fresh, .cached:
            let result = record.result!  // fresh and cached records carry their result
            let visuals = result.outputs.filter(\.isVisual)
            let figureNumber = figureNumbers[index][cell.name]
            if let title, caption != nil || figureNumber == nil {
                out += "<h4 class=\"cell-title\">\(xmlEscape(title))</h4>\n"
            }
            for case .text(let text) in result.outputs { out += "<p class=\"output-text\">\(xmlEscape(text))</p>\n" }
            if let figureNumber {
                out += figureHTML(visuals, result: result, resultKey: record.step.key, number: figureNumber, anchor: figureAnchor(notebook: index, cell: cell.name),
                                  caption: caption ?? title ?? defaultCaption(visuals, cell: cell))
            } else if let caption {
                out += "<p class=\"cell-caption\">\(xmlEscape(caption))</p>\n"
            }
            for case .table(let table) in result.outputs { out += tableHTML(table) }
        }
        out += provenanceHTML(record)
        return out + "</section>\n"
    }

    /// The cell as written, folded: readers open it to see how a result was made.
    private func sourceHTML(_ cell: Cell) -> String {
        let info = cell.nameIsExplicit ? "\(cell.directive) \(cell.name)" : cell.directive
        let source = "```\(info)\n\(cell.body)```"
        return "<details class=\"cell-source\"><summary><code>\(xmlEscape(info))</code></summary>\n"
            + "<pre><code>\(xmlEscape(source))</code></pre></details>\n"
    }

    private func defaultCaption(_ visuals: [Output], cell: Cell) -> String {
        if visuals.count == 1, let title = visuals.first?.visualTitle, !title.isEmpty { return title }
        return "Results of cell '\(cell.name)'"
    }

    /// One numbered figure holding every visual output of a cell; several become panels (a), (b), ...
    private mutating func figureHTML(_ visuals: [Output], result: CellResult, resultKey: String?, number: Int, anchor: String,
                                     caption: String) -> String {
        addFigure(number: number, caption: caption, anchor: anchor)
        let charts = visuals.filter { if case .figure = $0 { true } else { false } }.count
        var out = "<figure id=\"\(anchor)\" class=\"\(visuals.count > 1 ? "panels" : "single")\">\n"
        for (k, output) in visuals.enumerated() {
            var panel = ""
            if visuals.count > 1 {
                let letter = String(UnicodeScalar(UInt8(97 + k % 26)))
                panel += "<div class=\"panel-label\">(\(letter)) \(xmlEscape(output.visualTitle))</div>\n"
            }
            switch output {
            case .figure(var figure):
                // Panel titles are HTML text (above); the chart itself carries none.
                figure.title = ""
                let small = charts > 1
                nextSVGIdentifier += 1
                panel += SVGChart.render(figure, width: small ? 420 : 640, height: small ? 340 : 400, idPrefix: "chart\(nextSVGIdentifier)")
                out += "<div class=\"panel\(small ? " chart-small" : "")\">\n\(panel)</div>\n"
            case .images(let grid):
                panel += imageGridHTML(grid, tensor: result.tensors[grid.tensor], key: resultKey.map { "\($0)/\(grid.tensor)" })
                out += "<div class=\"panel panel-wide\">\n\(panel)</div>\n"
            case .text, .table:
                break
            }
        }
        out += "<figcaption><span class=\"fignum\">Figure \(number).</span> \(xmlEscape(caption))</figcaption>\n"
        return out + "</figure>\n"
    }

    // MARK: - Image grids

    /// A grid as an SVG: the composited PNG (embedded once per document) with row labels, column
    /// labels and latent-axis values as text around it, so it scales as one piece.
    private mutating func imageGridHTML(_ grid: ImageGrid, tensor: Pixels?, key: String?) -> String {
        let imageSize = grid.height * grid.width * grid.channels
        guard grid.rows > 0, grid.columns > 0, imageSize > 0, let tensor, tensor.values.count % imageSize == 0,
              tensor.values.count / imageSize <= grid.rows * grid.columns else {
            return "<p class=\"cell-error\">The images of this grid are missing from the result.</p>\n"
        }
        // Drawn at twice the images' size; the PNG holds them at their own size (tiles 1 px apart)
        // and the browser enlarges it without smoothing: a quarter of the pixels to compress and embed.
        let g = ImageGridRender.geometry(grid, scale: 2, gap: 2)
        let png = images.png(key: key) { ImageGridRender.png(grid, pixels: tensor.values, scale: 1, gap: 1) }
        let labelFont = 12.0
        let yName = grid.rowLabels.isEmpty && grid.yValues != nil ? grid.yName : nil
        let left = grid.rowLabels.isEmpty ? (grid.yValues == nil ? 0 : yName == nil ? 44 : 60)
            : Int(grid.rowLabels.map { SVGText.textWidth($0, fontSize: labelFont) }.max()!.rounded(.up)) + 10
        let top = grid.columnLabels.isEmpty ? 0 : 18
        let bottom = grid.xValues == nil ? 0 : 32
        let width = left + g.width, height = top + g.height + bottom
        nextSVGIdentifier += 1
        let titleID = "grid\(nextSVGIdentifier)-title"
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"image-grid\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\""
        svg += " style=\"max-width:\(width)px;width:100%;height:auto\" role=\"img\" aria-labelledby=\"\(titleID)\" font-family=\"system-ui,sans-serif\" font-size=\"\(Int(labelFont))\">\n"
        svg += "<title id=\"\(titleID)\">\(xmlEscape(grid.title.isEmpty ? "Image grid" : grid.title))</title>\n"
        let fingerprint = ImageGridRender.fingerprint(png)
        if let first = embeddedImages[fingerprint] {
            svg += "<use href=\"#\(first.id)\" x=\"\(left - first.x)\" y=\"\(top - first.y)\"/>\n"
        } else {
            let id = "png-\(fingerprint)"
            embeddedImages[fingerprint] = EmbeddedImage(id: id, x: left, y: top)
            svg += "<image id=\"\(id)\" x=\"\(left)\" y=\"\(top)\" width=\"\(g.width)\" height=\"\(g.height)\" preserveAspectRatio=\"none\""
            svg += " style=\"image-rendering:pixelated\" href=\"\(ImageGridRender.pngDataURI(png))\"/>\n"
        }
        let ink = SVGPalette.text
        for (row, label) in grid.rowLabels.prefix(grid.rows).enumerated() {
            let y = top + g.y(row: row) + g.tileHeight / 2
            svg += "<text x=\"\(left - 8)\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\" fill=\"\(ink)\">\(xmlEscape(label))</text>\n"
        }
        for (column, label) in grid.columnLabels.prefix(grid.columns).enumerated() {
            let x = left + g.x(column: column) + g.tileWidth / 2
            svg += "<text x=\"\(x)\" y=\"13\" text-anchor=\"middle\" fill=\"\(ink)\">\(xmlEscape(SVGText.clipped(label, 9)))</text>\n"
        }
        if let xs = grid.xValues {
            for (column, v) in xs.prefix(grid.columns).enumerated() {
                let x = left + g.x(column: column) + g.tileWidth / 2
                svg += "<text x=\"\(x)\" y=\"\(top + g.height + 13)\" text-anchor=\"middle\" font-size=\"10\" fill=\"\(ink)\">\(formatFixed(v, 2))</text>\n"
            }
            if let name = grid.xName {
                svg += "<text x=\"\(left + g.width / 2)\" y=\"\(top + g.height + 28)\" text-anchor=\"middle\" fill=\"\(ink)\">\(xmlEscape(name))</text>\n"
            }
        }
        if let yName {
            let y = top + g.height / 2
            svg += "<text x=\"12\" y=\"\(y)\" transform=\"rotate(-90 12 \(y))\" text-anchor=\"middle\" dominant-baseline=\"middle\" fill=\"\(ink)\">\(xmlEscape(yName))</text>\n"
        }
        if let ys = grid.yValues, grid.rowLabels.isEmpty {
            for (row, v) in ys.prefix(grid.rows).enumerated() {
                let y = top + g.y(row: row) + g.tileHeight / 2
                svg += "<text x=\"\(left - 4)\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\" font-size=\"10\" fill=\"\(ink)\">\(formatFixed(v, 2))</text>\n"
            }
        }
        return svg + "</svg>\n"
    }

    // MARK: - Tables

    /// A table with numeric columns right-aligned; long ones (per-epoch logs) folded.
    func tableHTML(_ table: Table) -> String {
        let numeric = table.columns.indices.map { c in
            let cells = table.rows.compactMap { $0.indices.contains(c) ? $0[c] : nil }.filter { !$0.isEmpty && $0 != "–" }
            return !cells.isEmpty && cells.allSatisfy(looksNumeric)
        }
        func cell(_ tag: String, _ text: String, _ c: Int) -> String {
            "<\(tag)\(c < numeric.count && numeric[c] ? " class=\"num\"" : "")>\(xmlEscape(text))</\(tag)>"
        }
        var html = "<table class=\"data\">\n"
        if let title = table.title, !table.folded { html += "<caption>\(xmlEscape(title))</caption>\n" }
        html += "<thead><tr>" + table.columns.enumerated().map { cell("th", $1, $0) }.joined() + "</tr></thead>\n<tbody>\n"
        for row in table.rows { html += "<tr>" + row.enumerated().map { cell("td", $1, $0) }.joined() + "</tr>\n" }
        html += "</tbody>\n</table>\n"
        guard table.folded else { return html }
        let summary = (table.title ?? "Table") + " (\(table.rows.count) row\(table.rows.count == 1 ? "" : "s"))"
        return "<details class=\"table-fold\"><summary>\(xmlEscape(summary))</summary>\n\(html)</details>\n"
    }

    // MARK: - Provenance

    /// How the result came to be: computed now or loaded, how long it took, its seed and key.
    private func provenanceHTML(_ record: CellRecord) -> String {
        var parts: [String] = []
        switch record.status {
        case .fresh: parts.append("computed in \(formatDuration(record.seconds))")
        case .cached:
            let original = record.result.map { " (computed in \(formatDuration($0.seconds)))" } ?? ""
            parts.append("from the cache in \(formatDuration(record.seconds))\(original)")
        case .failed: parts.append("failed after \(formatDuration(record.seconds))")
        case .skipped: parts.append("skipped")
        case .notRun: parts.append("not run")
        }
        parts.append("seed \(record.step.seed)")
        if let key = record.step.key { parts.append("key <code>\(xmlEscape(String(key.prefix(12))))</code>") }
        return "<p class=\"provenance provenance-\(record.status.rawValue)\">\(parts.joined(separator: " · "))</p>\n"
    }
}

extension Output {
    var visualTitle: String {
        switch self {
        case .figure(let f): f.title
        case .images(let g): g.title
        case .text, .table: ""
        }
    }
}

/// "12,345", "0.031", "−1.5e-3", "98.2%", "3,818 img/s" count as numbers for alignment.
func looksNumeric(_ s: String) -> Bool {
    var t = s.trimmingCharacters(in: .whitespaces)
    for suffix in ["%", " s", " img/s", " ms"] where t.hasSuffix(suffix) { t.removeLast(suffix.count) }
    t = t.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "−", with: "-")
    return Double(t) != nil
}

/// Seconds as a reader wants them: "0.04 s", "12.3 s", "4 min 12 s", "1 h 02 min".
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "–" }
    if seconds < 10 { return formatFixed(seconds, 2) + " s" }
    if seconds < 60 { return formatFixed(seconds, 1) + " s" }
    let whole = Int(seconds.rounded())
    if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
    let minutes = (whole % 3600) / 60
    return "\(whole / 3600) h \(minutes < 10 ? "0" : "")\(minutes) min"
}
