import Foundation
import Render

/// A page as the preview serves it: the static page, unchanged, with the live state's starting
/// point and the client script before `</body>`. The static report never gets either.
public enum PreviewPage {
    /// What the script needs to know of the page it runs in.
    public struct Boot: Encodable, Equatable {
        /// The notebook of a page; nil for the full report (every notebook).
        public var page: String?
        /// The version of each notebook's part as served; a newer one is fetched.
        public var versions: [String: Int]
        /// Each cell's section id, notebook and name, in document order.
        public var cells: [[String]]

        public init(page: String?, versions: [String: Int], cells: [(name: String, slug: String)]) {
            self.page = page; self.versions = versions
            self.cells = cells.map { [ReportHTML.cellAnchor(slug: $0.slug, cell: $0.name), $0.slug, $0.name] }
        }

        enum CodingKeys: String, CodingKey { case page, versions, cells }

        /// `page` is written as null for the full report (the synthesized encoder would leave it out).
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(page, forKey: .page)
            try c.encode(versions, forKey: .versions)
            try c.encode(cells, forKey: .cells)
        }
    }

    public static func inject(_ html: String, boot: Boot, nonce: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Cell names come from the notebook: "</script>" in one must not end the element.
        let json = String(decoding: (try? encoder.encode(boot)) ?? Data("{}".utf8), as: UTF8.self)
            .replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
        let tail = "<style>\n\(PreviewClient.style)</style>\n"
            + "<script type=\"application/json\" id=\"latentbook-preview\">\(json)</script>\n"
            + "<script nonce=\"\(nonce)\">\n\(PreviewClient.script)</script>\n"
        guard let end = html.range(of: "</body>", options: .backwards) else { return html + tail }
        return html.replacingCharacters(in: end.lowerBound..<end.lowerBound, with: tail)
    }
}
