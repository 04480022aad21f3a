/// The YAML block between `---` lines at the very top of a notebook.
public struct FrontMatter: Sendable, Hashable {
    public var title: String?
    public var author: String?
    public var date: String?
    public var seed: UInt64?
    /// The data directory the notebook's datasets are read from.
    public var data: String?
    /// Every entry as parsed, including the fields above, for later use (e.g. profile values).
    public var values: [YAMLEntry]
    /// Of the opening `---`; nil when the notebook has no front matter.
    public var location: SourceLocation?

    public init(title: String? = nil, author: String? = nil, date: String? = nil, seed: UInt64? = nil,
                data: String? = nil, values: [YAMLEntry] = [], location: SourceLocation? = nil) {
        self.title = title
        self.author = author
        self.date = date
        self.seed = seed
        self.data = data
        self.values = values
        self.location = location
    }
}

extension FrontMatter {
    /// Reads front matter from the top of `source`: only if line 1 is `---`, up to the next line
    /// that is `---` or `...`. Returns it and the first line of the Markdown after it.
    static func split(_ source: SourceText, log: inout DiagnosticLog) -> (FrontMatter, markdownLine: Int) {
        func isLine(_ number: Int, oneOf markers: [String]) -> Bool {
            let text = source.line(number).reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
            return markers.contains { Array($0.utf8) == Array(text) }
        }
        let start = SourceLocation(line: 1, column: 1)
        guard isLine(1, oneOf: ["---"]) else { return (FrontMatter(), 1) }
        guard let end = (2...max(2, source.lineCount)).first(where: { isLine($0, oneOf: ["---", "..."]) }) else {
            log.report(.unterminatedFrontMatter, at: start)
            return (FrontMatter(), 1)
        }
        let yaml = String(decoding: source.bytes[source.offset(ofLine: 2)..<source.offset(ofLine: end)], as: UTF8.self)
        var frontMatter = FrontMatter(location: start)
        switch parseYAML(yaml, at: YAMLPlacement(firstLine: 2), log: &log) {
        case .mapping(let entries, _):
            frontMatter.values = entries
        case let value?:
            log.report(.frontMatterNotMapping(found: value.summary), at: value.location)
        case nil:
            break
        }
        let textFields: [String: WritableKeyPath<FrontMatter, String?>] =
            ["title": \.title, "author": \.author, "date": \.date, "data": \.data]
        for entry in frontMatter.values {
            if entry.key == "seed" {
                // Quoted digits are accepted too: a seed has only one sensible reading.
                if case .scalar(let text, _, _) = entry.value, let seed = UInt64(text) {
                    frontMatter.seed = seed
                } else {
                    log.report(.invalidSeed(found: entry.value.summary), at: entry.value.location)
                }
            } else if let field = textFields[entry.key] {
                switch entry.value {
                case .scalar(let text, _, _) where entry.key == "data" && climbsOut(text):
                    log.report(.dataOutsideNotebook(text), at: entry.value.location)
                case .scalar(let text, _, _): frontMatter[keyPath: field] = text
                case .null: break
                case .sequence, .mapping:
                    log.report(.frontMatterFieldNotText(key: entry.key, found: entry.value.summary), at: entry.value.location)
                }
            }
        }
        return (frontMatter, end + 1)
    }
}

/// Whether a relative path leaves the folder it is relative to (`..`, `a/../..`), read as text:
/// a notebook from elsewhere may not point its data at the reader's other files. Absolute paths
/// are taken as meant.
func climbsOut(_ path: String) -> Bool {
    guard !path.hasPrefix("/") else { return false }
    var depth = 0
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
        if part == ".." { depth -= 1 } else if part != "." { depth += 1 }
        if depth < 0 { return true }
    }
    return false
}
