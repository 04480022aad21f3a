import Foundation
import ReportModel
import Testing

func trainingNotebook(epochs: Int = 3) -> String {
    """
    ---
    title: Resume
    seed: 2
    ---
    ```dataset digits
    split: train
    limit: 6000
    ```

    ```train ae
    data: digits
    epochs: \(epochs)
    ```

    ```encode z
    model: ae
    data: digits
    sample: 200
    ```

    The loss ends at {{ae.final_loss}}.
    """
}

/// The JSON summary `run` writes: per cell name, its status and final_loss.
func summary(_ dir: URL, _ name: String = "nb") throws -> [String: (status: String, finalLoss: Double?)] {
    let data = try Data(contentsOf: dir.appendingPathComponent("\(name).json"))
    let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    var out: [String: (String, Double?)] = [:]
    for cell in json["cells"] as! [[String: Any]] {
        let metrics = cell["metrics"] as? [String: Any]
        let loss = metrics?["final_loss"] as? Double
        out[cell["name"] as! String] = (cell["status"] as! String, loss)
    }
    return out
}

@Suite(.enabled(if: dataDirectory != nil, "needs MNIST: set LATENTBOOK_DATA"), .serialized)
struct RunCommand {
    @Test func killedTrainingResumesAtTheLastFinishedEpochWithIdenticalResults() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let notebook = dir.appendingPathComponent("nb.md")
        try trainingNotebook().write(to: notebook, atomically: true, encoding: .utf8)
        func arguments(_ cache: String, _ out: String) -> [String] {
            ["run", notebook.path, "--cache", dir.appendingPathComponent(cache).path, "-o", dir.appendingPathComponent(out).path,
             "--data", dataDirectory!, "--threads", "2"]
        }
        // Uninterrupted reference run.
        let reference = try latentbook(arguments("cache-a", "out-a"))
        #expect(reference.status == 0, "\(reference.stderr)")

        // Start the same run elsewhere, kill -9 it once the first epoch has been checkpointed.
        let errFile = dir.appendingPathComponent("stderr.txt")
        FileManager.default.createFile(atPath: errFile.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: latentbookBinary)
        process.arguments = arguments("cache-b", "out-b")
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, process.isRunning,
              !(try String(contentsOf: errFile, encoding: .utf8)).contains("ae: epoch 1/3") { usleep(20_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let partial = dir.appendingPathComponent("cache-b/partial")
        #expect(try FileManager.default.contentsOfDirectory(atPath: partial.path).contains { $0.hasSuffix(".safetensors") })

        let resumed = try latentbook(arguments("cache-b", "out-b"))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming 'ae' after epoch"), "\(resumed.stderr)")
        let a = try summary(dir.appendingPathComponent("out-a")), b = try summary(dir.appendingPathComponent("out-b"))
        #expect(a["ae"]!.finalLoss != nil && a["ae"]!.finalLoss == b["ae"]!.finalLoss)
        #expect(try FileManager.default.contentsOfDirectory(atPath: partial.path).isEmpty)
    }

    @Test func twoRunsAtOnceShareTheWorkAndTheCache() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let notebook = dir.appendingPathComponent("nb.md")
        try trainingNotebook(epochs: 2).write(to: notebook, atomically: true, encoding: .utf8)
        let processes = (0..<2).map { i -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: latentbookBinary)
            p.arguments = ["run", notebook.path, "--cache", dir.appendingPathComponent("cache").path,
                           "-o", dir.appendingPathComponent("out\(i)").path, "--data", dataDirectory!, "--threads", "1"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            return p
        }
        for p in processes { try p.run() }
        for p in processes { p.waitUntilExit(); #expect(p.terminationStatus == 0) }
        let runs = try (0..<2).map { try summary(dir.appendingPathComponent("out\($0)")) }
        // each cell computed by exactly one process, loaded by the other
        for cell in ["digits", "ae", "z"] {
            #expect(Set(runs.map { $0[cell]!.status }) == ["fresh", "cached"], "\(cell)")
        }
        #expect(runs[0]["ae"]!.finalLoss == runs[1]["ae"]!.finalLoss)
        // and the cache is intact: a third run finds everything
        let third = try latentbook(["run", notebook.path, "--cache", dir.appendingPathComponent("cache").path,
                                    "-o", dir.appendingPathComponent("out2").path, "--data", dataDirectory!])
        #expect(third.status == 0)
        #expect(try summary(dir.appendingPathComponent("out2")).values.allSatisfy { $0.status == "cached" })
    }

    @Test func cellsListsStatusAndCellRerunsOne() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let notebook = dir.appendingPathComponent("nb.md")
        try trainingNotebook(epochs: 1).write(to: notebook, atomically: true, encoding: .utf8)
        let cache = dir.appendingPathComponent("cache").path, out = dir.appendingPathComponent("out").path
        let before = try latentbook(["cells", notebook.path, "--cache", cache])
        #expect(before.stdout.split(separator: "\n").dropFirst(2).allSatisfy { $0.contains("never run") }, "\(before.stdout)")
        _ = try latentbook(["run", notebook.path, "--cache", cache, "-o", out, "--data", dataDirectory!])
        let after = try latentbook(["cells", notebook.path, "--cache", cache])
        #expect(after.stdout.split(separator: "\n").dropFirst(2).allSatisfy { $0.contains("cached") }, "\(after.stdout)")

        try trainingNotebook(epochs: 2).write(to: notebook, atomically: true, encoding: .utf8)
        let stale = try latentbook(["cells", notebook.path, "--cache", cache]).stdout.split(separator: "\n").map(String.init)
        #expect(stale[2].contains("digits") && stale[2].contains("cached"))
        #expect(stale[3].contains("ae") && stale[3].contains("stale"))

        let one = try latentbook(["run", notebook.path, "--cache", cache, "-o", out, "--data", dataDirectory!, "--cell", "3"])
        #expect(one.status == 0, "\(one.stderr)")
        let s = try summary(URL(fileURLWithPath: out))
        #expect(s["z"]!.status == "fresh" && s["ae"]!.status == "fresh" && s["digits"]!.status == "cached")
        let missing = try latentbook(["run", notebook.path, "--cache", cache, "-o", out, "--cell", "zz"])
        #expect(missing.status == 2 && missing.stderr.hasSuffix("error: no cell named 'zz' (did you mean 'z'?)\n"))
    }

    @Test func renderCellRerunsThatCellAndUpdatesThePage() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let notebook = dir.appendingPathComponent("nb.md")
        try trainingNotebook(epochs: 1).write(to: notebook, atomically: true, encoding: .utf8)
        let cache = dir.appendingPathComponent("cache").path, out = dir.appendingPathComponent("out").path
        let first = try latentbook(["render", notebook.path, "--cache", cache, "-o", out, "--data", dataDirectory!])
        #expect(first.status == 0, "\(first.stderr)")
        let page = dir.appendingPathComponent("out/nb.html")
        try Data("stale page".utf8).write(to: page)

        let one = try latentbook(["render", notebook.path, "--cache", cache, "-o", out, "--data", dataDirectory!, "--cell", "ae", "--downstream"])
        #expect(one.status == 0, "\(one.stderr)")
        // ae and z, which reads it, are computed again; digits comes from the cache; the page is whole again.
        let started = one.stderr.split(separator: "\n").filter { $0.hasPrefix("[") }
        #expect(started == ["[2/3] train ae", "[3/3] encode z"], "\(one.stderr)")
        let s = try summary(URL(fileURLWithPath: out))
        #expect(s["digits"]!.status == "cached" && s["ae"]!.status == "fresh" && s["z"]!.status == "fresh")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("id=\"cell-nb-z\"") && !html.contains("not run"), "\(html.prefix(200))")

        let other = dir.appendingPathComponent("other.md")
        try trainingNotebook(epochs: 1).write(to: other, atomically: true, encoding: .utf8)
        let two = try latentbook(["render", notebook.path, other.path, "--cache", cache, "-o", out, "--cell", "ae"])
        #expect(two.status == 2 && two.stderr == "error: --cell takes exactly one notebook; 2 were given\n", "\(two.stderr)")
        let lone = try latentbook(["render", notebook.path, "--cache", cache, "-o", out, "--downstream"])
        #expect(lone.status == 64 && lone.stderr.contains("--downstream needs --cell"))
    }

    @Test func checkReportsEveryErrorAndExitsOne() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let notebook = dir.appendingPathComponent("bad.md")
        try "```dataset d\nsplit: tests\n```\n\n```train t\ndata: d\nepoch: 2\n```\n".write(to: notebook, atomically: true, encoding: .utf8)
        let run = try latentbook(["check", notebook.path])
        #expect(run.status == 1)
        #expect(run.stderr == """
            \(notebook.path):2:8: error: option 'split' must be one of train, test, all, got 'tests' (did you mean 'test'?)
            \(notebook.path):7:1: error: unknown option 'epoch' for 'train' (did you mean 'epochs'?)
            2 errors

            """)
        let good = dir.appendingPathComponent("good.md")
        try trainingNotebook().write(to: good, atomically: true, encoding: .utf8)
        let ok = try latentbook(["check", good.path])
        #expect(ok.status == 0 && ok.stderr.isEmpty)
    }
}
