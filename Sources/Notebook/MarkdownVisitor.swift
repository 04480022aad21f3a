/// A walk over a `MarkdownNode` tree producing a `Result`, with one method per node kind.
/// Call `visit(_:)` to dispatch on a node's kind; every `visit…` method that a visitor does not
/// implement falls back to `defaultVisit(_:)` (which typically combines the children's results).
public protocol MarkdownVisitor {
    associatedtype Result

    mutating func defaultVisit(_ node: MarkdownNode) -> Result

    mutating func visitDocument(_ node: MarkdownNode) -> Result
    mutating func visitBlockQuote(_ node: MarkdownNode) -> Result
    mutating func visitList(_ node: MarkdownNode, ordered: Bool, start: Int, tight: Bool) -> Result
    mutating func visitItem(_ node: MarkdownNode) -> Result
    mutating func visitCodeBlock(_ node: MarkdownNode, info: String, literal: String) -> Result
    mutating func visitHTMLBlock(_ node: MarkdownNode, html: String) -> Result
    mutating func visitParagraph(_ node: MarkdownNode) -> Result
    mutating func visitHeading(_ node: MarkdownNode, level: Int) -> Result
    mutating func visitThematicBreak(_ node: MarkdownNode) -> Result
    mutating func visitText(_ node: MarkdownNode, text: String) -> Result
    mutating func visitSoftBreak(_ node: MarkdownNode) -> Result
    mutating func visitLineBreak(_ node: MarkdownNode) -> Result
    mutating func visitCode(_ node: MarkdownNode, code: String) -> Result
    mutating func visitHTMLInline(_ node: MarkdownNode, html: String) -> Result
    mutating func visitEmphasis(_ node: MarkdownNode) -> Result
    mutating func visitStrong(_ node: MarkdownNode) -> Result
    mutating func visitLink(_ node: MarkdownNode, destination: String, title: String) -> Result
    mutating func visitImage(_ node: MarkdownNode, source: String, title: String) -> Result
}

extension MarkdownVisitor {
    public mutating func visit(_ node: MarkdownNode) -> Result {
        switch node.kind {
        case .document: visitDocument(node)
        case .blockQuote: visitBlockQuote(node)
        case .list(let ordered, let start, let tight): visitList(node, ordered: ordered, start: start, tight: tight)
        case .item: visitItem(node)
        case .codeBlock(let info, let literal): visitCodeBlock(node, info: info, literal: literal)
        case .htmlBlock(let html): visitHTMLBlock(node, html: html)
        case .paragraph: visitParagraph(node)
        case .heading(let level): visitHeading(node, level: level)
        case .thematicBreak: visitThematicBreak(node)
        case .text(let text): visitText(node, text: text)
        case .softBreak: visitSoftBreak(node)
        case .lineBreak: visitLineBreak(node)
        case .code(let code): visitCode(node, code: code)
        case .htmlInline(let html): visitHTMLInline(node, html: html)
        case .emphasis: visitEmphasis(node)
        case .strong: visitStrong(node)
        case .link(let destination, let title): visitLink(node, destination: destination, title: title)
        case .image(let source, let title): visitImage(node, source: source, title: title)
        }
    }

    /// The results of visiting each child, in order.
    public mutating func visitChildren(of node: MarkdownNode) -> [Result] {
        node.children.map { visit($0) }
    }

    public mutating func visitDocument(_ node: MarkdownNode) -> Result { defaultVisit(node) }
    public mutating func visitBlockQuote(_ node: MarkdownNode) -> Result { defaultVisit(node) }
    public mutating func visitList(_ node: MarkdownNode, ordered: Bool, start: Int, tight: Bool) -> Result { defaultVisit(node) }
    public mutating func visitItem(_ node: MarkdownNode) -> Result { defaultVisit(node) }
    public mutating func visitCodeBlock(_ node: MarkdownNode, info: String, literal: String) -> Result { defaultVisit(node) }
    public mutating func visitHTMLBlock(_ node: MarkdownNode, html: String) -> Result { defaultVisit(node) }
    public mutating func visitParagraph(_ node: MarkdownNode) -> Result { defaultVisit(node) }
    public mutating func visitHeading(_ node: MarkdownNode, level: Int) -> Result { defaultVisit(node) }
    public mutating func visitThematicBreak(_ node: MarkdownNode) -> Result { defaultVisit(node) }
    public mutating func visitText(_ node: MarkdownNode, text: String) -> Result { defaultVisit(node) }
    public mutating func visitSoftBreak(_ node: MarkdownNode) -> Result { defaultVisit(node) }
    public mutating func visitLineBreak(_ node: MarkdownNode) -> Result { defaultVisit(node) }
    public mutating func visitCode(_ node: MarkdownNode, code: String) -> Result { defaultVisit(node) }
    public mutating func visitHTMLInline(_ node: MarkdownNode, html: String) -> Result { defaultVisit(node) }
    public mutating func visitEmphasis(_ node: MarkdownNode) -> Result { defaultVisit(node) }
    public mutating func visitStrong(_ node: MarkdownNode) -> Result { defaultVisit(node) }
    public mutating func visitLink(_ node: MarkdownNode, destination: String, title: String) -> Result { defaultVisit(node) }
    public mutating func visitImage(_ node: MarkdownNode, source: String, title: String) -> Result { defaultVisit(node) }
}

/// Renders the text a reader sees, without markup: for headings, captions and link text.
/// Blocks go on separate lines; an image contributes its alt text; HTML is dropped.
public struct PlainTextRenderer: MarkdownVisitor {
    public init() {}

    public mutating func defaultVisit(_ node: MarkdownNode) -> String {
        visitChildren(of: node).joined()
    }

    public mutating func visitDocument(_ node: MarkdownNode) -> String { blocks(node) }
    public mutating func visitBlockQuote(_ node: MarkdownNode) -> String { blocks(node) }
    public mutating func visitList(_ node: MarkdownNode, ordered: Bool, start: Int, tight: Bool) -> String { blocks(node) }
    public mutating func visitItem(_ node: MarkdownNode) -> String { blocks(node) }
    public mutating func visitCodeBlock(_ node: MarkdownNode, info: String, literal: String) -> String {
        literal.hasSuffix("\n") ? String(literal.dropLast()) : literal
    }
    public mutating func visitHTMLBlock(_ node: MarkdownNode, html: String) -> String { "" }
    public mutating func visitThematicBreak(_ node: MarkdownNode) -> String { "" }
    public mutating func visitText(_ node: MarkdownNode, text: String) -> String { text }
    public mutating func visitSoftBreak(_ node: MarkdownNode) -> String { " " }
    public mutating func visitLineBreak(_ node: MarkdownNode) -> String { "\n" }
    public mutating func visitCode(_ node: MarkdownNode, code: String) -> String { code }
    public mutating func visitHTMLInline(_ node: MarkdownNode, html: String) -> String { "" }

    private mutating func blocks(_ node: MarkdownNode) -> String {
        visitChildren(of: node).filter { !$0.isEmpty }.joined(separator: "\n")
    }
}

extension MarkdownNode {
    /// The node's text without markup (see `PlainTextRenderer`).
    public var plainText: String {
        var renderer = PlainTextRenderer()
        return renderer.visit(self)
    }
}
