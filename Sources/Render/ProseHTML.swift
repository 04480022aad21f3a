import Notebook

/// Notebook prose as HTML, safely: notebooks are untrusted, so — like cmark's safe mode — raw
/// HTML is omitted and only harmless link targets survive; every text is escaped. `{{cell.field}}`
/// references are replaced by their current values (also escaped), `@fig-name` citations by
/// links to their figures.
public struct ProseHTML: MarkdownVisitor {
    /// A figure as prose cites it.
    public struct FigureLink: Hashable, Sendable {
        public var label: String
        public var anchor: String
        public init(label: String, anchor: String) { self.label = label; self.anchor = anchor }
    }

    /// A checked claim as prose marks it.
    public struct ClaimMark: Hashable, Sendable {
        public enum Verdict: String, Sendable { case pass, fail, unchecked, skipped }
        public var verdict: Verdict
        /// The comparison with its values, or why it was not checked.
        public var detail: String
        /// The id of a failing claim's mark, which the page's list of failing claims links to.
        public var anchor: String?
        public init(verdict: Verdict, detail: String, anchor: String? = nil) {
            self.verdict = verdict; self.detail = detail; self.anchor = anchor
        }
    }

    /// "cell.field" → the value shown in place of the reference.
    public var values: [String: String]
    /// The name after `@fig-` → the figure it cites.
    public var figures: [String: FigureLink]
    /// A claim's text as written (`{{check …}}`) → its mark.
    public var claims: [String: ClaimMark]

    public init(values: [String: String], figures: [String: FigureLink] = [:], claims: [String: ClaimMark] = [:]) {
        self.values = values
        self.figures = figures
        self.claims = claims
    }

    /// A heading's or paragraph's inline content, without the enclosing element.
    public mutating func inlineHTML(_ node: MarkdownNode) -> String { inlines(node.children) }

    public mutating func defaultVisit(_ node: MarkdownNode) -> String { children(node) }

    public mutating func visitDocument(_ node: MarkdownNode) -> String { children(node) }
    public mutating func visitBlockQuote(_ node: MarkdownNode) -> String { "<blockquote>\n\(children(node))</blockquote>\n" }
    public mutating func visitList(_ node: MarkdownNode, ordered: Bool, start: Int, tight: Bool) -> String {
        let open = ordered ? (start == 1 ? "<ol>" : "<ol start=\"\(start)\">") : "<ul>"
        let items = node.children.map { item in
            // A tight list's items hold their paragraphs' contents directly, as cmark renders them.
            let inner = tight ? item.children.map { $0.kind == .paragraph ? inlines($0.children) : visit($0) }.joined()
                              : children(item)
            return "<li>\(inner)</li>\n"
        }.joined()
        return open + "\n" + items + (ordered ? "</ol>\n" : "</ul>\n")
    }
    public mutating func visitItem(_ node: MarkdownNode) -> String { "<li>\(children(node))</li>\n" }
    public mutating func visitCodeBlock(_ node: MarkdownNode, info: String, literal: String) -> String {
        let language = info.split(separator: " ").first.map { " class=\"language-\(xmlEscape(String($0)))\"" } ?? ""
        return "<pre><code\(language)>\(xmlEscape(literal))</code></pre>\n"
    }
    public mutating func visitHTMLBlock(_ node: MarkdownNode, html: String) -> String { "<!-- raw HTML omitted -->\n" }
    public mutating func visitParagraph(_ node: MarkdownNode) -> String { "<p>\(inlines(node.children))</p>\n" }
    public mutating func visitHeading(_ node: MarkdownNode, level: Int) -> String {
        "<h\(level)>\(inlines(node.children))</h\(level)>\n"
    }
    public mutating func visitThematicBreak(_ node: MarkdownNode) -> String { "<hr />\n" }
    public mutating func visitText(_ node: MarkdownNode, text: String) -> String { substitute(text) }
    public mutating func visitSoftBreak(_ node: MarkdownNode) -> String { "\n" }
    public mutating func visitLineBreak(_ node: MarkdownNode) -> String { "<br />\n" }
    public mutating func visitCode(_ node: MarkdownNode, code: String) -> String { "<code>\(xmlEscape(code))</code>" }
    public mutating func visitHTMLInline(_ node: MarkdownNode, html: String) -> String { "<!-- raw HTML omitted -->" }
    public mutating func visitEmphasis(_ node: MarkdownNode) -> String { "<em>\(inlines(node.children))</em>" }
    public mutating func visitStrong(_ node: MarkdownNode) -> String { "<strong>\(inlines(node.children))</strong>" }
    public mutating func visitLink(_ node: MarkdownNode, destination: String, title: String) -> String {
        let href = ProseHTML.isSafe(destination, image: false) ? destination : ""
        let titleAttribute = title.isEmpty ? "" : " title=\"\(xmlEscape(title))\""
        return "<a href=\"\(xmlEscape(href))\"\(titleAttribute)>\(inlines(node.children))</a>"
    }
    public mutating func visitImage(_ node: MarkdownNode, source: String, title: String) -> String {
        let src = ProseHTML.isSafe(source, image: true) ? source : ""
        let titleAttribute = title.isEmpty ? "" : " title=\"\(xmlEscape(title))\""
        return "<img src=\"\(xmlEscape(src))\" alt=\"\(xmlEscape(node.plainText))\"\(titleAttribute) />"
    }

    private mutating func children(_ node: MarkdownNode) -> String { node.children.map { visit($0) }.joined() }

    /// Inline children with adjacent text nodes joined first: cmark splits text at characters
    /// such as `_`, which would cut `{{ae.final_loss}}` in two.
    private mutating func inlines(_ nodes: [MarkdownNode]) -> String {
        var out = "", pending = ""
        for n in nodes {
            if case .text(let t) = n.kind { pending += t; continue }
            out += substitute(pending); pending = ""
            out += visit(n)
        }
        return out + substitute(pending)
    }

    /// Escaped text with `{{cell.field}}` and `@fig-name` replaced; an unknown one stays visible, marked.
    private func substitute(_ text: String) -> String {
        var out = "", rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out += cite(rest[..<open.lowerBound])
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if let claim = claims[String(rest[open.lowerBound..<close.upperBound])] {
                out += ProseHTML.mark(claim)
            } else if let value = values[name] {
                out += "<span class=\"ref\">\(xmlEscape(value))</span>"
            } else {
                out += "<span class=\"ref missing\">\(xmlEscape(String(rest[open.lowerBound..<close.upperBound])))</span>"
            }
            rest = rest[close.upperBound...]
        }
        return out + cite(rest)
    }

    /// A claim's mark: the claim itself is not repeated, its comparison is in the tooltip.
    static func mark(_ claim: ClaimMark) -> String {
        let id = claim.anchor.map { " id=\"\(xmlEscape($0))\"" } ?? ""
        let (prefix, shown) = switch claim.verdict {
        case .pass: ("holds: ", "✓")
        case .fail: ("fails: ", "✗ claim fails")
        case .unchecked: ("not checked: ", "? unchecked")
        case .skipped: ("", "not checked")
        }
        return "<span class=\"claim \(claim.verdict.rawValue)\"\(id) title=\"\(xmlEscape(prefix + claim.detail))\">\(shown)</span>"
    }

    /// Escaped text with `@fig-name` citations linked (found as `Notebook` finds them).
    private func cite(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        var out = "", done = 0
        for match in FigureCitation.matches(in: bytes) {
            out += xmlEscape(String(decoding: bytes[done..<match.offset], as: UTF8.self))
            let written = String(decoding: bytes[match.offset..<(match.offset + match.length)], as: UTF8.self)
            if let link = figures[match.name] {
                out += "<a class=\"xref\" href=\"#\(xmlEscape(link.anchor))\">\(xmlEscape(link.label))</a>"
            } else {
                out += "<span class=\"ref missing\">\(xmlEscape(written))</span>"
            }
            done = match.offset + match.length
        }
        return out + xmlEscape(String(decoding: bytes[done...], as: UTF8.self))
    }

    /// cmark's safe-mode rule: no javascript:, vbscript:, file: or data: URLs, except data:
    /// images of common raster types.
    static func isSafe(_ url: String, image: Bool) -> Bool {
        let lower = url.trimmingCharacters(in: .whitespaces).lowercased()
        for scheme in ["javascript:", "vbscript:", "file:"] where lower.hasPrefix(scheme) { return false }
        if lower.hasPrefix("data:") {
            return image && ["data:image/png", "data:image/gif", "data:image/jpeg", "data:image/webp"].contains { lower.hasPrefix($0) }
        }
        return true
    }
}
