import ReportModel

/// A fenced code block whose info string starts with a directive name; its body is a YAML
/// mapping of options.
public struct Cell: Sendable, Hashable {
    /// 0-based among the notebook's cells, in document order.
    public var index: Int
    public var directive: String
    /// Explicit, or `<directive>-<n>` where n counts this directive's cells so far (named ones too).
    public var name: String
    public var nameIsExplicit: Bool
    /// Of the opening fence.
    public var location: SourceLocation
    /// Of the name in the info string; of the directive when the name is implicit.
    public var nameLocation: SourceLocation
    /// The YAML text as written (cmark strips an indented fence's indentation from each line).
    public var body: String
    /// The body's top-level mapping; empty for an empty body or one that is not a valid mapping.
    public var options: [YAMLEntry]
    /// Line of the first body line, column of the fence.
    public var bodyLocation: SourceLocation

    public init(index: Int, directive: String, name: String, nameIsExplicit: Bool, location: SourceLocation,
                nameLocation: SourceLocation, body: String, options: [YAMLEntry], bodyLocation: SourceLocation) {
        self.index = index
        self.directive = directive
        self.name = name
        self.nameIsExplicit = nameIsExplicit
        self.location = location
        self.nameLocation = nameLocation
        self.body = body
        self.options = options
        self.bodyLocation = bodyLocation
    }
}

/// A top-level block of a notebook, in document order. Fenced blocks that are not cells
/// (plain code, or directive blocks nested in lists and quotes) are prose.
public enum NotebookBlock: Sendable, Hashable {
    case prose(MarkdownNode)
    case cell(Cell)
}

/// `{{ cell.field }}` in prose text: a value the runtime fills in from a cell's results.
public struct InlineReference: Sendable, Hashable {
    public var cell: String
    /// May contain dots, e.g. `metrics.auc`.
    public var field: String
    /// Of the first `{`.
    public var location: SourceLocation
    /// As written, braces included.
    public var text: String

    public init(cell: String, field: String, location: SourceLocation, text: String) {
        self.cell = cell
        self.field = field
        self.location = location
        self.text = text
    }
}

/// `@fig-name` in prose text: a citation of the figure of cell `name` (or of a cell named
/// `fig-name`), rendered as "Figure 3" with a link.
public struct FigureCitation: Sendable, Hashable {
    /// The name after `@fig-`.
    public var name: String
    /// Of the `@`.
    public var location: SourceLocation

    public init(name: String, location: SourceLocation) {
        self.name = name
        self.location = location
    }

    /// The cell it cites among `cells`: `name`, else `fig-name`.
    public func target(among cells: Set<String>) -> String? {
        cells.contains(name) ? name : cells.contains("fig-" + name) ? "fig-" + name : nil
    }

    static let marker = Array("@fig-".utf8)

    /// The citations in a run of UTF-8 text: where each `@` is, how many bytes the citation takes
    /// (marker and name) and the name. The one definition of the syntax: name bytes as in cell
    /// names, less a trailing `-` or `_` (punctuation, as in "see @fig-loss-"); a marker without
    /// a name is no citation.
    public static func matches(in text: [UInt8]) -> [(offset: Int, length: Int, name: String)] {
        offsets(of: marker, in: text[...]).compactMap { offset in
            let name = text[(offset + marker.count)...].prefix(while: isNameByte)
            let trimmed = name.reversed().drop { $0 == 0x2D || $0 == 0x5F }.reversed()
            guard !trimmed.isEmpty else { return nil }
            return (offset, marker.count + trimmed.count, String(decoding: trimmed, as: UTF8.self))
        }
    }
}

/// A parsed notebook: front matter, then prose and cells. Parsing executes nothing and knows no
/// directive's meaning beyond its name.
///
/// Only top-level fenced blocks are cells. A fenced block whose first word is a directive but
/// that sits inside a list or block quote stays prose (shown as code) with a warning, and so
/// does a fenced block whose first word looks like a misspelt directive.
public struct Notebook: Sendable {
    /// The path as given; diagnostics print it.
    public var file: String
    public var frontMatter: FrontMatter
    public var blocks: [NotebookBlock]
    /// `{{ cell.field }}` references in prose, in document order.
    public private(set) var references: [InlineReference]
    /// `@fig-name` citations in prose, in document order.
    public private(set) var citations: [FigureCitation]
    /// `{{check …}}` claims in prose, in document order.
    public private(set) var claims: [Claim]

    public init(file: String, frontMatter: FrontMatter, blocks: [NotebookBlock], references: [InlineReference],
                citations: [FigureCitation] = [], claims: [Claim] = []) {
        self.file = file
        self.frontMatter = frontMatter
        self.blocks = blocks
        self.references = references
        self.citations = citations
        self.claims = claims
    }

    /// The references and the fields claims compare, each where it is written: every
    /// `cell.field` the prose needs from results.
    public var allReferences: [InlineReference] {
        references + claims.flatMap { claim in
            claim.fields.map { f in
                InlineReference(cell: f.cell, field: f.field, location: SourceLocation(line: claim.location.line, column: claim.location.column + f.offset),
                                text: "\(f.cell).\(f.field)")
            }
        }
    }

    public var cells: [Cell] {
        blocks.compactMap { block in
            if case .cell(let cell) = block { cell } else { nil }
        }
    }

    /// Parses a notebook. Never throws: every problem found becomes a diagnostic, sorted by location.
    public static func parse(_ source: String, file: String, directives: Set<String>) -> (Notebook, [Diagnostic]) {
        let text = SourceText(source)
        var reader = NotebookReader(source: text, directives: directives, log: DiagnosticLog(file: file))
        let (frontMatter, markdownLine) = FrontMatter.split(text, log: &reader.log)
        let document = MarkdownNode.parseCommonMark(text, fromLine: markdownLine)
        let blocks = document.children.map { reader.block(from: $0) }
        for case .prose(let node) in blocks { reader.scanReferences(in: node) }
        let cells = blocks.compactMap { if case .cell(let cell) = $0 { cell } else { nil } }
        if cells.count > NotebookFile.maximumCells {
            reader.log.report(.tooManyCells(count: cells.count), at: cells[NotebookFile.maximumCells].location)
        }
        let notebook = Notebook(file: file, frontMatter: frontMatter, blocks: blocks, references: reader.references,
                                citations: reader.citations, claims: reader.claims)
        return (notebook, reader.log.sorted)
    }
}

/// Reads top-level blocks into cells and prose, collecting references and diagnostics.
private struct NotebookReader {
    let source: SourceText
    let directives: Set<String>
    var log: DiagnosticLog
    var references: [InlineReference] = []
    var claims: [Claim] = []
    var citations: [FigureCitation] = []
    private var cellCount = 0
    private var directiveCounts: [String: Int] = [:]
    private var nameLines: [String: Int] = [:]

    init(source: SourceText, directives: Set<String>, log: DiagnosticLog) {
        self.source = source
        self.directives = directives
        self.log = log
    }

    mutating func block(from node: MarkdownNode) -> NotebookBlock {
        if case .codeBlock(let info, let literal) = node.kind, let directive = words(info).first, directives.contains(directive) {
            return .cell(cell(words: words(info), body: literal, at: node.location))
        }
        checkCodeBlocks(in: node)
        return .prose(node)
    }

    private func words(_ info: String) -> [String] {
        info.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    /// Warns about fenced blocks in prose that were probably meant as cells: directive blocks
    /// (top-level ones became cells, so these are nested) and near-misses of a directive name.
    private mutating func checkCodeBlocks(in node: MarkdownNode) {
        if case .codeBlock(let info, _) = node.kind, let word = words(info).first {
            if directives.contains(word) {
                log.report(.nestedCell(directive: word), at: node.location)
            } else if let guess = suggestion(for: word, among: directives.sorted()) {
                log.report(.unknownDirective(word, suggestion: guess), at: node.location)
            }
        }
        for child in node.children { checkCodeBlocks(in: child) }
    }

    /// A cell from its fence's info string `words` (the first is its directive) and its body.
    private mutating func cell(words: [String], body: String, at location: SourceLocation) -> Cell {
        let directive = words[0]
        let wordLocations = infoWordLocations(fenceAt: location)
        func locationOfWord(_ index: Int) -> SourceLocation {
            index < wordLocations.count ? wordLocations[index] : location
        }

        directiveCounts[directive, default: 0] += 1
        let name = words.count > 1 ? words[1] : "\(directive)-\(directiveCounts[directive, default: 1])"
        let nameLocation = locationOfWord(words.count > 1 ? 1 : 0)
        if words.count > 1, !isValidName(name.utf8) {
            log.report(.invalidCellName(name), at: nameLocation)
        }
        if words.count > 2 {
            log.report(.textAfterCellName(words[2...].joined(separator: " ")), at: locationOfWord(2))
        }
        if let firstLine = nameLines[name] {
            log.report(.duplicateCellName(name, firstLine: firstLine), at: nameLocation)
        } else {
            nameLines[name] = nameLocation.line
        }

        let bodyLocation = SourceLocation(line: location.line + 1, column: location.column)
        var options: [YAMLEntry] = []
        if body.contains(where: { !$0.isWhitespace }) {
            switch parseYAML(body, at: bodyPlacement(bodyLocation, lineCount: body.count { $0 == "\n" }), log: &log) {
            case .mapping(let entries, _): options = entries
            case let value?: log.report(.bodyNotMapping(found: value.summary), at: value.location)
            case nil: break
            }
        }
        defer { cellCount += 1 }
        return Cell(index: cellCount, directive: directive, name: name, nameIsExplicit: words.count > 1,
                    location: location, nameLocation: nameLocation, body: body, options: options,
                    bodyLocation: bodyLocation)
    }

    /// Where each word of the info string starts on the fence line that begins at `fence`.
    private func infoWordLocations(fenceAt fence: SourceLocation) -> [SourceLocation] {
        let line = source.line(fence.line)
        var index = line.startIndex + source.byteColumn(of: fence) - 1
        guard index < line.endIndex else { return [] }
        let fenceCharacter = line[index]
        while index < line.endIndex, line[index] == fenceCharacter { index += 1 }
        var locations: [SourceLocation] = []
        var inWord = false
        for position in index..<line.endIndex {
            let isSpace = line[position] == 0x20 || line[position] == 0x09
            if !isSpace, !inWord {
                locations.append(source.location(line: fence.line, byteColumn: position - line.startIndex + 1))
            }
            inWord = !isSpace
        }
        return locations
    }

    /// cmark strips up to the fence's indentation from each body line; add it back to columns.
    /// The line after the body (the closing fence, where end-of-input errors point) counts too.
    private func bodyPlacement(_ body: SourceLocation, lineCount: Int) -> YAMLPlacement {
        let indent = body.column - 1
        let indents = (0...lineCount).map { offset in
            min(indent, source.line(body.line + offset).prefix { $0 == 0x20 }.count)
        }
        return YAMLPlacement(firstLine: body.line, indents: indents)
    }

    /// Finds `{{ cell.field }}` in prose text. Adjacent text nodes on one line are scanned as one
    /// run (cmark may split text); code spans, code blocks and HTML are skipped.
    mutating func scanReferences(in node: MarkdownNode) {
        var run: (text: String, location: SourceLocation)?
        for child in node.children {
            if case .text(let text) = child.kind {
                if let current = run, current.location.line == child.location.line {
                    run?.text += text
                } else {
                    if let run { scanRun(run.text, at: run.location) }
                    run = (text, child.location)
                }
                continue
            }
            if let current = run { scanRun(current.text, at: current.location) }
            run = nil
            switch child.kind {
            case .code, .codeBlock, .htmlInline, .htmlBlock: break
            default: scanReferences(in: child)
            }
        }
        if let run { scanRun(run.text, at: run.location) }
    }

    /// Scans one run of text. Positions come from the source line: the k-th `{{` of the run is
    /// the k-th `{{` on its line from where the run starts (entities and escapes make the text
    /// and the source differ in length, never in braces).
    private mutating func scanRun(_ text: String, at start: SourceLocation) {
        let literal = Array(text.utf8)
        let startByte = source.byteColumn(of: start)
        scanCitations(literal, at: start, startByte: startByte)
        let openings = offsets(of: [0x7B, 0x7B], in: literal[...])
        let sourceOpenings = offsets(of: [0x7B, 0x7B], in: source.line(start.line).dropFirst(startByte - 1), upTo: openings.count)
        let closings = offsets(of: [0x7D, 0x7D], in: literal[...])
        var resume = 0, nextClosing = 0
        for (k, opening) in openings.enumerated() where opening >= resume {
            let location = k < sourceOpenings.count
                ? source.location(line: start.line, byteColumn: startByte + sourceOpenings[k]) : start
            // Openings ascend, so the first `}}` after each one is found by moving on, never back.
            while nextClosing < closings.count, closings[nextClosing] < opening + 2 { nextClosing += 1 }
            guard nextClosing < closings.count else {
                log.report(.unclosedReference, at: location)
                return  // every later `{{` in the run is unclosed too
            }
            let close = closings[nextClosing]
            resume = close + 2
            let written = String(decoding: literal[opening..<resume], as: UTF8.self)
            // Spaces may surround the reference but not split it.
            let words = String(decoding: literal[(opening + 2)..<close], as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.first == Substring(Claim.keyword) {
                scanClaim(written, at: location)
                continue
            }
            let parts = words.first?.split(separator: ".", omittingEmptySubsequences: false) ?? []
            guard words.count == 1, parts.count >= 2, isValidName(parts[0].utf8),
                  parts.dropFirst().allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isNameByte) }) else {
                log.report(.malformedReference(written), at: location)
                continue
            }
            references.append(InlineReference(cell: String(parts[0]), field: parts.dropFirst().joined(separator: "."),
                                              location: location, text: written))
        }
    }
}

extension NotebookReader {
    /// Reads `{{check …}}` (`written`, braces included, starting at `location`). The claim's
    /// text is ASCII in any sensible notebook, so a byte offset in it is a column offset.
    fileprivate mutating func scanClaim(_ written: String, at location: SourceLocation) {
        switch Claim.parse(written, at: location) {
        case .success(let claim):
            claims.append(claim)
        case .failure(let error):
            log.report(.malformedClaim(written, reason: error.reason),
                       at: SourceLocation(line: location.line, column: location.column + error.offset))
        }
    }

    /// Finds `@fig-name` in one run of text, placed like references: the k-th `@fig-` of the run
    /// is the k-th on its source line from where the run starts.
    fileprivate mutating func scanCitations(_ literal: [UInt8], at start: SourceLocation, startByte: Int) {
        let inLiteral = offsets(of: FigureCitation.marker, in: literal[...])
        let inSource = offsets(of: FigureCitation.marker, in: source.line(start.line).dropFirst(startByte - 1), upTo: inLiteral.count)
        var k = 0
        for match in FigureCitation.matches(in: literal) {
            while inLiteral[k] != match.offset { k += 1 }  // matches come in order, each at a marker
            let location = k < inSource.count ? source.location(line: start.line, byteColumn: startByte + inSource[k]) : start
            citations.append(FigureCitation(name: match.name, location: location))
        }
    }
}

/// Offsets from `bytes`' start where `needle` starts, not overlapping; the first `limit` only.
/// A run of prose is matched against the rest of its source line, so stopping after the run's
/// own count keeps a long line with many runs linear rather than quadratic.
private func offsets(of needle: [UInt8], in bytes: ArraySlice<UInt8>, upTo limit: Int = .max) -> [Int] {
    guard !needle.isEmpty else { return [] }
    var result: [Int] = []
    var index = bytes.startIndex
    while result.count < limit, index + needle.count <= bytes.endIndex {
        if bytes[index..<index + needle.count].elementsEqual(needle) {
            result.append(index - bytes.startIndex)
            index += needle.count
        } else {
            index += 1
        }
    }
    return result
}

/// `[A-Za-z][A-Za-z0-9_-]*`: no dots, since prose refers to `name.field`.
private func isValidName<Name: Collection>(_ name: Name) -> Bool where Name.Element == UInt8 {
    guard let first = name.first, (0x41...0x5A).contains(first) || (0x61...0x7A).contains(first) else { return false }
    return name.allSatisfy(isNameByte)
}

private func isNameByte(_ byte: UInt8) -> Bool {
    (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        || byte == 0x5F || byte == 0x2D
}
