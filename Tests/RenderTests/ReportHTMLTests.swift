import Engine
import Foundation
import Notebook
import Render
import ReportModel
import Runtime
import Testing

/// A notebook planned but not executed; each cell gets the result `results` gives it (nil: failed).
func report(_ source: String, slug: String = "nb", _ results: (String) -> (CellRecord.Status, CellResult?, String?) = { _ in (.fresh, nil, nil) })
    -> (ReportNotebook, Plan) {
    let plan = Plan(source: source, file: "\(slug).md", profile: .quick)
    let records = plan.steps.map { step -> CellRecord in
        let (status, result, reason) = results(step.cell.name)
        return CellRecord(step: step, status: status, result: result, reason: reason, seconds: status == .cached ? 0.0123 : 2.5)
    }
    return (ReportNotebook(notebook: plan.notebook, records: records, slug: slug), plan)
}

let footer = ReportFooter(date: "2026-11-21 12:00 UTC", profile: .quick, threads: 2)

func lineFigure(_ title: String = "") -> Output {
    .figure(Figure(kind: .line, title: title, xLabel: "epoch", yLabel: "loss", series: [.init(name: "ae", x: [1, 2, 3], y: [3, 2, 1])]))
}

/// A 2×2 grid of 2×2 gray images, pixel values from `seed`.
func gridResult(seed: Float, labels: [String] = []) -> CellResult {
    let pixels = (0..<16).map { Float($0) / 15 * seed }
    let grid = ImageGrid(tensor: "grid.0", rows: 2, columns: 2, height: 2, width: 2, channels: 1, title: "Samples",
                         rowLabels: labels, columnLabels: [], xValues: nil, yValues: nil)
    return CellResult(value: .figure, outputs: [.images(grid)], tensors: ["grid.0": .init(shape: [4, 2, 2, 1], values: pixels)], seconds: 4.25)
}

/// The text between the first `start` and the following `end`, both included.
func fragment(_ html: String, from start: String, to end: String) -> String? {
    guard let a = html.range(of: start), let b = html[a.upperBound...].range(of: end) else { return nil }
    return String(html[a.lowerBound..<b.upperBound])
}

@Test func aCellShowsItsFoldedSourceOutputsAndProvenance() {
    let source = "---\nseed: 3\n---\n\n```encode codes\nmodel: m\ndata: d\ntitle: Latent <codes>\n```\n"
    // Plan errors (unknown cells m, d) do not matter here: the records are made up.
    let (nb, plan) = report(source) { _ in
        (.cached, CellResult(value: .figure, outputs: [
            .text("10 vectors & more"),
            .table(Table(title: "Coordinates", columns: ["dimension", "mean", "note"], rows: [["z0", "1,234.5", "wide"], ["z1", "−0.25", "–"]])),
        ], seconds: 75), nil)
    }
    let html = ReportHTML.page(nb, footer: footer)
    let seed = plan.steps[0].seed
    #expect(fragment(html, from: "<section class=\"cell cell-encode\"", to: "</section>") == """
        <section class="cell cell-encode" id="cell-nb-codes">
        <details class="cell-source"><summary><code>encode codes</code></summary>
        <pre><code>```encode codes
        model: m
        data: d
        title: Latent &lt;codes&gt;
        ```</code></pre></details>
        <h4 class="cell-title">Latent &lt;codes&gt;</h4>
        <p class="output-text">10 vectors &amp; more</p>
        <table class="data">
        <caption>Coordinates</caption>
        <thead><tr><th>dimension</th><th class="num">mean</th><th>note</th></tr></thead>
        <tbody>
        <tr><td>z0</td><td class="num">1,234.5</td><td>wide</td></tr>
        <tr><td>z1</td><td class="num">−0.25</td><td>–</td></tr>
        </tbody>
        </table>
        <p class="provenance provenance-cached">from the cache in 0.01 s (computed in 1 min 15 s) · seed \(seed)</p>
        </section>
        """)
}

@Test func longTablesAreFolded() {
    let (nb, _) = report("```dataset d\nsource: mnist\n```\n") { _ in
        (.fresh, CellResult(value: .figure, outputs: [.table(Table(title: "Loss per epoch", columns: ["epoch", "loss"],
                                                                     rows: [["1", "200.5"], ["2", "180.25"]], folded: true))]), nil)
    }
    let html = ReportHTML.page(nb, footer: footer)
    #expect(fragment(html, from: "<details class=\"table-fold\">", to: "</summary>")
            == "<details class=\"table-fold\"><summary>Loss per epoch (2 rows)</summary>")
    #expect(fragment(html, from: "<p class=\"provenance", to: "·") == "<p class=\"provenance provenance-fresh\">computed in 2.50 s ·")
}

@Test func figuresAreNumberedCaptionedListedAndCited() {
    let source = """
        ---
        title: Runs
        ---

        # Runs

        As @fig-second shows, and @fig-first-, while @fig-nothing is not a figure.

        ```plot first
        kind: bar
        values: [a.b]
        caption: The first one
        ```

        ## Later

        ```plot second
        kind: bar
        values: [a.b]
        title: Second plot
        ```
        """
    let (nb, _) = report(source) { name in (.fresh, CellResult(value: .figure, outputs: [lineFigure(name == "first" ? "ignored" : "")]), nil) }
    let html = ReportHTML.page(nb, footer: footer)
    // The heading repeating the title is dropped; the next is section 1.
    #expect(!html.contains("<h2 id=\"sec-nb-runs\""))
    #expect(html.contains("<h2 id=\"sec-nb-later\"><span class=\"secnum\">1</span> Later</h2>"))
    #expect(html.contains("<p>As <a class=\"xref\" href=\"#fig-nb-second\">Figure 2</a> shows, and <a class=\"xref\" href=\"#fig-nb-first\">Figure 1</a>-, while <span class=\"ref missing\">@fig-nothing</span> is not a figure.</p>"))
    #expect(html.contains("<figcaption><span class=\"fignum\">Figure 1.</span> The first one</figcaption>"))
    // Without a caption the title is the caption, and is not repeated above the figure.
    #expect(html.contains("<figcaption><span class=\"fignum\">Figure 2.</span> Second plot</figcaption>"))
    #expect(!html.contains("<h4 class=\"cell-title\">Second plot</h4>"))
    #expect(fragment(html, from: "<nav class=\"lof\"", to: "</nav>") == """
        <nav class="lof" aria-labelledby="lof-title">
        <h2 id="lof-title">List of figures</h2>
        <ol>
        <li value="1"><a href="#fig-nb-first">Figure 1</a> The first one</li>
        <li value="2"><a href="#fig-nb-second">Figure 2</a> Second plot</li>
        </ol>
        </nav>
        """)
    // Chart titles live in the HTML, not inside the SVG.
    #expect(!html.contains(">ignored<"))
}

@Test func sectionsAreNumberedAndListed() {
    let source = "# Alpha\n\ntext\n\n## Beta\n\n## Beta\n\n### Gamma\n\n# Delta\n"
    let (nb, _) = report(source)
    let html = ReportHTML.page(nb, footer: footer)
    #expect(fragment(html, from: "<nav class=\"toc\"", to: "</nav>") == """
        <nav class="toc" aria-labelledby="toc-title">
        <h2 id="toc-title">Contents</h2>
        <ul>
        <li class="toc-1"><a href="#sec-nb-alpha"><span class="secnum">1</span> Alpha</a></li>
        <li class="toc-2"><a href="#sec-nb-beta"><span class="secnum">1.1</span> Beta</a></li>
        <li class="toc-2"><a href="#sec-nb-beta-2"><span class="secnum">1.2</span> Beta</a></li>
        <li class="toc-3"><a href="#sec-nb-gamma"><span class="secnum">1.2.1</span> Gamma</a></li>
        <li class="toc-1"><a href="#sec-nb-delta"><span class="secnum">2</span> Delta</a></li>
        </ul>
        </nav>
        """)
    #expect(html.contains("<h4 id=\"sec-nb-gamma\"><span class=\"secnum\">1.2.1</span> Gamma</h4>"))
}

@Test func theIndexNumbersNotebooksAsPartsAndFiguresAcrossThem() {
    let (a, _) = report("---\ntitle: First notebook\n---\n\n## Part\n\n```plot p\nkind: bar\nvalues: [a.b]\n```\n", slug: "01-a") { _ in
        (.fresh, CellResult(value: .figure, outputs: [lineFigure()]), nil)
    }
    let (b, _) = report("See @fig-q.\n\n```plot q\nkind: bar\nvalues: [a.b]\n```\n", slug: "02-b") { _ in
        (.fresh, CellResult(value: .figure, outputs: [lineFigure()]), nil)
    }
    let html = ReportHTML.index(title: "All of it", notebooks: [a, b], footer: footer)
    #expect(html.contains("<h1 class=\"title\">All of it</h1>\n<p class=\"byline\">2 notebooks · profile quick</p>"))
    #expect(html.contains("<section class=\"notebook\" id=\"nb-01-a\">\n<h2><span class=\"secnum\">1</span> First notebook</h2>"))
    #expect(html.contains("<h3 id=\"sec-01-a-part\"><span class=\"secnum\">1.1</span> Part</h3>"))
    // A notebook without a title is named by its file; its figure continues the numbering.
    #expect(html.contains("<h2><span class=\"secnum\">2</span> 02-b</h2>"))
    #expect(html.contains("<p>See <a class=\"xref\" href=\"#fig-02-b-q\">Figure 2</a>.</p>"))
    #expect(html.contains("<a href=\"01-a.html\">page of its own</a>"))
}

@Test func errorsAndSkippedCellsAreShownInPlaceEscaped() {
    let source = "```dataset d\nsource: mnist\n```\n\n```encode z\nmodel: m\ndata: d\n```\n"
    let (nb, _) = report(source) { name in
        name == "d" ? (.failed, nil, "cannot read <data>/mnist: \"missing\"") : (.skipped, nil, "skipped because 'd' failed")
    }
    let html = ReportHTML.page(nb, footer: footer)
    #expect(html.contains("""
        <div class="cell-error" role="alert"><p><strong>Error</strong> in cell 'd'</p>
        <pre>cannot read &lt;data&gt;/mnist: &quot;missing&quot;</pre></div>
        <p class="provenance provenance-failed">failed after 2.50 s · seed
        """))
    #expect(html.contains("<p class=\"cell-skipped\">Skipped because &#39;d&#39; failed</p>\n<p class=\"provenance provenance-skipped\">skipped · seed"))
}

@Test func identicalImageGridsAreEmbeddedOnce() {
    let source = "```decode a\nmodel: m\nfrom: grid\n```\n\n```decode b\nmodel: m\nfrom: grid\n```\n\n```decode c\nmodel: m\nfrom: grid\n```\n"
    let (nb, _) = report(source) { name in (.fresh, gridResult(seed: name == "c" ? 0.5 : 1, labels: name == "b" ? ["top", "bottom"] : []), nil) }
    let html = ReportHTML.page(nb, footer: footer)
    #expect(html.components(separatedBy: "data:image/png;base64,").count - 1 == 2)  // a and b share one PNG, c differs
    // b has row labels, so its image sits further right: the reference is shifted to match.
    let first = fragment(html, from: "<image id=\"png-", to: "\"")!
    let id = String(first.dropFirst("<image id=\"".count).dropLast())
    // "bottom": 6 characters × 12 px × 0.58 = 41.8 → 42, plus a 10 px gap.
    #expect(html.contains("<use href=\"#\(id)\" x=\"52\" y=\"0\"/>"))
    #expect(html.contains(">top</text>") && html.contains(">bottom</text>"))
}

/// A decoded manifold's axes carry the latent values and the names of the dimensions they vary:
/// a grid over z1 and z3 said "z0" under its columns and nothing beside its rows before.
@Test func aDecodedGridNamesTheDimensionsItVaries() {
    let (nb, _) = report("```decode g\nmodel: m\nfrom: grid\ndims: [1, 3]\n```\n") { _ in
        var result = gridResult(seed: 1)
        result.outputs = [.images(ImageGrid(tensor: "grid.0", rows: 2, columns: 2, height: 2, width: 2, channels: 1, title: "Grid",
                                            xValues: [-1, 1], yValues: [2, -2], xName: "z1", yName: "z3"))]
        return (.fresh, result, nil)
    }
    let html = ReportHTML.page(nb, footer: footer)
    // Tiles 4 px (2 px images at scale 2) with a 2 px gap: the grid is 10 × 10 px, 60 px from the
    // left (44 for the values, 16 for the rotated name); column centres at 62 and 68.
    #expect(fragment(html, from: "<text x=\"62\" y=\"23\"", to: "</svg>") == """
        <text x="62" y="23" text-anchor="middle" font-size="10" fill="#222">-1.00</text>
        <text x="68" y="23" text-anchor="middle" font-size="10" fill="#222">1.00</text>
        <text x="65" y="38" text-anchor="middle" fill="#222">z1</text>
        <text x="12" y="5" transform="rotate(-90 12 5)" text-anchor="middle" dominant-baseline="middle" fill="#222">z3</text>
        <text x="56" y="2" text-anchor="end" dominant-baseline="middle" font-size="10" fill="#222">2.00</text>
        <text x="56" y="8" text-anchor="end" dominant-baseline="middle" font-size="10" fill="#222">-2.00</text>
        </svg>
        """)
}

@Test func theFooterNamesTheRunAndTheDataFiles() {
    let (nb, _) = report("```dataset d\nsource: mnist\nsplit: test\n```\n") { _ in
        (.fresh, CellResult(value: .dataset(DatasetRecipe(source: "mnist", split: "test"))), nil)
    }
    let html = ReportHTML.page(nb, footer: footer)
    #expect(html.contains("<p>Rendered 2026-11-21 12:00 UTC by LatentBook \(engineVersion) · profile quick · 2 threads</p>"))
    #expect(html.contains("<tr><td>mnist/t10k-images-idx3-ubyte</td><td><code>0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7</code></td></tr>"))
    #expect(html.contains("<tr><td>mnist/t10k-labels-idx1-ubyte</td>"))
    #expect(ReportFooter.timestamp(Date(timeIntervalSince1970: 1_795_000_000)) == "2026-11-18 11:06 UTC")
}

/// Everything a notebook contributes reaches the page as text: names, titles, captions, prose,
/// option values, error messages, table cells, chart labels.
@Test func aHostileNotebookRendersEscaped() {
    let payload = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">"
    let source = """
        ---
        title: "\(payload.replacingOccurrences(of: "\"", with: "\\\""))"
        author: "<b onmouseover=alert(1)>me</b>"
        ---

        # Heading \(payload)

        Prose \(payload) and [a link](javascript:alert(1)) and {{evil.x}} and @fig-evil.

        <script>window.__pwned=3</script>

        ```plot evil
        kind: bar
        values: [a.b]
        title: "\(payload.replacingOccurrences(of: "\"", with: "\\\""))"
        caption: "</figcaption><script>window.__pwned=4</script>"
        labels: ["</text><script>x()</script>"]
        ```
        """
    let (nb, _) = report(source) { _ in
        (.fresh, CellResult(value: .figure, outputs: [
            .text(payload),
            .table(Table(title: payload, columns: [payload], rows: [[payload]])),
            .figure(Figure(kind: .bar, title: payload, xLabel: payload, yLabel: payload,
                           series: [.init(name: payload, x: [0], y: [1])], groupNames: [payload])),
        ], metrics: ["x": .text(payload)]), nil)
    }
    for html in [ReportHTML.page(nb, footer: footer), ReportHTML.index(title: payload, notebooks: [nb], footer: footer)] {
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b "))
        #expect(!html.contains("javascript:"))
        #expect(html.firstMatch(of: /<[a-zA-Z][^>]*\son[a-z]+\s*=/) == nil)  // no element with an event handler
        #expect(html.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;"))
    }
    let (failed, _) = report(source) { _ in (.failed, nil, payload) }
    #expect(!ReportHTML.page(failed, footer: footer).lowercased().contains("<script"))
}

@Test func durationsReadNaturally() {
    #expect([0.04, 9.994, 12.34, 60, 3599, 3660, -1].map(formatDuration) == ["0.04 s", "9.99 s", "12.3 s", "1 min 0 s", "59 min 59 s", "1 h 01 min", "–"])
}

/// Claims render as marks after their sentence (the comparison in the tooltip); the ones that
/// fail are listed at the top with their place and a link; a repeated field reads mean ± sd.
@Test func claimsAreMarkedAndFailuresListedFirst() {
    let source = "# Claims\n\n```dataset ae\n```\n\nIt ends at {{ae.loss}} {{check ae.loss < 200}}, not {{check ae.loss < 100}}.\n"
    var (nb, plan) = report(source) { _ in
        (.fresh, CellResult(value: .figure, metrics: ["loss": .number(152.34), "loss_sd": .number(1.234), "loss_n": .number(3)]), nil)
    }
    nb.claims = checkClaims(plan) { _ in nb.records[0].result }
    let page = ReportHTML.page(nb, footer: footer)
    #expect(fragment(page, from: "<div class=\"claims-failing\">", to: "</div>") == """
        <div class="claims-failing">
        <p>1 claim does not hold in this run:</p>
        <ul>
        <li><a href="#claim-nb-2">nb.md:6:53</a> <code>{{check ae.loss &lt; 100}}</code> fails: ae.loss = 152.3 ± 1.2 &lt; 100 is false</li>
        </ul>
        </div>
        """)
    #expect(fragment(page, from: "<p>It ends", to: "</p>") == """
        <p>It ends at <span class="ref">152.3 ± 1.2</span> <span class="claim pass" title="holds: ae.loss = 152.3 ± 1.2 &lt; 200">✓</span>, \
        not <span class="claim fail" id="claim-nb-2" title="fails: ae.loss = 152.3 ± 1.2 &lt; 100 is false">✗ claim fails</span>.</p>
        """)
    // A page whose claims all hold has no list.
    nb.claims = nb.claims.filter { $0.verdict == .pass }
    #expect(!ReportHTML.page(nb, footer: footer).contains("<div class=\"claims-failing\">"))
}
