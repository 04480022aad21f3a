import Foundation
import ReportModel
import Testing

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Headless Chromium, as `make browserdeps` installs it.
let chromiumAvailable = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    .contains { FileManager.default.isExecutableFile(atPath: $0) }

/// Opens a page in headless Chromium (Tests/BrowserCheck/check_page.py): images decode, SVGs have
/// a bounding box, no console errors, no script, nothing fetched; writes a full-page screenshot.
func browserCheck(_ page: URL, screenshot: URL, forbidding globals: [String] = []) throws -> Run {
    try runProcess(playwrightPython ?? "/usr/bin/python3", [packageRoot.appendingPathComponent("Tests/BrowserCheck/check_page.py").path, page.path,
                                    "--screenshot", screenshot.path] + (globals.isEmpty ? [] : ["--forbid-global"] + globals))
}

/// Screenshots are kept for people to look at (README shows one).
let artifacts = packageRoot.appendingPathComponent(".build/browser-check")

/// A small notebook using every kind of output: sample grid, model summary, loss curve, latent
/// scatter, manifold with axis values, triplets, histogram and ROC, tables, references, citations.
let showcaseNotebook = """
    ---
    title: A small showcase
    author: LatentBook tests
    seed: 5
    ---

    # A small showcase

    A tiny model trained for {{ae.epochs}} epochs reaches a loss of {{ae.final_loss}}; @fig-plane shows
    its codes and @fig-manifold what it draws.

    ```dataset digits
    split: train
    limit: 2000
    show: 20
    ```

    ```dataset test
    split: test
    limit: 500
    ```

    ```dataset fashion
    source: fashion-mnist
    split: test
    limit: 500
    ```

    ```train ae
    data: digits
    epochs: 2
    ```

    ## Results

    ```plot loss
    kind: loss
    sources: [ae]
    caption: Loss per epoch.
    ```

    ```encode z
    model: ae
    data: test
    sample: 500
    ```

    ```plot plane
    kind: scatter
    sources: [z]
    title: Test digits in the latent plane
    ```

    ```decode manifold
    model: ae
    from: grid
    n: 8
    ```

    ```mask holes
    model: ae
    data: test
    size: [6, 10]
    sweep: [4, 8, 12]
    evaluate: 200
    ```

    ```score ood
    model: ae
    data: test
    versus: fashion
    limit: 500
    ```
    """

@Suite(.serialized)
struct RenderCommand {
    @Test(.enabled(if: dataDirectory != nil, "needs MNIST: set LATENTBOOK_DATA"))
    func aRenderedNotebookPassesTheBrowserCheckAndRerendersFromTheCache() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let notebook = dir.appendingPathComponent("showcase.md")
        try showcaseNotebook.write(to: notebook, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let arguments = ["render", notebook.path, "-o", out.path, "--cache", dir.appendingPathComponent("cache").path,
                         "--data", dataDirectory!, "--threads", "2", "--title", "Showcase"]
        let first = try latentbook(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        for name in ["showcase.html", "showcase.json", "index.html"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name) missing")
        }
        let html = try String(contentsOf: out.appendingPathComponent("showcase.html"), encoding: .utf8)
        #expect(html.contains("<a class=\"xref\" href=\"#fig-showcase-plane\">Figure 3</a>"))
        #expect(!html.contains("ref missing"))
        #expect(html.contains("<figcaption><span class=\"fignum\">Figure 2.</span> Loss per epoch.</figcaption>"))

        // Everything cached: same cells, nothing recomputed.
        let second = try latentbook(arguments)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("showcase.md: 10 cached →"), "\(second.stderr)")

        guard chromiumAvailable else {
            print("browser check skipped: chromium is not installed (make browserdeps installs it)")
            return
        }
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        for (page, shot) in [("showcase.html", "showcase.png"), ("index.html", "showcase-index.png")] {
            let check = try browserCheck(out.appendingPathComponent(page), screenshot: artifacts.appendingPathComponent(shot))
            #expect(check.status == 0, "\(page): \(check.stderr)\n\(check.stdout)")
            #expect(check.stdout.contains("\"broken_images\": []") && check.stdout.contains("\"console_errors\": []"))
            // 20 samples, the manifold, the triplets and two rows of reconstructions per dataset.
            #expect(check.stdout.contains("\"images\": 5"), "\(check.stdout)")
        }
    }

    /// Without data every dataset cell fails: error messages (carrying a hostile path), option
    /// values, prose, headings, title and author all reach the page as text, in a real browser.
    @Test(.enabled(if: chromiumAvailable, "needs chromium: make browserdeps"))
    func aHostileNotebookRunsNoScriptInABrowser() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let payload = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>"
        let notebook = dir.appendingPathComponent("hostile.md")
        try """
            ---
            title: "\(payload)"
            author: <svg onload=window.__pwned=3>
            data: "/nonexistent/<script>window.__pwned=4</script>"
            ---

            # \(payload)

            Text \(payload) [link](javascript:window.__pwned=5) {{d.count}} @fig-p

            <iframe src="javascript:window.__pwned=6"></iframe>

            ```dataset d
            split: test
            limit: 10
            title: "\(payload)"
            ```

            ```plot p
            kind: bar
            values: [d.count]
            labels: ["</text><script>window.__pwned=7</script>"]
            caption: "</figcaption>\(payload)"
            ```
            """.write(to: notebook, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let run = try latentbook(["render", notebook.path, "-o", out.path, "--cache", dir.appendingPathComponent("cache").path, "--title", payload],
                                 environment: ["PATH": "/usr/bin:/bin"])
        #expect(run.status == 1, "failed cells make the command fail: \(run.stderr)")
        for page in ["hostile.html", "index.html"] {
            let html = try String(contentsOf: out.appendingPathComponent(page), encoding: .utf8)
            #expect(html.contains("/nonexistent/&lt;script&gt;window.__pwned=4&lt;/script&gt;"), "the error message is shown, escaped")
            try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
            let check = try browserCheck(out.appendingPathComponent(page), screenshot: artifacts.appendingPathComponent("hostile-\(page).png"),
                                         forbidding: ["__pwned"])
            #expect(check.status == 0, "\(page): \(check.stderr)")
            #expect(check.stdout.contains("\"scripts_run\": []"), "\(check.stdout)")
        }
    }

    @Test(arguments: [
        (["render", "no-such.md"], "error: no such notebook or directory: no-such.md\n"),
        (["render", "Tests"], "error: Tests holds no notebooks (*.md)\n"),
    ])
    func badInputsAreReportedExactly(arguments: [String], message: String) throws {
        let run = try latentbook(arguments + ["-o", FileManager.default.temporaryDirectory.path])
        #expect(run.status == 2)
        #expect(run.stderr == message)
    }

    @Test func twoNotebooksWritingOnePageAreRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for sub in ["a", "b"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
            try "# x\n".write(to: dir.appendingPathComponent("\(sub)/nb.md"), atomically: true, encoding: .utf8)
        }
        let a = dir.appendingPathComponent("a/nb.md").path, b = dir.appendingPathComponent("b/nb.md").path
        let run = try latentbook(["render", a, b, "-o", dir.path])
        #expect(run.status == 2)
        #expect(run.stderr == "error: \(a) and \(b) would both be written to nb.html; rename one\n")
    }
}
