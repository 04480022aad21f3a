import Notebook
import Testing

@Test func markdownTreeOfASmallDocument() {
    let (notebook, diagnostics) = parse("""
        # Results *so far*

        1. See [the **paper**](https://x.org "Paper")
        2. Run `train`
           now

        > ![plot](p.png)\\
        > <b>done</b>

        ---
        """)
    #expect(diagnostics.isEmpty)
    func node(_ kind: MarkdownNode.Kind, _ line: Int, _ column: Int, _ children: [MarkdownNode] = []) -> MarkdownNode {
        MarkdownNode(kind: kind, children: children, location: at(line, column))
    }
    let expected: [NotebookBlock] = [
        .prose(node(.heading(level: 1), 1, 1, [
            node(.text("Results "), 1, 3),
            node(.emphasis, 1, 11, [node(.text("so far"), 1, 12)]),
        ])),
        .prose(node(.list(ordered: true, start: 1, tight: true), 3, 1, [
            node(.item, 3, 1, [node(.paragraph, 3, 4, [
                node(.text("See "), 3, 4),
                node(.link(destination: "https://x.org", title: "Paper"), 3, 8, [
                    node(.text("the "), 3, 9),
                    node(.strong, 3, 13, [node(.text("paper"), 3, 15)]),
                ]),
            ])]),
            node(.item, 4, 1, [node(.paragraph, 4, 4, [
                node(.text("Run "), 4, 4),
                node(.code("train"), 4, 8),
                node(.softBreak, 4, 15),
                node(.text("now"), 5, 4),
            ])]),
        ])),
        .prose(node(.blockQuote, 7, 1, [node(.paragraph, 7, 3, [
            node(.image(source: "p.png", title: ""), 7, 3, [node(.text("plot"), 7, 5)]),
            node(.lineBreak, 7, 17),
            node(.htmlInline("<b>"), 8, 3),
            node(.text("done"), 8, 6),
            node(.htmlInline("</b>"), 8, 10),
        ])])),
        .prose(node(.thematicBreak, 10, 1)),
    ]
    #expect(notebook.blocks == expected)
}

@Test func plainTextRendersWhatAReaderSees() {
    let (notebook, _) = parse("# A *b* `c` [d](e) ![f](g)\n\n- one\n- two\n\n```\ncode\n```\n")
    let text = notebook.blocks.map { block -> String in
        guard case .prose(let node) = block else { return "" }
        return node.plainText
    }
    #expect(text == ["A b c d f", "one\ntwo", "code"])
}

/// A visitor that only cares about links; everything else falls back to `defaultVisit`.
struct LinkCollector: MarkdownVisitor {
    mutating func defaultVisit(_ node: MarkdownNode) -> [String] {
        visitChildren(of: node).flatMap { $0 }
    }

    mutating func visitLink(_ node: MarkdownNode, destination: String, title: String) -> [String] {
        [destination] + defaultVisit(node)
    }
}

@Test func visitorsOverrideOnlyWhatTheyNeed() {
    let (notebook, _) = parse("[a](one) and *[b](two)*\n\n> [c ![x](four)](three)\n")
    var collector = LinkCollector()
    let links = notebook.blocks.flatMap { block -> [String] in
        guard case .prose(let node) = block else { return [] }
        return collector.visit(node)
    }
    #expect(links == ["one", "two", "three"])
}

@Test func inlineReferencesWithExactPositions() {
    let (notebook, diagnostics) = parse("""
        ---
        title: T
        ---
        # Loss {{baseline.final_loss}}

        The AUC was **{{ baseline.metrics.auc }}** and [see {{wide.z}}](x).
        Not `{{ code.span }}` but {{ a_b-c.d_e }}
          and a continuation {{ c.d }}

        - item &amp; {{ e.f }}
          more {{g.h}}

        > quoted {{ i.j }}
        lazy {{ k.l }}

        ```python
        print("{{ not.this }}")
        ```

            {{ nor.this }}

        <div>{{ nor.html }}</div>

        A backslash break\\
           then {{ m.n }} and `a code
        span` then {{ o.p }}

        [site]: https://example.org
        After a definition {{ r.s }}

        - item
         lazy {{ t.u }}
        """)
    #expect(diagnostics.isEmpty)
    #expect(notebook.references == [
        InlineReference(cell: "baseline", field: "final_loss", location: at(4, 8), text: "{{baseline.final_loss}}"),
        InlineReference(cell: "baseline", field: "metrics.auc", location: at(6, 15), text: "{{ baseline.metrics.auc }}"),
        InlineReference(cell: "wide", field: "z", location: at(6, 53), text: "{{wide.z}}"),
        InlineReference(cell: "a_b-c", field: "d_e", location: at(7, 27), text: "{{ a_b-c.d_e }}"),
        InlineReference(cell: "c", field: "d", location: at(8, 22), text: "{{ c.d }}"),
        InlineReference(cell: "e", field: "f", location: at(10, 14), text: "{{ e.f }}"),
        InlineReference(cell: "g", field: "h", location: at(11, 8), text: "{{g.h}}"),
        InlineReference(cell: "i", field: "j", location: at(13, 10), text: "{{ i.j }}"),
        InlineReference(cell: "k", field: "l", location: at(14, 6), text: "{{ k.l }}"),
        InlineReference(cell: "m", field: "n", location: at(25, 9), text: "{{ m.n }}"),
        InlineReference(cell: "o", field: "p", location: at(26, 12), text: "{{ o.p }}"),
        InlineReference(cell: "r", field: "s", location: at(29, 20), text: "{{ r.s }}"),
        InlineReference(cell: "t", field: "u", location: at(32, 7), text: "{{ t.u }}"),
    ])
}

@Test func figureCitationsAreFoundWithPositions() {
    let (notebook, diagnostics) = Notebook.parse("""
        See @fig-loss, and *@fig-a_b-*; `@fig-code` is code.

        > Quoted: ñ @fig-q and @fig- alone.
        """, file: "nb.md", directives: [])
    #expect(diagnostics.isEmpty)
    #expect(notebook.citations == [
        FigureCitation(name: "loss", location: at(1, 5)),
        FigureCitation(name: "a_b", location: at(1, 21)),
        FigureCitation(name: "q", location: at(3, 13)),
    ])
    #expect(notebook.citations[0].target(among: ["loss", "fig-loss"]) == "loss")
    #expect(notebook.citations[0].target(among: ["fig-loss"]) == "fig-loss")
    #expect(notebook.citations[0].target(among: ["other"]) == nil)
}
