import Notebook
import Runtime
import Testing

/// A notebook made of a standard preamble and one cell under test, checked without running.
func problems(_ cells: String, profile: Profile = .quick) -> [String] {
    let source = """
        # Test

        ```dataset digits
        source: mnist
        split: test
        limit: 100
        ```

        ```train ae
        data: digits
        epochs: 1
        ```

        \(cells)
        """
    return Plan(source: source, file: "nb.md", profile: profile).diagnostics.map(\.description)
}

struct BadCell: Sendable, CustomTestStringConvertible {
    let label: String
    let cell: String
    let message: String
    var testDescription: String { label }
}

/// Every option error, verbatim, at its exact position (the test cell starts on line 14).
@Test("option errors", arguments: [
    BadCell(label: "unknown option", cell: "```train t\ndata: digits\nepoch: 3\n```",
            message: "nb.md:16:1: error: unknown option 'epoch' for 'train' (did you mean 'epochs'?)"),
    BadCell(label: "wrong type", cell: "```train t\ndata: digits\nepochs: three\n```",
            message: "nb.md:16:9: error: option 'epochs' expects an integer, got 'three'"),
    BadCell(label: "quoted number is a string", cell: "```train t\ndata: digits\nepochs: \"3\"\n```",
            message: "nb.md:16:9: error: option 'epochs' expects an integer, got '3'"),
    BadCell(label: "out of range", cell: "```train t\ndata: digits\nepochs: 0\n```",
            message: "nb.md:16:9: error: option 'epochs' must be between 1 and 1000, got 0"),
    BadCell(label: "absurd epochs", cell: "```train t\ndata: digits\nepochs: 1000000000\n```",
            message: "nb.md:16:9: error: option 'epochs' must be between 1 and 1000, got 1000000000"),
    BadCell(label: "absurd latent", cell: "```train t\ndata: digits\nlatent: 1000000\n```",
            message: "nb.md:16:9: error: option 'latent' must be between 1 and 256, got 1000000"),
    BadCell(label: "bad choice", cell: "```train t\ndata: digits\nloss: hinge\n```",
            message: "nb.md:16:7: error: option 'loss' must be one of bce, mse, got 'hinge'"),
    BadCell(label: "close choice", cell: "```train t\ndata: digits\narch: deeep\n```",
            message: "nb.md:16:7: error: option 'arch' must be one of baseline, deep, dense, residual, got 'deeep' (did you mean 'deep'?)"),
    BadCell(label: "unknown cell", cell: "```encode z\nmodel: aee\ndata: digits\n```",
            message: "nb.md:15:8: error: option 'model' names unknown cell 'aee' (did you mean 'ae'?)"),
    BadCell(label: "wrong kind", cell: "```encode z\nmodel: digits\ndata: digits\n```",
            message: "nb.md:15:8: error: option 'model' needs a model cell, but 'digits' gives dataset"),
    BadCell(label: "missing required", cell: "```encode z\nmodel: ae\n```",
            message: "nb.md:14:11: error: 'encode' needs option 'data'"),
    BadCell(label: "self reference", cell: "```plot p\nkind: loss\nsources: [p]\n```",
            message: "nb.md:16:11: error: cell 'p' cannot use itself"),
    BadCell(label: "bool", cell: "```dataset c\nsource: colorized-mnist\nbackground: yes\n```",
            message: "nb.md:16:13: error: option 'background' expects true or false, got 'yes'"),
    BadCell(label: "option for another source", cell: "```dataset c\nsource: mnist\nbias: 0.5\n```",
            message: "nb.md:16:7: error: option 'bias': only applies to source colorized-mnist"),
    BadCell(label: "arch and layers", cell: "```train t\ndata: digits\narch: deep\nencoder: [flatten]\ndecoder: [flatten]\n```",
            message: "nb.md:16:7: error: option 'arch': give either arch or encoder and decoder, not both"),
    BadCell(label: "unknown layer", cell: "```train t\ndata: digits\nencoder:\n  - conv2: {filters: 8}\ndecoder: [flatten]\n```",
            message: "nb.md:17:5: error: option 'encoder': unknown layer type 'conv2' (did you mean 'conv2d'?)"),
    BadCell(label: "unknown layer parameter", cell: "```train t\ndata: digits\nencoder:\n  - dense: {unit: 8}\ndecoder: [flatten]\n```",
            message: "nb.md:17:13: error: option 'encoder': dense has no parameter 'unit' (did you mean 'units'?)"),
    BadCell(label: "unknown profile", cell: "```train t\ndata: digits\nepochs: {quick: 3, ful: 30}\n```",
            message: "nb.md:16:20: error: option 'epochs' gives a value for unknown profile 'ful' (did you mean 'full'?)"),
    BadCell(label: "decode range order", cell: "```decode g\nmodel: ae\nrange: [2, -2]\n```",
            message: "nb.md:16:8: error: option 'range': low must be below high"),
    BadCell(label: "gaussian needs latents", cell: "```decode g\nmodel: ae\nfrom: gaussian\n```",
            message: "nb.md:16:7: error: option 'from': gaussian needs option 'latents'"),
    BadCell(label: "span from latents without latents", cell: "```decode g\nmodel: ae\nspan: latents\n```",
            message: "nb.md:16:7: error: option 'span': span: latents needs option 'latents'"),
    BadCell(label: "slices without span", cell: "```decode g\nmodel: ae\nslices: [0.5]\n```",
            message: "nb.md:16:9: error: option 'slices': slices needs from: grid and span: latents"),
    BadCell(label: "bins outside a histogram", cell: "```plot p\nkind: loss\nsources: [ae]\nbins: 10\n```",
            message: "nb.md:17:7: error: option 'bins': bins applies to kind: histogram only"),
    BadCell(label: "histogram range order", cell: "```plot p\nkind: histogram\nsources: [ae]\nrange: [3, 1]\n```",
            message: "nb.md:17:8: error: option 'range': low must be below high"),
    BadCell(label: "too many sizes", cell: "```mask m\nmodel: ae\ndata: digits\nsize: [1, 2, 3, 4, 5, 6, 7, 8, 9]\n```",
            message: "nb.md:17:7: error: option 'size' takes at most 8 values"),
    BadCell(label: "bad metric reference", cell: "```plot b\nkind: bar\nvalues: [ae]\n```",
            message: "nb.md:16:10: error: option 'values' expects a metric reference like 'cell.field', got 'ae'"),
    BadCell(label: "bar without values", cell: "```plot b\nkind: bar\n```",
            message: "nb.md:15:7: error: option 'kind': bar needs option 'values'"),
    BadCell(label: "unknown prose reference", cell: "The loss was {{aee.final_loss}}.",
            message: "nb.md:14:14: error: reference to unknown cell 'aee' (did you mean 'ae'?)"),
    BadCell(label: "lookalike directive", cell: "```trian t\ndata: digits\n```",
            message: "nb.md:14:1: warning: 'trian' is not a cell directive, so this block is shown as code (did you mean 'train'?)"),
])
func optionErrors(_ c: BadCell) {
    #expect(problems(c.cell) == [c.message])
}

@Test func laterCellsCannotBeUsed() {
    let source = "```encode z\nmodel: ae\ndata: d\n```\n\n```dataset d\n```\n\n```train ae\ndata: d\n```\n"
    #expect(Plan(source: source, file: "nb.md", profile: .quick).diagnostics.map(\.description) == [
        "nb.md:2:8: error: cell 'ae' is defined later (line 9); a cell can only use cells above it",
        "nb.md:3:7: error: cell 'd' is defined later (line 6); a cell can only use cells above it",
    ])
}

@Test func profilesPickTheirValue() throws {
    let cell = "```train t\ndata: digits\nepochs: {quick: 2, full: 30}\nbatch: {full: 128, quick: 32}\n```"
    let source = "```dataset digits\n```\n\n" + cell
    let quick = Plan(source: source, file: "nb.md", profile: .quick).step(named: "t")!
    let full = Plan(source: source, file: "nb.md", profile: .full).step(named: "t")!
    #expect(quick.options.int("epochs") == 2 && quick.options.int("batch") == 32)
    #expect(full.options.int("epochs") == 30 && full.options.int("batch") == 128)
    #expect(quick.key != full.key)
    // a profile left out means the option is not set there: the default applies
    let partial = Plan(source: "```dataset d\nlimit: {quick: 500}\n```\n", file: "nb.md", profile: .full)
    #expect(partial.diagnostics.isEmpty && partial.steps[0].options.int("limit") == nil)
}

@Test func fiveMistakesAreAllReportedWithPositions() {
    let source = """
        ```dataset d
        source: mnits
        ```

        ```train t
        data: d
        epochs: -1
        latnet: 2
        ```

        ```encode z
        model: t
        data: dd
        ```

        Loss: {{tt.final_loss}}
        """
    #expect(Plan(source: source, file: "p.md", profile: .quick).diagnostics.map(\.description) == [
        "p.md:2:9: error: option 'source' must be one of mnist, fashion-mnist, colorized-mnist, got 'mnits' (did you mean 'mnist'?)",
        "p.md:7:9: error: option 'epochs' must be between 1 and 1000, got -1",
        "p.md:8:1: error: unknown option 'latnet' for 'train' (did you mean 'latent'?)",
        "p.md:13:7: error: option 'data' names unknown cell 'dd' (did you mean 'd'?)",
        "p.md:16:7: error: reference to unknown cell 'tt' (did you mean 't'?)",
    ])
}

@Test func keysFollowWhatAffectsTheResult() {
    func keys(_ train: String, prose: String = "") -> [String: String] {
        let source = "```dataset d\nlimit: 100\n```\n\(prose)\n```train t\ndata: d\n\(train)\n```\n\n```encode z\nmodel: t\ndata: d\n```\n"
        let plan = Plan(source: source, file: "nb.md", profile: .quick)
        return Dictionary(uniqueKeysWithValues: plan.steps.map { ($0.cell.name, $0.key!) })
    }
    let base = keys("epochs: 2")
    // an execution option changes that cell and everything downstream, not upstream
    let edited = keys("epochs: 3")
    #expect(edited["d"] == base["d"] && edited["t"] != base["t"] && edited["z"] != base["z"])
    // presentation options and prose change nothing
    #expect(keys("epochs: 2\ncaption: Loss curve\ntitle: Baseline") == base)
    #expect(keys("epochs: 2", prose: "\nSome *new* prose.\n") == base)
    // writing a default explicitly is the same cell
    #expect(keys("epochs: 2\nbatch: 128") == base)
}

@Test func seedsDependOnNameNotPosition() {
    let a = Plan(source: "```dataset d\n```\n\n```train t\ndata: d\n```\n", file: "nb.md", profile: .quick)
    let b = Plan(source: "```dataset d\n```\n\n```dataset other\n```\n\n```train t\ndata: d\n```\n", file: "nb.md", profile: .quick)
    #expect(a.step(named: "t")!.seed == b.step(named: "t")!.seed)
    #expect(a.step(named: "t")!.key == b.step(named: "t")!.key)
    let c = Plan(source: "---\nseed: 5\n---\n```dataset d\n```\n\n```train t\ndata: d\n```\n", file: "nb.md", profile: .quick)
    #expect(c.step(named: "t")!.seed != a.step(named: "t")!.seed)
}

@Test func theFormatDocumentEmbedsTheGeneratedReference() throws {
    let doc = try String(contentsOfFile: #filePath.replacingOccurrences(of: "Tests/RuntimeTests/CheckTests.swift", with: "docs/notebook-format.md"), encoding: .utf8)
    let begin = "<!-- BEGIN GENERATED REFERENCE -->\n", end = "<!-- END GENERATED REFERENCE -->"
    let section = doc.components(separatedBy: begin).last?.components(separatedBy: end).first
    #expect(section == "\n" + DirectiveRegistry.standard.markdownReference + "\n",
            "regenerate with: latentbook directives, between the markers in docs/notebook-format.md")
}

@Test func theReferenceExamplesFormANotebookThatChecksClean() {
    let plan = Plan(source: DirectiveRegistry.standard.examplesNotebook, file: "examples.md", profile: .quick)
    #expect(plan.diagnostics.isEmpty, "\(plan.diagnostics.map(\.description))")
    #expect(Set(plan.steps.map(\.cell.directive)) == Set(DirectiveRegistry.standard.names))
    #expect(Plan(source: DirectiveRegistry.standard.examplesNotebook, file: "examples.md", profile: .full).diagnostics.isEmpty)
}

@Test func citationsOfUnknownFiguresAreErrors() {
    #expect(problems("As @fig-ea and @fig-ae show.\n") == [
        "nb.md:14:4: error: citation of unknown figure '@fig-ea' (did you mean '@fig-ae'?)\n  hint: '@fig-name' cites the figure of the cell named 'name'",
    ])
}
