import Foundation
import Notebook
import ReportModel
import Runtime

/// One executed notebook as a report shows it.
public struct ReportNotebook: Sendable {
    public var notebook: Notebook
    public var records: [CellRecord]
    /// The file name without extension: the page's name and the prefix of its anchors.
    public var slug: String
    /// Its prose's claims, checked against `records`.
    public var claims: [ClaimOutcome]

    public init(notebook: Notebook, records: [CellRecord], slug: String, claims: [ClaimOutcome] = []) {
        self.notebook = notebook; self.records = records; self.slug = slug; self.claims = claims
    }

    var title: String { notebook.frontMatter.title ?? slug }
}

/// What the footer states about the run that produced a report.
public struct ReportFooter: Sendable {
    /// When the report was rendered, as shown (e.g. "2026-11-21 14:05 UTC").
    public var date: String
    public var profile: Profile
    public var threads: Int

    public init(date: String, profile: Profile, threads: Int) {
        self.date = date; self.profile = profile; self.threads = threads
    }

    /// `date` as the footer shows it: UTC, to the minute.
    public static func timestamp(_ date: Date) -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)) UTC"
    }
}

/// Self-contained HTML reports: CSS inline, figures as inline SVG, images as PNG `data:` URIs,
/// no script and nothing fetched. Everything a notebook contributes is escaped.
public enum ReportHTML {
    /// One notebook's page: its title block, contents, list of figures, prose and cells, footer.
    public static func page(_ notebook: ReportNotebook, footer: ReportFooter, images: EncodedImages = EncodedImages()) -> String {
        var document = ReportDocument(notebooks: [notebook], combined: false, images: images)
        let front = notebook.notebook.frontMatter
        return document.html(title: notebook.title, byline: [front.author, front.date].compactMap { $0 }, footer: footer)
    }

    /// The id of a cell's section, on its page and in the full report.
    public static func cellAnchor(slug: String, cell: String) -> String {
        "cell-\(anchorPart(slug))-\(anchorPart(cell))"
    }

    /// The full report: every notebook in order, as numbered parts of one document.
    public static func index(title: String, notebooks: [ReportNotebook], footer: ReportFooter,
                             images: EncodedImages = EncodedImages()) -> String {
        var document = ReportDocument(notebooks: notebooks, combined: true, images: images)
        let count = "\(notebooks.count) notebook\(notebooks.count == 1 ? "" : "s")"
        return document.html(title: title, byline: [count, "profile \(footer.profile.rawValue)"], footer: footer)
    }
}

/// Builds one HTML document; figures are numbered before anything is written, so prose may
/// cite a figure that comes later.
struct ReportDocument {
    struct Section { var depth: Int; var number: String; var text: String; var anchor: String }
    struct FigureEntry { var number: Int; var caption: String; var anchor: String }

    let notebooks: [ReportNotebook]
    /// Several notebooks as numbered parts (index.html), or one notebook's page.
    let combined: Bool
    /// Per notebook: cell name → its figure's number.
    private(set) var figureNumbers: [[String: Int]] = []
    private(set) var sections: [Section] = []
    private(set) var figures: [FigureEntry] = []
    /// Image grids already embedded, by PNG fingerprint: later copies refer to the first.
    var embeddedImages: [String: EmbeddedImage] = [:]
    let images: EncodedImages
    var nextSVGIdentifier = 0

    struct EmbeddedImage { var id: String; var x: Int; var y: Int }

    init(notebooks: [ReportNotebook], combined: Bool, images: EncodedImages) {
        self.notebooks = notebooks
        self.combined = combined
        self.images = images
        var number = 0
        figureNumbers = notebooks.map { nb in
            var numbers: [String: Int] = [:]
            for record in nb.records where record.result?.outputs.contains(where: \.isVisual) ?? false {
                number += 1
                numbers[record.step.cell.name] = number
            }
            return numbers
        }
    }

    mutating func html(title: String, byline: [String], footer: ReportFooter) -> String {
        var body = ""
        for index in notebooks.indices { body += notebookHTML(index) }
        var head = "<header class=\"title-block\">\n<h1 class=\"title\">\(xmlEscape(title))</h1>\n"
        if !byline.isEmpty { head += "<p class=\"byline\">\(byline.map(xmlEscape).joined(separator: " · "))</p>\n" }
        head += "</header>\n"
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="LatentBook \(latentBookVersion)">
            <title>\(xmlEscape(title))</title>
            <style>
            \(reportStyle)</style>
            </head>
            <body>
            <main class="report">
            \(head)\(contentsHTML())\(body)\(footerHTML(footer))</main>
            </body>
            </html>

            """
    }

    // MARK: - Notebooks and their prose

    private mutating func notebookHTML(_ index: Int) -> String {
        let nb = notebooks[index]
        var blocks = nb.notebook.blocks[...]
        // A first heading that repeats the title would print it twice.
        if case .prose(let node)? = blocks.first, case .heading = node.kind, node.plainText == nb.title { blocks = blocks.dropFirst() }
        let levels = blocks.compactMap { block -> Int? in
            if case .prose(let node) = block, case .heading(let level) = node.kind { level } else { nil }
        }
        let topLevel = levels.min() ?? 1
        let records = Dictionary(nb.records.map { ($0.step.cell.name, $0) }, uniquingKeysWith: { first, _ in first })
        let claims = claimMarks(index)
        var prose = ProseHTML(values: referenceValues(nb), figures: figureLinks(index), claims: claims)
        var counters: [Int] = []
        var out = ""
        let prefix = combined ? "\(index + 1)." : ""
        if combined {
            let anchor = "nb-" + anchorPart(nb.slug)
            sections.append(Section(depth: 1, number: "\(index + 1)", text: nb.title, anchor: anchor))
            out += "<section class=\"notebook\" id=\"\(anchor)\">\n<h2><span class=\"secnum\">\(index + 1)</span> \(xmlEscape(nb.title))</h2>\n"
            let front = nb.notebook.frontMatter
            let byline = [front.author, front.date].compactMap { $0 }.map(xmlEscape)
                + ["<a href=\"\(xmlEscape(pageName(nb.slug)))\">page of its own</a>"]
            out += "<p class=\"byline\">\(byline.joined(separator: " · "))</p>\n"
        }
        out += failingClaimsHTML(index, marks: claims)
        for block in blocks {
            switch block {
            case .prose(let node):
                if case .heading(let level) = node.kind {
                    let depth = level - topLevel + 1
                    let number = prefix + numbering(&counters, depth: depth)
                    let anchor = uniqueAnchor("sec-\(anchorPart(nb.slug))-\(anchorPart(node.plainText))")
                    let tag = min(6, depth + (combined ? 2 : 1))
                    sections.append(Section(depth: depth + (combined ? 1 : 0), number: number, text: node.plainText, anchor: anchor))
                    out += "<h\(tag) id=\"\(anchor)\"><span class=\"secnum\">\(number)</span> \(prose.inlineHTML(node))</h\(tag)>\n"
                } else {
                    out += prose.visit(node)
                }
            case .cell(let cell):
                out += cellHTML(cell, record: records[cell.name], notebook: index)
            }
        }
        return combined ? out + "</section>\n" : out
    }

    /// Advances the counters for a heading at `depth` (1-based) and returns its number, e.g. "2.1".
    private func numbering(_ counters: inout [Int], depth: Int) -> String {
        // A deeper level starts at 1 (a skipped level counts 0); a shallower one drops the deeper counts.
        while counters.count < depth { counters.append(0) }
        counters = Array(counters.prefix(depth))
        counters[depth - 1] += 1
        return counters.map(String.init).joined(separator: ".")
    }

    private func referenceValues(_ nb: ReportNotebook) -> [String: String] {
        var values: [String: String] = [:]
        for record in nb.records {
            let metrics = record.result?.metrics ?? [:]
            for (field, metric) in metrics {
                values["\(record.step.cell.name).\(field)"] = metric.display(spread: metrics[field + Metric.spreadSuffix])
            }
        }
        return values
    }

    /// Each claim's mark, by its text; a claim that fails or cannot be checked gets an anchor.
    private func claimMarks(_ index: Int) -> [String: ProseHTML.ClaimMark] {
        var marks: [String: ProseHTML.ClaimMark] = [:]
        for (k, claim) in notebooks[index].claims.enumerated() where marks[claim.text] == nil {
            let verdict = ProseHTML.ClaimMark.Verdict(rawValue: claim.verdict.rawValue) ?? .unchecked
            let anchor = verdict == .fail || verdict == .unchecked ? "claim-\(anchorPart(notebooks[index].slug))-\(k + 1)" : nil
            marks[claim.text] = .init(verdict: verdict, detail: claim.detail, anchor: anchor)
        }
        return marks
    }

    /// At the top of a notebook: the claims that fail or could not be checked, each with its
    /// place in the file and a link to its sentence — what a grader reads first.
    private func failingClaimsHTML(_ index: Int, marks: [String: ProseHTML.ClaimMark]) -> String {
        let nb = notebooks[index]
        let failing = nb.claims.filter { $0.verdict == .fail || $0.verdict == .unchecked }
        guard !failing.isEmpty else { return "" }
        let count = failing.count == 1 ? "1 claim does" : "\(failing.count) claims do"
        let items = failing.map { claim in
            let place = "\(nb.notebook.file):\(claim.line):\(claim.column)"
            let link = marks[claim.text]?.anchor.map { "<a href=\"#\(xmlEscape($0))\">\(xmlEscape(place))</a>" } ?? xmlEscape(place)
            let what = claim.verdict == .fail ? "fails" : "cannot be checked"
            return "<li>\(link) <code>\(xmlEscape(claim.text))</code> \(what): \(xmlEscape(claim.detail))</li>\n"
        }.joined()
        return "<div class=\"claims-failing\">\n<p>\(count) not hold in this run:</p>\n<ul>\n\(items)</ul>\n</div>\n"
    }

    /// What `@fig-name` resolves to in notebook `index`: the cell `name`, else the cell `fig-name`.
    private func figureLinks(_ index: Int) -> [String: ProseHTML.FigureLink] {
        var links: [String: ProseHTML.FigureLink] = [:]
        let names = Set(notebooks[index].records.map(\.step.cell.name))
        for citation in notebooks[index].notebook.citations {
            guard let cell = citation.target(among: names), let number = figureNumbers[index][cell] else { continue }
            links[citation.name] = .init(label: "Figure \(number)", anchor: figureAnchor(notebook: index, cell: cell))
        }
        return links
    }

    func figureAnchor(notebook index: Int, cell: String) -> String {
        "fig-\(anchorPart(notebooks[index].slug))-\(anchorPart(cell))"
    }

    func cellAnchor(notebook index: Int, cell: String) -> String {
        ReportHTML.cellAnchor(slug: notebooks[index].slug, cell: cell)
    }

    private var usedAnchors: Set<String> = []

    /// Heading texts may repeat; later ones get "-2", "-3", ...
    private mutating func uniqueAnchor(_ base: String) -> String {
        var anchor = base, n = 1
        while usedAnchors.contains(anchor) { n += 1; anchor = "\(base)-\(n)" }
        usedAnchors.insert(anchor)
        return anchor
    }

    mutating func addFigure(number: Int, caption: String, anchor: String) {
        figures.append(FigureEntry(number: number, caption: caption, anchor: anchor))
    }

    // MARK: - Contents, list of figures, footer

    private func contentsHTML() -> String {
        var out = ""
        if !sections.isEmpty {
            out += "<nav class=\"toc\" aria-labelledby=\"toc-title\">\n<h2 id=\"toc-title\">Contents</h2>\n<ul>\n"
            for s in sections {
                out += "<li class=\"toc-\(min(s.depth, 4))\"><a href=\"#\(s.anchor)\"><span class=\"secnum\">\(s.number)</span> \(xmlEscape(s.text))</a></li>\n"
            }
            out += "</ul>\n</nav>\n"
        }
        if !figures.isEmpty {
            out += "<nav class=\"lof\" aria-labelledby=\"lof-title\">\n<h2 id=\"lof-title\">List of figures</h2>\n<ol>\n"
            for f in figures {
                out += "<li value=\"\(f.number)\"><a href=\"#\(f.anchor)\">Figure \(f.number)</a> \(xmlEscape(f.caption))</li>\n"
            }
            out += "</ol>\n</nav>\n"
        }
        return out
    }

    private func footerHTML(_ footer: ReportFooter) -> String {
        var files: [DataFile] = []
        for nb in notebooks {
            for record in nb.records {
                for file in record.result?.dataFiles ?? [] where !files.contains(file) { files.append(file) }
            }
        }
        let threads = "\(footer.threads) thread\(footer.threads == 1 ? "" : "s")"
        var out = "<footer class=\"report-footer\">\n<p>Rendered \(xmlEscape(footer.date)) by LatentBook \(xmlEscape(latentBookVersion))"
        out += " · profile \(footer.profile.rawValue) · \(threads)</p>\n"
        if !files.isEmpty {
            out += "<table class=\"checksums\">\n<caption>Data files (SHA-256 of the uncompressed IDX files, verified when loaded)</caption>\n"
            out += "<thead><tr><th>file</th><th>SHA-256</th></tr></thead>\n<tbody>\n"
            for f in files { out += "<tr><td>\(xmlEscape(f.file))</td><td><code>\(xmlEscape(f.sha256))</code></td></tr>\n" }
            out += "</tbody>\n</table>\n"
        }
        return out + "</footer>\n"
    }
}

extension Output {
    /// Figures and image grids: what makes a cell a numbered figure.
    var isVisual: Bool {
        switch self {
        case .figure, .images: true
        case .text, .table: false
        }
    }
}

/// Image grids as PNG, encoded once: a notebook's page and the index show the same grids, and
/// compressing them is most of a cached render's work. Pass one instance to every page of a render.
public final class EncodedImages {
    private var pngs: [String: [UInt8]] = [:]

    public init() {}

    /// The PNG stored under `key` (a cell's result key and the grid's tensor), made on first use.
    func png(key: String?, make: () -> [UInt8]) -> [UInt8] {
        guard let key else { return make() }
        if let png = pngs[key] { return png }
        let png = make()
        pngs[key] = png
        return png
    }
}

/// The page a notebook slug is written to.
public func pageName(_ slug: String) -> String { slug + ".html" }

/// A piece of an HTML id: ASCII letters, digits, `-` and `_`; anything else becomes `-`.
func anchorPart(_ s: String) -> String {
    let mapped = s.lowercased().unicodeScalars.map { c -> Character in
        c.isASCII && (CharacterSet.alphanumerics.contains(c) || c == "-" || c == "_") ? Character(c) : "-"
    }
    let collapsed = String(mapped).split(separator: "-", omittingEmptySubsequences: true).joined(separator: "-")
    return collapsed.isEmpty ? "x" : collapsed
}
