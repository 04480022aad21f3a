import Notebook

let directives: Set<String> = ["train", "dataset", "plot"]

func parse(_ source: String) -> (Notebook, [Diagnostic]) {
    Notebook.parse(source, file: "nb.md", directives: directives)
}

/// Notebook's location; Swift Testing has a `SourceLocation` of its own.
typealias Location = SourceLocation

func at(_ line: Int, _ column: Int) -> SourceLocation {
    SourceLocation(line: line, column: column)
}

func scalar(_ text: String, _ line: Int, _ column: Int, quoted: Bool = false) -> YAMLValue {
    .scalar(text, quoted: quoted, at: at(line, column))
}

func entry(_ key: String, _ line: Int, _ column: Int, _ value: YAMLValue) -> YAMLEntry {
    YAMLEntry(key: key, keyLocation: at(line, column), value: value)
}
