import Notebook
import Testing

@Test func frontMatterFieldsAndValues() {
    let (notebook, diagnostics) = parse("""
        ---
        title: Latent spaces
        author: "Ada"
        date: 2024-05-01
        seed: 42
        data: /srv/shared/data
        profile: {epochs: 2}
        ---
        # Body

        ```train
        lr: 1
        ```
        """)
    #expect(diagnostics.isEmpty)
    let frontMatter = notebook.frontMatter
    #expect(frontMatter.title == "Latent spaces")
    #expect(frontMatter.author == "Ada")
    #expect(frontMatter.date == "2024-05-01")
    #expect(frontMatter.seed == 42)
    #expect(frontMatter.data == "/srv/shared/data")
    #expect(frontMatter.location == at(1, 1))
    #expect(frontMatter.values.map(\.key) == ["title", "author", "date", "seed", "data", "profile"])
    #expect(frontMatter.values[5] == entry("profile", 7, 1, .mapping([entry("epochs", 7, 11, scalar("2", 7, 19))], at: at(7, 10))))
    #expect(notebook.cells[0].location == at(11, 1))
    #expect(notebook.cells[0].options == [entry("lr", 12, 1, scalar("1", 12, 5))])
    guard case .prose(let heading) = notebook.blocks[0] else { Issue.record("no heading"); return }
    #expect(heading.location == at(9, 1))
}

@Test func frontMatterMayEndWithDotsAndHaveTrailingSpaces() {
    let (notebook, diagnostics) = parse("---  \ntitle: T\n...\t\nText\n")
    #expect(diagnostics.isEmpty)
    #expect(notebook.frontMatter.title == "T")
    #expect(notebook.blocks == [.prose(MarkdownNode(
        kind: .paragraph, children: [MarkdownNode(kind: .text("Text"), location: at(4, 1))], location: at(4, 1)))])
}

@Test func emptyFrontMatter() {
    let (notebook, diagnostics) = parse("---\n---\n")
    #expect(diagnostics.isEmpty)
    #expect(notebook.frontMatter == FrontMatter(location: at(1, 1)))
    #expect(notebook.blocks.isEmpty)
}

@Test(arguments: ["\n---\ntitle: T\n---\n", "--- x\ntitle: T\n---\n", "Text\n---\n"])
func frontMatterOnlyOnTheFirstLine(_ source: String) {
    let (notebook, _) = parse(source)
    #expect(notebook.frontMatter == FrontMatter())
}

@Test func quotedSeedDigitsAreAccepted() {
    #expect(parse("---\nseed: '7'\n---\n").0.frontMatter.seed == 7)
}
