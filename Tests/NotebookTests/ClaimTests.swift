import Notebook
import Testing

private func parsed(_ prose: String) -> (Notebook, [String]) {
    let (notebook, diagnostics) = Notebook.parse(prose, file: "c.md", directives: ["train"])
    return (notebook, diagnostics.map(\.description))
}

@Test func claimsParseIntoTermsWithTheirPlaces() throws {
    let (nb, problems) = parsed("""
        The deep model wins {{check deep.final_loss < baseline.final_loss}} here.
        Both hold {{check quick: a.auc >= 0.9 and b.x == -1.5e-2 within 5%}} and {{check a.n <= 3 within 0.5}}.
        A plain reference {{a.auc}} is not a claim.
        """)
    #expect(problems.isEmpty, "\(problems)")
    #expect(nb.references.map(\.text) == ["{{a.auc}}"])
    #expect(nb.claims.count == 3)
    let first = nb.claims[0]
    #expect(first.text == "{{check deep.final_loss < baseline.final_loss}}")
    #expect(first.location == SourceLocation(line: 1, column: 21) && first.onlyProfile == nil)
    #expect(first.terms == [.init(left: .field(cell: "deep", field: "final_loss", offset: 8), comparison: .less,
                                  right: .field(cell: "baseline", field: "final_loss", offset: 26), tolerance: nil)])
    let second = nb.claims[1]
    #expect(second.onlyProfile == "quick")
    #expect(second.terms.map(\.comparison) == [.greaterOrEqual, .equal])
    #expect(second.terms[1].right == .number(-0.015) && second.terms[1].tolerance == .init(amount: 5, relative: true))
    #expect(nb.claims[2].terms[0].tolerance == .init(amount: 0.5, relative: false))
    // Each field a claim compares is placed where it is written, for "no such cell/field" errors.
    #expect(nb.allReferences.map { "\($0.location.line):\($0.location.column) \($0.cell).\($0.field)" } == [
        "3:19 a.auc", "1:29 deep.final_loss", "1:47 baseline.final_loss", "2:26 a.auc", "2:43 b.x", "2:82 a.n",
    ])
}

@Test func malformedClaimsSayWhatIsWrongWhere() {
    let hint = "\n  hint: write {{check cell.field < other.field}}: numbers or fields compared with <, <=, >, >=, ==, joined by 'and', optionally 'within 0.5' or 'within 5%'"
    let cases: [(String, String)] = [
        ("x {{check}}", "c.md:1:10: error: malformed claim '{{check}}': expected a cell.field or a number first"),
        ("x {{check a.b}}", "c.md:1:14: error: malformed claim '{{check a.b}}': expected a comparison (<, <=, >, >=, ==) at the end"),
        ("x {{check a.b <}}", "c.md:1:16: error: malformed claim '{{check a.b <}}': expected a cell.field or a number after '<'"),
        ("x {{check a.b = 1}}", "c.md:1:15: error: malformed claim '{{check a.b = 1}}': expected a comparison (<, <=, >, >=, ==), found '='"),
        ("x {{check a.b != 1}}", "c.md:1:15: error: malformed claim '{{check a.b != 1}}': expected a comparison (<, <=, >, >=, ==), found '!'"),
        ("x {{check a.b < c}}", "c.md:1:17: error: malformed claim '{{check a.b < c}}': expected a cell.field or a number after '<', found 'c'"),
        ("x {{check a.b < 1 or c.d > 2}}", "c.md:1:19: error: malformed claim '{{check a.b < 1 or c.d > 2}}': expected 'and' or the end of the claim, found 'or'"),
        ("x {{check a.b < 1 within}}", "c.md:1:25: error: malformed claim '{{check a.b < 1 within}}': expected a non-negative number after 'within'"),
        ("x {{check a.b < 1 within -2}}", "c.md:1:26: error: malformed claim '{{check a.b < 1 within -2}}': expected a non-negative number after 'within'"),
        ("x {{check a.b < 1 and}}", "c.md:1:22: error: malformed claim '{{check a.b < 1 and}}': expected a cell.field or a number first"),
        ("x {{check a..b < 1}}", "c.md:1:11: error: malformed claim '{{check a..b < 1}}': expected a cell.field or a number first, found 'a..b'"),
        ("x {{check 1e < 2}}", "c.md:1:11: error: malformed claim '{{check 1e < 2}}': expected a cell.field or a number first, found '1e'"),
        ("x {{check a.b < 1 %}}", "c.md:1:19: error: malformed claim '{{check a.b < 1 %}}': expected 'and' or the end of the claim, found '%'"),
    ]
    for (source, message) in cases {
        let (nb, problems) = parsed(source)
        #expect(problems == [message + hint], "\(source)")
        #expect(nb.claims.isEmpty)
    }
}
