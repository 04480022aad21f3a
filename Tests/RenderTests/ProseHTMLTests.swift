import Notebook
import Render
import Testing

func prose(_ markdown: String, values: [String: String] = [:]) -> String {
    let (notebook, _) = Notebook.parse(markdown, file: "t.md", directives: [])
    var renderer = ProseHTML(values: values)
    return notebook.blocks.map { block -> String in
        guard case .prose(let node) = block else { return "" }
        return renderer.visit(node)
    }.joined()
}

@Test func rendersCommonMarkBlocks() {
    #expect(prose("# Title\n\nSome *emphasis*, **strong** and `code`.\n\n- one\n- two\n\n> quoted\n\n---\n\n```python\nx < 1\n```\n")
            == """
            <h1>Title</h1>
            <p>Some <em>emphasis</em>, <strong>strong</strong> and <code>code</code>.</p>
            <ul>
            <li>one</li>
            <li>two</li>
            </ul>
            <blockquote>
            <p>quoted</p>
            </blockquote>
            <hr />
            <pre><code class="language-python">x &lt; 1
            </code></pre>

            """)
}

@Test func substitutesReferencesAcrossSplitTextNodes() {
    #expect(prose("Loss {{ae.final_loss}} and {{ ood.auc }}; {{ae.nope}}.", values: ["ae.final_loss": "137.8", "ood.auc": "0.9549"])
            == "<p>Loss <span class=\"ref\">137.8</span> and <span class=\"ref\">0.9549</span>; <span class=\"ref missing\">{{ae.nope}}</span>.</p>\n")
    // a value is text, never markup
    #expect(prose("{{a.b}}", values: ["a.b": "<b>x</b>"]) == "<p><span class=\"ref\">&lt;b&gt;x&lt;/b&gt;</span></p>\n")
}

@Test func hostileProseIsNeutralised() {
    #expect(prose("<script>alert(1)</script>\n\nText <img src=x onerror=alert(1)> here.")
            == "<!-- raw HTML omitted -->\n<p>Text <!-- raw HTML omitted --> here.</p>\n")
    #expect(prose("[click](javascript:alert(1)) [ok](https://example.org \"t\") ![i](data:text/html,x) ![p](data:image/png;base64,AA)")
            == "<p><a href=\"\">click</a> <a href=\"https://example.org\" title=\"t\">ok</a> <img src=\"\" alt=\"i\" /> <img src=\"data:image/png;base64,AA\" alt=\"p\" /></p>\n")
    #expect(prose("A \"quote\" & <b>bold</b> 'x'") == "<p>A &quot;quote&quot; &amp; <!-- raw HTML omitted -->bold<!-- raw HTML omitted --> &#39;x&#39;</p>\n")
}

@Test func codeSpansAreEscaped() {
    #expect(prose("Use `a<b && c`.") == "<p>Use <code>a&lt;b &amp;&amp; c</code>.</p>\n")
}
