/// Corrects cmark's (0.30) inline positions within one paragraph or heading. cmark reads inlines
/// from the block's content, where each line starts after its containers' prefixes (and, unless
/// the line is a lazy continuation, its indentation), and reports (line, block's first column +
/// offset from the start of the current content line). Newlines inside a backslash line break
/// or a link title move on neither the line nor the offset's start: the offset then runs past
/// its line, and from the next newline cmark counts on from the lagging line. Undo both: walk a
/// long offset forward line by line, and add the lines so skipped to every later line.
/// Not modelled: tabs in a line's indentation, link reference definitions over several lines.
struct InlinePositions {
    /// A block around the paragraph that claims a prefix of each of its lines.
    enum Container { case quote, item(indent: Int) }

    private let startLine: Int
    private let startColumn: Int
    private let containers: [Container]
    private let endLine: Int
    private var lastReportedLine: Int
    private var lag = 0
    private var unreportedLines = 0  // since cmark last moved to a new line

    /// cmark drops link reference definitions at the block's start but counts lines from the
    /// block's start regardless; one-line definitions are recognized and skipped here.
    init(startLine: Int, startColumn: Int, containers: [Container] = [], endLine: Int, in source: SourceText) {
        self.startLine = startLine
        self.startColumn = startColumn
        self.containers = containers
        self.endLine = endLine
        lastReportedLine = startLine
        while startLine + lag < endLine,
              source.isLinkReferenceDefinition(line: startLine + lag, from: contentStart(ofLine: startLine + lag, in: source)) {
            lag += 1
        }
    }

    /// Byte column where cmark's content for `line` starts: after the containers' prefixes and,
    /// unless the line is a lazy continuation (some container's prefix missing), its indentation.
    private func contentStart(ofLine line: Int, in source: SourceText) -> Int {
        if line == startLine { return startColumn }
        let text = source.line(line)
        var index = text.startIndex
        func spaces(upTo limit: Int) -> Int { text[index...].prefix(limit).prefix { $0 == 0x20 }.count }
        for container in containers {
            switch container {
            case .quote:
                let indent = spaces(upTo: 3)
                guard index + indent < text.endIndex, text[index + indent] == UInt8(ascii: ">") else { return index - text.startIndex + 1 }
                index += indent + 1
                if index < text.endIndex, text[index] == 0x20 { index += 1 }
            case .item(let indent):
                guard spaces(upTo: indent) == indent else { return index - text.startIndex + 1 }
                index += indent
            }
        }
        return index - text.startIndex + 1 + text[index...].prefix { $0 == 0x20 || $0 == 0x09 }.count
    }

    /// Call in document order (a node's start, then its end).
    mutating func place(line reportedLine: Int, byteColumn: Int, in source: SourceText) -> (line: Int, byteColumn: Int) {
        if reportedLine > lastReportedLine {
            lag += unreportedLines
            unreportedLines = 0
            lastReportedLine = reportedLine
        }
        var line = reportedLine + lag
        var offset = byteColumn - startColumn
        while true {
            let start = contentStart(ofLine: line, in: source)
            let length = source.line(line).count + 2 - start  // the content and its line feed
            if offset < length || line >= endLine {
                unreportedLines = max(unreportedLines, line - reportedLine - lag)
                return (line, start + offset)
            }
            offset -= length
            line += 1
        }
    }

    /// cmark gives a code span or HTML with newlines an end column counted from its last line's
    /// start without the block's column, and short of the closing delimiter: make it like others.
    func endColumn(ofMultilineSpan endColumn: Int, isHTML: Bool) -> Int {
        endColumn + startColumn - (isHTML ? 0 : 1)
    }
}

extension SourceText {
    /// Whether `line` from `byteColumn` is a whole one-line link reference definition:
    /// `[label]: destination` with an optional quoted or parenthesized title.
    func isLinkReferenceDefinition(line number: Int, from byteColumn: Int) -> Bool {
        var rest = line(number).dropFirst(byteColumn - 1)
        func skipSpaces() -> Bool {
            let count = rest.prefix { $0 == 0x20 || $0 == 0x09 }.count
            rest = rest.dropFirst(count)
            return count > 0
        }
        func take(through closer: UInt8) -> Bool {  // from an opening character through `closer`, honouring escapes
            var escaped = false
            for index in rest.indices.dropFirst() {
                if !escaped && rest[index] == closer { rest = rest[(index + 1)...]; return true }
                escaped = !escaped && rest[index] == UInt8(ascii: "\\")
            }
            return false
        }
        _ = skipSpaces()
        guard rest.first == UInt8(ascii: "["), take(through: UInt8(ascii: "]")), rest.first == UInt8(ascii: ":") else { return false }
        rest = rest.dropFirst()
        _ = skipSpaces()
        if rest.first == UInt8(ascii: "<") {
            guard take(through: UInt8(ascii: ">")) else { return false }
        } else {
            let destination = rest.prefix { $0 != 0x20 && $0 != 0x09 }
            guard !destination.isEmpty else { return false }
            rest = rest.dropFirst(destination.count)
        }
        guard skipSpaces(), let opener = rest.first else { return rest.isEmpty }
        let closers: [UInt8: UInt8] = [UInt8(ascii: "\""): UInt8(ascii: "\""), UInt8(ascii: "'"): UInt8(ascii: "'"),
                                       UInt8(ascii: "("): UInt8(ascii: ")")]
        guard let closer = closers[opener], take(through: closer) else { return false }
        _ = skipSpaces()
        return rest.isEmpty
    }

    func isByte(_ byte: UInt8, line number: Int, byteColumn: Int) -> Bool {
        let line = line(number)
        return byteColumn >= 1 && byteColumn <= line.count && line[line.startIndex + byteColumn - 1] == byte
    }
}
