import Foundation
import Preview
import Runtime
import Testing

/// Saves as the session sees them: re-plan, re-render from the cache, or show the errors over
/// the last good page.
@Suite(.serialized)
struct PreviewSaves {
    @Test func aProseEditRendersTheNewTextAndRunsNothing() async throws {
        let served = try await Served.start(["nb.md": proseNotebook])
        defer { served.stop() }
        let before = try #require(await served.session.live("nb"))
        try Data(proseNotebook.replacingOccurrences(of: "Some prose", with: "Edited prose").utf8)
            .write(to: served.directory.appendingPathComponent("nb.md"))
        await served.session.poll()
        let after = try #require(await served.session.live("nb"))
        #expect(after.version == before.version + 1 && after.cells.isEmpty && after.problems.isEmpty)
        let page = try #require(await served.session.page("nb", nonce: "n"))
        #expect(page.contains("Edited prose") && !page.contains("Some prose"))
        // A poll without a save renders nothing again.
        await served.session.poll()
        #expect(await served.session.live("nb")?.version == after.version)
    }

    /// A directory previewed as a folder: notebooks saved later join the full report in name
    /// order (hidden files do not), and a deleted one leaves it while its own page says why.
    @Test func notebooksSavedInAWatchedDirectoryJoinAndLeave() async throws {
        let served = try await Served.start(["b.md": titled("Bee")], watch: true)
        defer { served.stop() }
        func save(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: served.directory.appendingPathComponent(name)) }
        func report() async -> String { await served.session.index(nonce: "n") }
        try save("c.md", titled("Sea"))
        try save("a.md", titled("Ay"))
        try save(".#b.md", titled("Lock"))
        await served.session.poll()
        var html = await report()
        let order = ["Ay prose", "Bee prose", "Sea prose"].map { html.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order[0]! < order[1]! && order[1]! < order[2]!, "\(order)")
        let hidden = await served.session.page(".#b", nonce: "n")
        #expect(!html.contains("Lock prose") && hidden == nil)
        #expect(try #require(await served.session.page("a", nonce: "n")).contains("Ay prose"))
        // The full report's boot data lists the new notebooks, so an open report follows them.
        #expect(html.contains(#""versions":{"a":1,"b":1,"c":1}"#), "\(html.suffix(400))")
        let before = try #require(await served.session.live("c")).version

        try FileManager.default.removeItem(at: served.directory.appendingPathComponent("c.md"))
        await served.session.poll()
        html = await report()
        #expect(!html.contains("Sea prose") && html.contains("Bee prose"))
        let gone = try #require(await served.session.live("c"))
        #expect(gone.version > before && gone.problems.map(\.message) == ["cannot read the notebook: no such file"])
        #expect(try #require(await served.session.page("c", nonce: "n")).contains("Sea prose"))

        try save("c.md", titled("Sea again"))
        await served.session.poll()
        #expect(await report().contains("Sea again prose"))
        #expect(await served.session.live("c")?.problems == [])
    }

    /// A notebook named on the command line stays when deleted, with its problem; a new file whose
    /// page name is taken (in another watched directory) is not served.
    @Test func aNamedNotebookStaysAndATakenPageNameIsNotServedTwice() async throws {
        let served = try await Served.start(["nb.md": titled("Named")])
        defer { served.stop() }
        try FileManager.default.removeItem(at: served.directory.appendingPathComponent("nb.md"))
        await served.session.poll()
        #expect(await served.session.index(nonce: "n").contains("Named prose"))
        #expect(await served.session.live("nb")?.problems.map(\.message) == ["cannot read the notebook: no such file"])

        let other = served.directory.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        let store = try ResultStore(directory: served.directory.appendingPathComponent("cache"))
        let session = PreviewSession(.init(paths: [served.directory.appendingPathComponent("nb.md").path],
                                           directories: [other.path], profile: .quick, threads: 1, data: nil,
                                           output: served.directory.appendingPathComponent("out"), title: "t"), store: store)
        try Data(titled("Elsewhere").utf8).write(to: other.appendingPathComponent("nb.md"))
        await session.start()
        await session.poll()
        #expect(await !session.index(nonce: "n").contains("Elsewhere prose"))
    }

    @Test func errorsShowOverTheLastGoodPageUntilFixed() async throws {
        let served = try await Served.start(["nb.md": proseNotebook])
        defer { served.stop() }
        let file = served.directory.appendingPathComponent("nb.md")
        let broken = proseNotebook + "\nSee @fig-nothing.\n"
        try Data(broken.utf8).write(to: file)
        await served.session.poll()
        let live = try #require(await served.session.live("nb"))
        let problem = try #require(live.problems.first)
        #expect(problem.file == file.path && problem.line == 9 && problem.column == 5 && problem.severity == "error", "\(problem)")
        #expect(problem.message == "citation of unknown figure '@fig-nothing'" && problem.hint == "'@fig-name' cites the figure of the cell named 'name'",
                "\(problem)")
        // The page is the last good one.
        #expect(try #require(await served.session.page("nb", nonce: "n")).contains("Some prose"))
        try Data(proseNotebook.replacingOccurrences(of: "Some prose", with: "Fixed prose").utf8).write(to: file)
        await served.session.poll()
        #expect(await served.session.live("nb")?.problems == [])
        #expect(try #require(await served.session.page("nb", nonce: "n")).contains("Fixed prose"))
    }

    /// A failure stays on the page and is not repeated by every save; Run repeats it.
    @Test func aFailedCellRunsAgainOnlyWhenAsked() async throws {
        let failing = proseNotebook + "\n```dataset digits\nsplit: test\nlimit: 10\n```\n"
        let served = try await Served.start(["nb.md": failing], data: "/nonexistent-data")
        defer { served.stop() }
        try await served.settle()
        #expect(try #require(await served.session.page("nb", nonce: "n")).contains("<strong>Error</strong> in cell 'digits'"))
        try Data(failing.replacingOccurrences(of: "Some prose", with: "Edited prose").utf8)
            .write(to: served.directory.appendingPathComponent("nb.md"))
        await served.session.poll()
        #expect(await served.session.live("nb")?.cells == [:])
        let page = try #require(await served.session.page("nb", nonce: "n"))
        #expect(page.contains("Edited prose") && page.contains("<strong>Error</strong> in cell 'digits'"))
        // Run does repeat it: the job's end renders the page again (a new version). Its state
        // in between is not looked at: failing at once, it may be over before the next look.
        let version = try #require(await served.session.live("nb")).version
        try await served.session.run(notebook: "nb", cell: "digits", downstream: false)
        try await served.settle()
        #expect(try #require(await served.session.live("nb")).version > version)
        #expect(try #require(await served.session.page("nb", nonce: "n")).contains("<strong>Error</strong> in cell 'digits'"))
    }

    @Test func aNotebookThatCannotBeReadStillGetsAPageWithItsProblem() async throws {
        let served = try await Served.start(["nb.md": "\u{0}\u{1}binary"])
        defer { served.stop() }
        let live = try #require(await served.session.live("nb"))
        #expect(live.problems.count == 1 && live.problems[0].severity == "error")
        #expect(await served.session.page("nb", nonce: "n") != nil)
    }
}

@Suite struct PreviewPageInjection {
    /// The page is the static page byte for byte, with the boot data and script before </body>;
    /// names from the notebook cannot end the script element.
    @Test func theBootDataIsEscapedAndThePageOtherwiseUnchanged() {
        let html = "<!DOCTYPE html>\n<html><body>\n<main class=\"report\"><p>x</p></main>\n</body>\n</html>\n"
        let boot = PreviewPage.Boot(page: "nb", versions: ["nb": 3], cells: [(name: "</script><script>alert(1)</script>", slug: "nb"), (name: "ae", slug: "nb")])
        let page = PreviewPage.inject(html, boot: boot, nonce: "abc")
        #expect(page.hasPrefix("<!DOCTYPE html>\n<html><body>\n<main class=\"report\"><p>x</p></main>\n<style>\n"))
        #expect(page.hasSuffix("</script>\n</body>\n</html>\n"))
        #expect(page.contains("""
            <script type="application/json" id="latentbook-preview">{"cells":[["cell-nb-script-script-alert-1-script","nb","\\u003c\\/script\\u003e\\u003cscript\\u003ealert(1)\\u003c\\/script\\u003e"],["cell-nb-ae","nb","ae"]],"page":"nb","versions":{"nb":3}}</script>
            <script nonce="abc">
            """))
        #expect(page.components(separatedBy: "<script").count == 3)
    }
}

/// A prose notebook whose title and sentence name it.
func titled(_ name: String) -> String {
    "---\ntitle: \(name)\n---\n\n# \(name)\n\n\(name) prose.\n"
}
