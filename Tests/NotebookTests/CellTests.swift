import Notebook
import Testing

@Test func directiveFencesAreCellsAndOtherBlocksProse() {
    let (notebook, diagnostics) = parse("""
        # Experiment

        ```swift
        let x = 1
        ```

        ```train baseline
        epochs: 10
        ```

            train indented code is never a cell

        ```plot
        ```
        """)
    #expect(diagnostics.isEmpty)
    #expect(notebook.blocks.count == 5)
    guard case .prose(let heading) = notebook.blocks[0], case .prose(let swift) = notebook.blocks[1],
          case .cell = notebook.blocks[2], case .prose(let indented) = notebook.blocks[3], case .cell = notebook.blocks[4] else {
        Issue.record("unexpected blocks \(notebook.blocks)")
        return
    }
    #expect(heading.kind == .heading(level: 1))
    #expect(swift.kind == .codeBlock(info: "swift", literal: "let x = 1\n"))
    #expect(indented.kind == .codeBlock(info: "", literal: "train indented code is never a cell\n"))
    #expect(notebook.cells.map(\.directive) == ["train", "plot"])
    #expect(notebook.cells.map(\.index) == [0, 1])
}

@Test func cellsAreNamedExplicitlyOrByDirectiveCount() {
    let (notebook, diagnostics) = parse("""
        ```train
        ```
        ```plot
        ```
        ```train baseline
        ```
        ~~~train
        ~~~
        """)
    #expect(diagnostics.isEmpty)
    #expect(notebook.cells.map(\.name) == ["train-1", "plot-1", "baseline", "train-3"])
    #expect(notebook.cells.map(\.nameIsExplicit) == [false, false, true, false])
}

@Test func cellPositionsAreFilePositions() {
    let (notebook, _) = parse("""
        Intro.

          ````train   deep-net
          epochs: 10
          layers:
            - 32
          ````
        """)
    let cell = notebook.cells[0]
    #expect(cell.location == at(3, 3))
    #expect(cell.nameLocation == at(3, 15))
    #expect(cell.bodyLocation == at(4, 3))
    #expect(cell.body == "epochs: 10\nlayers:\n  - 32\n")
    #expect(cell.options == [
        entry("epochs", 4, 3, scalar("10", 4, 11)),
        entry("layers", 5, 3, .sequence([scalar("32", 6, 7)], at: at(6, 5))),
    ])
}

@Test func implicitNameIsLocatedAtTheDirective() {
    let (notebook, _) = parse("\n\n```  plot\nx: 1\n```\n")
    #expect(notebook.cells[0].nameLocation == at(3, 6))
}

@Test func emptyAndBlankBodiesHaveNoOptions() {
    let (notebook, diagnostics) = parse("```train\n```\n\n```plot\n   \n\n```\n\n```dataset\n# only a comment\n```\n")
    #expect(diagnostics.isEmpty)
    #expect(notebook.cells.map(\.options) == [[], [], []])
    #expect(notebook.cells.map(\.body) == ["", "   \n\n", "# only a comment\n"])
}

@Test func positionsSurviveCRLFLoneCRAndABOM() {
    let lf = "---\ntitle: T\n---\n\nSee {{ a.b }}.\n\n```train a\nlr: 0.1\n```\n"
    let expected = parse(lf)
    for variant in [lf.replacing("\n", with: "\r\n"), lf.replacing("\n", with: "\r"),
                    "\u{FEFF}" + lf, "\u{FEFF}" + lf.replacing("\n", with: "\r\n")] {
        let (notebook, diagnostics) = parse(variant)
        #expect(diagnostics.isEmpty)
        #expect(notebook.cells == expected.0.cells)
        #expect(notebook.references == expected.0.references)
        #expect(notebook.frontMatter == expected.0.frontMatter)
    }
    let cell = expected.0.cells[0]
    #expect(cell.location == at(7, 1))
    #expect(cell.options == [entry("lr", 8, 1, scalar("0.1", 8, 5))])
    #expect(expected.0.references.map(\.location) == [at(5, 5)])
}

@Test func tabsAndNonASCIICountOneColumnEach() {
    let (notebook, diagnostics) = parse("Ünïcödé\t{{ a.b }}\n\n```train\t\tnäme\nkey: \"é\"\n```\n")
    #expect(diagnostics.map(\.description) == ["nb.md:3:11: error: invalid cell name 'näme'\n"
        + "  hint: a name starts with a letter and has only letters, digits, '_' and '-'"])
    #expect(notebook.references.map(\.location) == [at(1, 9)])
    #expect(notebook.cells[0].nameLocation == at(3, 11))
    #expect(notebook.cells[0].options == [entry("key", 4, 1, scalar("é", 4, 6, quoted: true))])
}

@Test func yamlValuesKeepStructureQuotingAndPositions() {
    let (notebook, diagnostics) = parse("""
        ```train
        plain: 3
        quoted: "3"
        single: 'yes'
        block: |
          two
          lines
        nothing:
        tilde: ~
        null-word: null
        quoted-null: "null"
        flow: [1, "two", {a: b}]
        nested:
          inner:
            - x
            - y: 1
        ```
        """)
    #expect(diagnostics.isEmpty)
    #expect(notebook.cells[0].options == [
        entry("plain", 2, 1, scalar("3", 2, 8)),
        entry("quoted", 3, 1, scalar("3", 3, 9, quoted: true)),
        entry("single", 4, 1, scalar("yes", 4, 9, quoted: true)),
        entry("block", 5, 1, scalar("two\nlines\n", 5, 8, quoted: true)),
        entry("nothing", 8, 1, .null(at: at(8, 9))),
        entry("tilde", 9, 1, .null(at: at(9, 8))),
        entry("null-word", 10, 1, .null(at: at(10, 12))),
        entry("quoted-null", 11, 1, scalar("null", 11, 14, quoted: true)),
        entry("flow", 12, 1, .sequence([
            scalar("1", 12, 8), scalar("two", 12, 11, quoted: true),
            .mapping([entry("a", 12, 19, scalar("b", 12, 22))], at: at(12, 18)),
        ], at: at(12, 7))),
        entry("nested", 13, 1, .mapping([
            entry("inner", 14, 3, .sequence([
                scalar("x", 15, 7),
                .mapping([entry("y", 16, 7, scalar("1", 16, 10))], at: at(16, 7)),
            ], at: at(15, 5))),
        ], at: at(14, 3))),
    ])
    #expect(notebook.cells[0].options[0].value.location == at(2, 8))
}

@Test func duplicateKeysKeepTheFirstValue() {
    let (notebook, diagnostics) = parse("```train\nlr: 1\nepochs: 2\nlr: 3\nlr: 4\n```\n")
    #expect(diagnostics.map(\.location) == [at(4, 1), at(5, 1)])
    #expect(notebook.cells[0].options == [entry("lr", 2, 1, scalar("1", 2, 5)), entry("epochs", 3, 1, scalar("2", 3, 9))])
}

@Test func aBrokenCellKeepsItsPlaceAndTheRestStillParses() {
    let (notebook, diagnostics) = parse("```train a\nlr: [1\n```\n\n```train b\nlr: 2\n```\n")
    #expect(diagnostics.count == 1)
    #expect(notebook.cells.map(\.name) == ["a", "b"])
    #expect(notebook.cells[0].options.isEmpty)
    #expect(notebook.cells[1].options == [entry("lr", 6, 1, scalar("2", 6, 5))])
}

/// Columns on long lines full of inline nodes and multi-byte text: SourceText finds them through
/// checkpoints every 64 bytes (counting from each line's start made such lines quadratic), so
/// every reference and citation here is checked against a count of scalars from the line's start.
@Test func columnsOnLongLinesWithMultiByteTextAreExact() {
    let pieces = ["é", "日本", "😀", "a", " ", "*em*", "`c`", "x ", "ß ", "[l](http://x) "]
    var lines: [String] = []
    var expected: [(kind: String, location: Location)] = []
    for line in 1...6 {
        var text = ""
        for i in 0..<(200 + 37 * line) {
            // An irregular mix (7 and 11 are prime to the counts), so checkpoints fall everywhere.
            text += pieces[(i * 7 + line) % pieces.count]
            switch (i * 11 + line) % 6 {
            case 0:
                text += " "
                expected.append(("ref", at(line * 2 - 1, text.unicodeScalars.count + 1)))
                text += "{{a.b}} "
            case 1:
                text += " "
                expected.append(("fig", at(line * 2 - 1, text.unicodeScalars.count + 1)))
                text += "@fig-a "
            default: break
            }
        }
        lines.append(text)
    }
    let (notebook, _) = parse(lines.joined(separator: "\n\n") + "\n")
    #expect(notebook.references.map(\.location) == expected.filter { $0.kind == "ref" }.map(\.location))
    #expect(notebook.citations.map(\.location) == expected.filter { $0.kind == "fig" }.map(\.location))
}
