import Foundation
import Preview
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
        try await served.session.run(notebook: "nb", cell: "digits", downstream: false)
        #expect(await served.session.live("nb")?.cells["digits"].map { $0.state == .queued || $0.state == .running } == true)
        try await served.settle()
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
