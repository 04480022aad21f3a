import Engine
import Foundation
import ReportModel
import Runtime

/// `run`'s text rendering of cell outputs (the HTML report draws them properly).
func printText(_ records: [CellRecord]) {
    for r in records where r.status != .notRun {
        let time = r.result.map { " \(formatFixed($0.seconds, 2)) s" } ?? ""
        print("\n== [\(r.step.cell.index + 1)] \(r.step.cell.directive) \(r.step.cell.name) — \(r.status.rawValue)\(time)")
        if let title = r.step.presentation.title { print("# " + title) }
        if let reason = r.reason { print(reason) }
        for output in r.result?.outputs ?? [] {
            switch output {
            case .text(let s):
                print(s)
            case .table(let t):
                if let title = t.title { print(title + (t.folded ? " (folded)" : "")) }
                print(textTable(columns: t.columns, rows: t.folded && t.rows.count > 6 ? Array(t.rows.prefix(3)) + [t.columns.map { _ in "…" }] + Array(t.rows.suffix(2)) : t.rows))
            case .figure(let f):
                print("[figure: \(f.kind.rawValue)\(f.title.isEmpty ? "" : " “\(f.title)”") — "
                      + f.series.map { "\($0.name) (\($0.x.count) points)" }.joined(separator: ", ") + "]")
            case .images(let g):
                print("[images: \(g.rows)×\(g.columns) of \(g.height)×\(g.width)×\(g.channels) — \(g.title)]")
            }
        }
        if let caption = r.step.presentation.caption { print("Caption: " + caption) }
    }
}

/// Columns padded to their widest cell; numbers right-aligned.
func textTable(columns: [String], rows: [[String]]) -> String {
    let widths = columns.indices.map { c in ([columns[c]] + rows.map { c < $0.count ? $0[c] : "" }).map(\.count).max()! }
    func line(_ cells: [String]) -> String {
        columns.indices.map { c in
            let v = c < cells.count ? cells[c] : ""
            let pad = String(repeating: " ", count: widths[c] - v.count)
            return Double(v.replacingOccurrences(of: ",", with: "")) != nil ? pad + v : v + pad
        }.joined(separator: "  ")
    }
    return ([line(columns), widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")] + rows.map(line)).joined(separator: "\n")
}

/// A status line on stderr that rewrites itself on a terminal and stays silent elsewhere.
final class ProgressLine {
    private let terminal = isatty(STDERR_FILENO) == 1
    private var shown = false
    private var last = ContinuousClock.now - .seconds(1)

    /// Draws at most ~10 times a second unless `force`d; an empty text clears the line.
    func show(_ text: String, force: Bool = false) {
        guard terminal else { return }
        if text.isEmpty { clear(); return }
        guard force || ContinuousClock.now - last > .milliseconds(100) else { return }
        last = ContinuousClock.now
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        shown = true
    }

    func clear() {
        guard shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        shown = false
    }
}
