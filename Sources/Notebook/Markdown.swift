import CCmark

/// A CommonMark node, copied out of cmark's tree into Swift values.
public struct MarkdownNode: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case document, blockQuote, list(ordered: Bool, start: Int, tight: Bool), item
        case codeBlock(info: String, literal: String), htmlBlock(String), paragraph, heading(level: Int), thematicBreak
        case text(String), softBreak, lineBreak, code(String), htmlInline(String), emphasis, strong
        case link(destination: String, title: String), image(source: String, title: String)
    }

    public var kind: Kind
    public var children: [MarkdownNode]
    /// Where the node starts in the notebook file; a line break starts right after the inline before it.
    public var location: SourceLocation

    public init(kind: Kind, children: [MarkdownNode] = [], location: SourceLocation) {
        self.kind = kind
        self.children = children
        self.location = location
    }
}

extension MarkdownNode {
    /// Parses `source` from line `firstLine` on (after any front matter) into a tree whose
    /// locations are file locations.
    static func parseCommonMark(_ source: SourceText, fromLine firstLine: Int) -> MarkdownNode {
        var builder = MarkdownTreeBuilder(source: source, lineOffset: firstLine - 1)
        return builder.build(commonMarkWalk(source.bytes[source.offset(ofLine: firstLine)...]))
    }

    fileprivate var isInline: Bool {
        switch kind {
        case .text, .softBreak, .lineBreak, .code, .htmlInline, .emphasis, .strong, .link, .image: true
        default: false
        }
    }
}

/// A position as cmark reports it: a line of the text it was given, a byte column; 0 for none.
private struct CMarkPosition {
    var line: Int
    var column: Int
}

/// One step of a depth-first walk over cmark's tree.
private enum CMarkStep {
    case enter(MarkdownNode.Kind, start: CMarkPosition, end: CMarkPosition)
    case leaf(MarkdownNode.Kind, start: CMarkPosition, end: CMarkPosition)
    case exit(end: CMarkPosition)
}

/// Parses `text` with cmark and copies its tree out as a walk: the only place cmark's C objects
/// exist, freed before returning.
private func commonMarkWalk(_ text: ArraySlice<UInt8>) -> [CMarkStep] {
    let document = text.withUnsafeBufferPointer { bytes in
        bytes.withMemoryRebound(to: CChar.self) { cmark_parse_document($0.baseAddress, $0.count, CMARK_OPT_SOURCEPOS) }
    }
    guard let document else { preconditionFailure("cmark_parse_document failed to allocate") }
    defer { cmark_node_free(document) }
    guard let iterator = cmark_iter_new(document) else { preconditionFailure("cmark_iter_new failed to allocate") }
    defer { cmark_iter_free(iterator) }

    func string(_ pointer: UnsafePointer<CChar>?) -> String { pointer.map { String(cString: $0) } ?? "" }
    var steps: [CMarkStep] = []
    while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
        let node = cmark_iter_get_node(iterator)
        let start = CMarkPosition(line: Int(cmark_node_get_start_line(node)), column: Int(cmark_node_get_start_column(node)))
        let end = CMarkPosition(line: Int(cmark_node_get_end_line(node)), column: Int(cmark_node_get_end_column(node)))
        if event == CMARK_EVENT_EXIT {
            steps.append(.exit(end: end))
            continue
        }
        let literal = string(cmark_node_get_literal(node))
        switch cmark_node_get_type(node) {
        case CMARK_NODE_DOCUMENT: steps.append(.enter(.document, start: start, end: end))
        case CMARK_NODE_BLOCK_QUOTE: steps.append(.enter(.blockQuote, start: start, end: end))
        case CMARK_NODE_LIST:
            let kind = MarkdownNode.Kind.list(ordered: cmark_node_get_list_type(node) == CMARK_ORDERED_LIST,
                                              start: Int(cmark_node_get_list_start(node)),
                                              tight: cmark_node_get_list_tight(node) != 0)
            steps.append(.enter(kind, start: start, end: end))
        case CMARK_NODE_ITEM: steps.append(.enter(.item, start: start, end: end))
        case CMARK_NODE_CODE_BLOCK:
            steps.append(.leaf(.codeBlock(info: string(cmark_node_get_fence_info(node)), literal: literal), start: start, end: end))
        case CMARK_NODE_HTML_BLOCK: steps.append(.leaf(.htmlBlock(literal), start: start, end: end))
        case CMARK_NODE_PARAGRAPH: steps.append(.enter(.paragraph, start: start, end: end))
        case CMARK_NODE_HEADING: steps.append(.enter(.heading(level: Int(cmark_node_get_heading_level(node))), start: start, end: end))
        case CMARK_NODE_THEMATIC_BREAK: steps.append(.leaf(.thematicBreak, start: start, end: end))
        case CMARK_NODE_TEXT: steps.append(.leaf(.text(literal), start: start, end: end))
        case CMARK_NODE_SOFTBREAK: steps.append(.leaf(.softBreak, start: start, end: end))
        case CMARK_NODE_LINEBREAK: steps.append(.leaf(.lineBreak, start: start, end: end))
        case CMARK_NODE_CODE: steps.append(.leaf(.code(literal), start: start, end: end))
        case CMARK_NODE_HTML_INLINE: steps.append(.leaf(.htmlInline(literal), start: start, end: end))
        case CMARK_NODE_EMPH: steps.append(.enter(.emphasis, start: start, end: end))
        case CMARK_NODE_STRONG: steps.append(.enter(.strong, start: start, end: end))
        case CMARK_NODE_LINK:
            let kind = MarkdownNode.Kind.link(destination: string(cmark_node_get_url(node)), title: string(cmark_node_get_title(node)))
            steps.append(.enter(kind, start: start, end: end))
        case CMARK_NODE_IMAGE:
            let kind = MarkdownNode.Kind.image(source: string(cmark_node_get_url(node)), title: string(cmark_node_get_title(node)))
            steps.append(.enter(kind, start: start, end: end))
        default: preconditionFailure("cmark's parser makes no custom nodes")
        }
    }
    return steps
}

/// Builds the tree from cmark's walk, turning cmark's positions into file locations.
private struct MarkdownTreeBuilder {
    /// A container node whose children are still being read.
    private struct Open {
        var node: MarkdownNode
        var byteColumn: Int
        var firstChildByteColumn: Int?
    }

    let source: SourceText
    /// File line of the first line given to cmark, less one.
    let lineOffset: Int
    private var open: [Open] = []
    private var inlines: InlinePositions  // of the current paragraph or heading
    private var lastInlineEnd = (line: 0, byteColumn: 0)  // a following line break starts just after it

    init(source: SourceText, lineOffset: Int) {
        self.source = source
        self.lineOffset = lineOffset
        inlines = InlinePositions(startLine: 0, startColumn: 1, endLine: 0, in: source)
    }

    mutating func build(_ steps: [CMarkStep]) -> MarkdownNode {
        for step in steps {
            switch step {
            case .enter(let kind, let start, let end):
                let (node, byteColumn) = place(kind, start: start, end: end)
                noteChild(at: byteColumn)
                open.append(Open(node: node, byteColumn: byteColumn))
            case .leaf(let kind, let start, let end):
                let (node, byteColumn) = place(kind, start: start, end: end)
                noteChild(at: byteColumn)
                open[open.count - 1].node.children.append(node)
            case .exit(let end):
                let finished = open.removeLast().node
                if finished.isInline { lastInlineEnd = inlines.place(line: end.line + lineOffset, byteColumn: end.column, in: source) }
                if open.isEmpty { return finished }
                open[open.count - 1].node.children.append(finished)
            }
        }
        preconditionFailure("cmark's walk ended without leaving the document")
    }

    /// A list item's content column is where its first child starts.
    private mutating func noteChild(at byteColumn: Int) {
        if let parent = open.indices.last, open[parent].firstChildByteColumn == nil {
            open[parent].firstChildByteColumn = byteColumn
        }
    }

    /// The node, childless, at its file location; and its byte column.
    private mutating func place(_ kind: MarkdownNode.Kind, start: CMarkPosition, end: CMarkPosition) -> (MarkdownNode, Int) {
        var (line, byteColumn) = (start.line + lineOffset, start.column)
        let backtick = UInt8(ascii: "`")
        switch kind {
        case .softBreak, .lineBreak:
            (line, byteColumn) = (lastInlineEnd.line, lastInlineEnd.byteColumn + 1)  // cmark gives breaks no position
        case .text, .code, .htmlInline, .emphasis, .strong, .link, .image:
            (line, byteColumn) = inlines.place(line: line, byteColumn: byteColumn, in: source)
            switch kind {
            case .text(let text):
                if text.hasPrefix("`"), !source.isByte(UInt8(ascii: "\\"), line: line, byteColumn: byteColumn) {
                    // cmark places backticks that open no code span after themselves.
                    while source.isByte(backtick, line: line, byteColumn: byteColumn - 1) { byteColumn -= 1 }
                }
                lastInlineEnd = inlines.place(line: end.line + lineOffset, byteColumn: end.column, in: source)
            case .code, .htmlInline:
                let isHTML = if case .htmlInline = kind { true } else { false }
                let endColumn = end.line > start.line ? inlines.endColumn(ofMultilineSpan: end.column, isHTML: isHTML) : end.column
                lastInlineEnd = inlines.place(line: end.line + lineOffset, byteColumn: endColumn, in: source)
                if case .code = kind {  // cmark gives a code span's content; widen it to the backticks
                    while source.isByte(backtick, line: line, byteColumn: byteColumn - 1) { byteColumn -= 1 }
                    while source.isByte(backtick, line: lastInlineEnd.line, byteColumn: lastInlineEnd.byteColumn + 1) {
                        lastInlineEnd.byteColumn += 1
                    }
                }
            default:
                break  // a container's end comes with its exit
            }
        case .paragraph, .heading:
            let containers = open.compactMap { frame -> InlinePositions.Container? in
                switch frame.node.kind {
                case .blockQuote: .quote
                case .item: .item(indent: (frame.firstChildByteColumn ?? byteColumn) - frame.byteColumn)
                default: nil
                }
            }
            inlines = InlinePositions(startLine: line, startColumn: byteColumn, containers: containers,
                                      endLine: end.line + lineOffset, in: source)
            lastInlineEnd = (line, byteColumn - 1)
        default:
            break
        }
        return (MarkdownNode(kind: kind, location: source.location(line: line, byteColumn: byteColumn)), byteColumn)
    }
}
