import Foundation
import Testing

/// The Python that has Playwright, as `make browserdeps` installs it.
let playwrightPython: String? = {
    let python = packageRoot.appendingPathComponent(".build/browser-venv/bin/python").path
    return FileManager.default.isExecutableFile(atPath: python) ? python : nil
}()

@Suite(.serialized)
struct PreviewCommand {
    /// The author's loop in a real browser (Tests/BrowserCheck/preview_test.py): prose edits in
    /// place, an option change retrains with live progress, Run, errors shown and cleared, Stop,
    /// two browsers, Ctrl-C.
    @Test(.enabled(if: dataDirectory != nil, "needs MNIST: set LATENTBOOK_DATA"),
          .enabled(if: playwrightPython != nil && chromiumAvailable, "needs Playwright and Chromium: make browserdeps"))
    func theAuthorsLoopWorksInTheBrowser() throws {
        let script = packageRoot.appendingPathComponent("Tests/BrowserCheck/preview_test.py").path
        let r = try runProcess(playwrightPython!, [script, "--latentbook", latentbookBinary, "--data", dataDirectory!,
                                                   "--screenshots", artifacts.path])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let measured = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect((measured?["prose_edit_ms"] as? [Int])?.count == 5, "\(r.stdout)")
    }

    @Test func listensOnLoopbackUnlessToldAndWarnsWhenTold() throws {
        let help = try latentbook(["preview", "--help"])
        #expect(help.stdout.contains("--host <host>") && help.stdout.contains("(default: 127.0.0.1)"), "\(help.stdout)")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let notebook = dir.appendingPathComponent("nb.md")
        try Data("# Nothing to run\n\nProse only.\n".utf8).write(to: notebook)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: latentbookBinary)
        process.arguments = ["preview", notebook.path, "--host", "0.0.0.0", "--port", "0",
                             "--cache", dir.appendingPathComponent("cache").path, "-o", dir.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let first = String(decoding: out.fileHandleForReading.availableDataLine(), as: UTF8.self)
        process.interrupt()
        process.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(first.hasPrefix("preview: http://0.0.0.0:"), "\(first)")
        #expect(stderr.hasPrefix("warning: listening on 0.0.0.0: other machines can read these pages; Run and Stop still need the token\n"), "\(stderr)")
        #expect(process.terminationStatus == 130)
    }
}

extension FileHandle {
    /// Reads up to the first newline (the preview's address line), or to the end.
    func availableDataLine() -> Data {
        var line = Data()
        while true {
            let byte = readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { return line }
            line.append(byte)
        }
    }
}
