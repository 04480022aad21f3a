import Engine
import Notebook
import Testing

/// What may not even be parsed: each case's one diagnostic, verbatim.
let notNotebooks: [(bytes: [UInt8], message: String)] = [
    ([UInt8](), "nb.md:1:1: error: the notebook is empty"),
    (Array(" \n\t\r\n".utf8), "nb.md:1:1: error: the notebook is empty"),
    ([0xEF, 0xBB, 0xBF, 0x0A], "nb.md:1:1: error: the notebook is empty"),
    (Array("# Title\n\nCaf".utf8) + [0xE9, 0x0A], "nb.md:3:4: error: the notebook is not UTF-8 text: byte 0xE9 here is not valid UTF-8"),
    (Array("é ".utf8) + [0xC3], "nb.md:1:3: error: the notebook is not UTF-8 text: byte 0xC3 here is not valid UTF-8"),
    ([0xED, 0xA0, 0x80], "nb.md:1:1: error: the notebook is not UTF-8 text: byte 0xED here is not valid UTF-8"),
    (Array("ab\ncd".utf8) + [0x00], "nb.md:2:3: error: the notebook contains a NUL byte: this is a binary file, not Markdown"),
    ([UInt8](repeating: 0x61, count: NotebookFile.maximumBytes + 1),
     "nb.md:1:1: error: the notebook is 4,194,305 bytes, over the limit of 4,194,304 (4 MiB)"),
]

@Test(arguments: notNotebooks)
func filesThatAreNotNotebooks(bytes: [UInt8], message: String) {
    guard case .failure(let diagnostic) = NotebookFile.decode(bytes, file: "nb.md") else {
        Issue.record("accepted"); return
    }
    #expect(diagnostic.description.split(separator: "\n").first.map(String.init) == message)
    #expect(diagnostic.hint != nil)
}

@Test func textIsDecodedAsIs() throws {
    let text = "\u{FEFF}# Été\r\n\n```dataset d\n```\n"
    #expect(try NotebookFile.decode(Array(text.utf8), file: "nb.md").get() == text)
    let largest = try NotebookFile.decode([UInt8](repeating: 0x61, count: NotebookFile.maximumBytes), file: "nb.md").get()
    #expect(largest.utf8.count == NotebookFile.maximumBytes)
}

@Test func moreCellsThanTheLimitIsOneError() {
    let cells = (0...NotebookFile.maximumCells).map { "```dataset d\($0)\n```\n\n" }.joined()
    let (notebook, diagnostics) = Notebook.parse(cells, file: "nb.md", directives: ["dataset"])
    #expect(notebook.cells.count == NotebookFile.maximumCells + 1)
    #expect(diagnostics.map(\.description) == [
        "nb.md:3001:1: error: the notebook has 1,001 cells, over the limit of 1,000; none was checked\n"
            + "  hint: split it into several notebooks; identical cells share their cached results",
    ])
}

/// A notebook's own `data:` may not climb out of its folder; absolute paths are taken as meant.
@Test(arguments: [
    ("data", true), ("./data", true), ("sub/../data", true), ("a/b/../../c", true), ("/srv/mnist", true),
    ("..", false), ("../data", false), ("a/../../data", false), ("./../x", false), ("a/./../..", false),
])
func frontMatterDataStaysInsideTheNotebookFolder(path: String, allowed: Bool) {
    let (notebook, diagnostics) = parse("---\ndata: \(path)\n---\n\n# x\n")
    if allowed {
        #expect(diagnostics.isEmpty && notebook.frontMatter.data == path)
    } else {
        #expect(notebook.frontMatter.data == nil)
        #expect(diagnostics.map(\.description) == [
            "nb.md:2:7: error: data directory '\(path)' is outside the notebook's folder\n"
                + "  hint: a relative path must stay inside the notebook's folder; to read elsewhere on purpose, "
                + "give an absolute path, --data or LATENTBOOK_DATA",
        ])
    }
}

/// Against the standard library's own UTF-8 validation, on 20,000 seeded random byte strings
/// (mostly ASCII, with lead, continuation and invalid bytes mixed in): decode accepts exactly the
/// valid, NUL-free, non-blank ones, and when it refuses invalid UTF-8 the reported byte is where
/// the longest valid prefix ends.
@Test func decodeAgreesWithTheStandardLibrary() {
    var rng = SeededGenerator(seed: 7)
    let pool: [UInt8] = Array(0x20...0x7E) + [0x0A, 0x00, 0x80, 0xBF, 0xC2, 0xC3, 0xE2, 0xED, 0xF0, 0xF4, 0xF5, 0xFF]
    for _ in 0..<20_000 {
        let bytes = (0..<Int(rng.next() % 12)).map { _ in pool[Int(rng.next() % UInt64(pool.count))] }
        let valid = String(validating: bytes, as: UTF8.self) != nil
        let blank = bytes.allSatisfy { [0x20, 0x0A].contains($0) }
        switch NotebookFile.decode(bytes, file: "nb.md") {
        case .success(let text):
            #expect(valid && !bytes.contains(0) && !blank && Array(text.utf8) == bytes, "\(bytes)")
        case .failure(let d) where d.message.hasPrefix("the notebook is not UTF-8"):
            #expect(!valid && !bytes.contains(0), "\(bytes)")
            let prefix = (0...bytes.count).last { String(validating: bytes[..<$0], as: UTF8.self) != nil }!
            let column = String(decoding: bytes[..<prefix], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).last!.unicodeScalars.count + 1
            #expect(d.location.column == column, "\(bytes)")
        case .failure(let d):
            #expect(bytes.contains(0) ? d.message.contains("NUL") : blank && d.message == "the notebook is empty", "\(bytes)")
        }
    }
}
