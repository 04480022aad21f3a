import Notebook
import ReportModel
import Testing

/// Every message the parser writes, verbatim, with the notebook that provokes it.
@Test(arguments: [
    ("```train\nepochs 10\nlr: 3\n```\n",
     "nb.md:3:3: error: malformed YAML: mapping values are not allowed in this context"),
    ("```train\nlayers: [1, 2\n```\n",
     "nb.md:3:1: error: malformed YAML: did not find expected ',' or ']' (while parsing a flow sequence on line 2)"),
    ("  ```train\n  name: \"open\n  ```\n",
     "nb.md:3:3: error: malformed YAML: found unexpected end of stream (while scanning a quoted scalar on line 2)"),
    ("```train\na: 1\n---\nb: 2\n```\n",
     "nb.md:3:1: error: expected a single YAML document, found another one here\n"
        + "  hint: '---' and '...' lines separate YAML documents; remove them"),
    ("```train\n- 1\n- 2\n```\n",
     "nb.md:2:1: error: a cell's body must be a YAML mapping of options, found a list\n"
        + "  hint: write one 'key: value' per line"),
    ("```plot\njust words\n```\n",
     "nb.md:2:1: error: a cell's body must be a YAML mapping of options, found 'just words'\n"
        + "  hint: write one 'key: value' per line"),
    ("```train\n[a, b]: 1\n```\n",
     "nb.md:2:1: error: a key must be text, found a list"),
    ("```train\nlr: 1\nepochs: 2\nlr: 3\n```\n",
     "nb.md:4:1: error: duplicate key 'lr' (first defined on line 2)"),
    ("```train\noptimizer:\n  name: adam\n  \"name\": sgd\n```\n",
     "nb.md:4:3: error: duplicate key 'name' (first defined on line 3)"),
    ("```train\n&first lr: 1\nlr: 2\n```\n",
     "nb.md:2:1: error: duplicate key 'lr'"),
    ("```train base.line\n```\n",
     "nb.md:1:10: error: invalid cell name 'base.line'\n"
        + "  hint: a name starts with a letter and has only letters, digits, '_' and '-'"),
    ("```train 2nd\n```\n",
     "nb.md:1:10: error: invalid cell name '2nd'\n"
        + "  hint: a name starts with a letter and has only letters, digits, '_' and '-'"),
    ("```train a\n```\n\n```plot a\n```\n",
     "nb.md:4:9: error: duplicate cell name 'a' (first used on line 1)"),
    ("```train train-2\n```\n\n```train\n```\n",
     "nb.md:4:4: error: duplicate cell name 'train-2' (first used on line 1)"),
    ("```train a fast one\n```\n",
     "nb.md:1:12: error: unexpected text 'fast one' after the cell name\n"
        + "  hint: a cell's info string is '<directive> [name]'"),
    ("---\ntitle: T\n",
     "nb.md:1:1: error: front matter is never closed\n"
        + "  hint: end it with a line that is just '---' (or '...')"),
    ("---\n- a\n- b\n---\n",
     "nb.md:2:1: error: front matter must be a YAML mapping, found a list\n"
        + "  hint: write one 'key: value' per line"),
    ("---\ntitle: [a\n---\n",
     "nb.md:3:1: error: malformed YAML: did not find expected ',' or ']' (while parsing a flow sequence on line 2)"),
    ("---\ntitle: [a, b]\n---\n",
     "nb.md:2:8: error: front matter field 'title' must be text, found a list"),
    ("---\nseed: -3\n---\n",
     "nb.md:2:7: error: seed must be a non-negative integer, found '-3'"),
    ("---\nseed: 1.5\n---\n",
     "nb.md:2:7: error: seed must be a non-negative integer, found '1.5'"),
    ("---\nseed:\n---\n",
     "nb.md:2:6: error: seed must be a non-negative integer, found nothing"),
    ("Loss was {{ baseline }}.\n",
     "nb.md:1:10: error: malformed inline reference '{{ baseline }}'\n"
        + "  hint: write {{ cell.field }}, e.g. {{ baseline.final_loss }}"),
    ("Loss was {{}}.\n",
     "nb.md:1:10: error: malformed inline reference '{{}}'\n"
        + "  hint: write {{ cell.field }}, e.g. {{ baseline.final_loss }}"),
    ("Loss was {{ base.line. }}.\n",
     "nb.md:1:10: error: malformed inline reference '{{ base.line. }}'\n"
        + "  hint: write {{ cell.field }}, e.g. {{ baseline.final_loss }}"),
    ("# Loss was {{ baseline.loss\n",
     "nb.md:1:12: error: inline reference is missing its closing '}}'\n"
        + "  hint: write {{ cell.field }}, e.g. {{ baseline.final_loss }}"),
    ("- item\n\n  ```train\n  lr: 1\n  ```\n",
     "nb.md:3:3: warning: cells must be top-level blocks; this 'train' block is shown as code\n"
        + "  hint: move the fenced block out of the list or quote, unindented"),
    ("```trian\nlr: 1\n```\n",
     "nb.md:1:1: warning: 'trian' is not a cell directive, so this block is shown as code (did you mean 'train'?)"),
])
func diagnosticText(_ source: String, _ expected: String) {
    let (_, diagnostics) = parse(source)
    #expect(diagnostics.map(\.description) == [expected])
}

@Test func allMistakesAreReportedInFileOrder() {
    let (notebook, diagnostics) = parse("""
        ---
        seed: lots
        ---
        We compare {{ baseline }} with {{ wide.final_loss }}.

        ```train baseline
        epochs: 10
        lr: 0.1
        epochs: 20
        ```

        ```train wide extra
        epochs: [10
        ```

        ```plot baseline
        of: wide
        ```
        """)
    #expect(diagnostics.map { "\($0.location.line):\($0.location.column) \($0.message)" } == [
        "2:7 seed must be a non-negative integer, found 'lots'",
        "4:12 malformed inline reference '{{ baseline }}'",
        "9:1 duplicate key 'epochs' (first defined on line 7)",
        "12:15 unexpected text 'extra' after the cell name",
        "14:1 malformed YAML: did not find expected ',' or ']' (while parsing a flow sequence on line 13)",
        "16:9 duplicate cell name 'baseline' (first used on line 6)",
    ])
    #expect(diagnostics.allSatisfy { $0.severity == .error && $0.file == "nb.md" })
    #expect(notebook.cells.count == 3)
    #expect(notebook.references.map(\.text) == ["{{ wide.final_loss }}"])
}

@Test func descriptionWithAndWithoutHint() {
    let plain = Diagnostic(file: "notebooks/p1.md", location: at(12, 3), severity: .error,
                           message: "unknown option 'epoch' (did you mean 'epochs'?)")
    #expect(plain.description == "notebooks/p1.md:12:3: error: unknown option 'epoch' (did you mean 'epochs'?)")
    var hinted = plain
    hinted.severity = .warning
    hinted.hint = "options are listed in docs/train.md"
    #expect(hinted.description == "notebooks/p1.md:12:3: warning: unknown option 'epoch' (did you mean 'epochs'?)\n"
        + "  hint: options are listed in docs/train.md")
}

@Test(arguments: [
    ("epoch", ["batch", "epochs", "lr"], "epochs"),
    ("lattent", ["latent", "layers"], "latent"),
    ("xyz", ["epochs", "latent"], nil),
    ("EPOCHS", ["epochs"], "epochs"),
    ("laerning_rate", ["learning_rate"], "learning_rate"),  // a transposition costs 1
    ("lr", ["l", "r"], "l"),  // ties go to the first candidate
    ("lattnt", ["layers"], nil),
    ("anything", [], nil),
] as [(String, [String], String?)])
func suggestions(_ name: String, _ candidates: [String], _ expected: String?) {
    #expect(suggestion(for: name, among: candidates) == expected)
}

/// Placing each repeated key costs a parse of its whole body (3,200 repeats in one body took 16.6 s
/// once; a 2.9 KB body of 129 repeats still took 8 s under the fuzzer's AddressSanitizer). So a
/// body gets at most 10 repeats placed, as a compiler's error limit; its next repeat alone is
/// reported and the body dropped. The bodies after it still get their repeats placed.
@Test func repeatedKeysAreReportedUpToTheLimit() {
    let repeats = 4000
    let source = "```train\n" + String(repeating: "a: 1\n", count: repeats) + "```\n\n```plot\nx: 1\nx: 2\n```\n"
    let (_, diagnostics) = parse(source)
    #expect(diagnostics.count == 2)
    let big = diagnostics.first!
    #expect(big.message == "duplicate key 'a'")
    #expect(big.location.line == 12, "\(big.location)")  // the 11th `a`: ten were placed, then the body dropped
    #expect(diagnostics.last!.description == "nb.md:\(repeats + 6):1: error: duplicate key 'x' (first defined on line \(repeats + 5))")
}
