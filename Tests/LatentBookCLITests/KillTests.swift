import Engine
import Foundation
import ReportModel
import Runtime
import Testing

/// Small enough that a whole render takes a few seconds on 2 threads, yet it goes through every
/// kind of write a render makes: dataset, per-epoch checkpoints, results, index, JSON, pages.
func killNotebook(seed: Int, epochs: Int = 5) -> String {
    """
    ---
    title: Killed at random
    seed: \(seed)
    ---
    # Killed at random

    The loss ends at {{ae.final_loss}} after {{ae.epochs}} epochs.

    ```dataset digits
    split: train
    limit: 1000
    ```

    ```train ae
    data: digits
    epochs: \(epochs)
    batch: 32
    ```

    ```encode z
    model: ae
    data: digits
    sample: 200
    ```

    ```decode manifold
    model: ae
    from: grid
    n: 8
    ```

    ```plot loss
    kind: loss
    sources: [ae]
    ```
    """
}

let interruptedLine = "interrupted: finished cells and epochs are kept; run again to continue"

@Suite(.enabled(if: dataDirectory != nil, "needs MNIST: set LATENTBOOK_DATA"), .serialized)
struct KillAtRandom {
    /// The issue's bar: 20 real renders in a row, each killed (SIGKILL or Ctrl-C) at a uniformly
    /// random moment of a full run, each followed by checks of everything on disk and a resumed
    /// render. LATENTBOOK_KILL_SEED=<n> replays a failing sequence of moments.
    @Test func rendersKilledAtRandomMomentsLoseNothingAndResume() throws {
        let rngSeed = ProcessInfo.processInfo.environment["LATENTBOOK_KILL_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 0..<1_000_000)
        print("kill test: LATENTBOOK_KILL_SEED=\(rngSeed)")
        var random = SeededGenerator(seed: rngSeed)  // seeded, so a failing sequence of kill moments replays
        let testStart = ContinuousClock.now
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let notebook = dir.appendingPathComponent("nb.md"), out = dir.appendingPathComponent("out")
        let cache = dir.appendingPathComponent("cache")
        let arguments = ["render", notebook.path, "-o", out.path, "--cache", cache.path, "--data", dataDirectory!, "--threads", "2"]

        // The previous report, and how long a run with everything to compute takes: the shorter
        // of two, as the first also reads MNIST from disk and the machine is shared.
        var full = Double.infinity
        for seed in [999, 1000] {
            try killNotebook(seed: seed).write(to: notebook, atomically: true, encoding: .utf8)
            let start = ContinuousClock.now
            let render = try latentbook(arguments)
            full = min(full, seconds(ContinuousClock.now - start))
            try #require(render.status == 0, "\(render.stderr)")
        }
        var previous = try completeReport(out, "LATENTBOOK_KILL_SEED=\(rngSeed) first renders")
        print("kill test: a full render takes \(format(full)) s")

        var outcomes: [String: Int] = [:], leftovers = 0, kills = 0, attempt = 0
        var resumedMidTraining: (seed: Int, metrics: [String: [String: Double]])?
        // A run that ends before its moment is checked like the others but is not a kill: go on
        // until 20 runs were stopped (bounded). The first renders may have shared the machine
        // with other suites, so a run that finishes early shortens the span moments are drawn from.
        while kills < 20 && attempt < 60 {
            attempt += 1
            let seed = 1000 + attempt
            try killNotebook(seed: seed).write(to: notebook, atomically: true, encoding: .utf8)
            let moment = Double.random(in: 0..<full, using: &random)
            let signal = kills.isMultiple(of: 2) ? SIGINT : SIGKILL
            let context = "LATENTBOOK_KILL_SEED=\(rngSeed) attempt \(attempt), kill \(kills + 1)/20 (notebook seed \(seed)): "
                + "\(signal == SIGINT ? "SIGINT" : "SIGKILL") at \(format(moment)) s of \(format(full)) s"

            let errFile = dir.appendingPathComponent("killed-\(attempt).txt")
            let started = ContinuousClock.now
            let process = try startLatentbook(arguments, stderr: errFile)
            usleep(useconds_t(moment * 1e6))
            process.signal(signal)
            let end = process.wait()
            let killed = try String(contentsOf: errFile, encoding: .utf8)

            // How it ended: finished before the signal, or stopped by it as documented.
            let outcome: String
            switch end {
            case .exited(0):
                outcome = "finished first"
                full = min(full, seconds(ContinuousClock.now - started))
                #expect(killed.contains("wrote \(out.path)/index.html"), "\(context): exit 0 without finishing\n\(killed)")
            case .exited(130) where signal == SIGINT:
                // Even at startup: SIGINT arrives blocked (see `Child`) and waits for the handler.
                outcome = "interrupted"
                #expect(killed.hasSuffix(interruptedLine + "\n"), "\(context)\n\(killed)")
            case .signalled(SIGKILL) where signal == SIGKILL:
                outcome = "killed"
            default:
                outcome = "unexpected"
                Issue.record("\(context): ended with \(end)\n\(killed)")
            }
            outcomes[outcome, default: 0] += 1
            if outcome != "finished first" { kills += 1 }

            // Each file of the report is the previous one or a complete new one, never partial.
            let now = try reportFiles(out)
            #expect(now.count == reportNames.count, "\(context): \(now.keys.sorted())")
            for (name, bytes) in now where bytes != previous[name] {
                checkComplete(name, bytes, context)
            }
            let stray = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { now[$0] == nil }
            #expect(stray.allSatisfy { isTemporary($0, of: process.pid) }, "\(context): \(stray)")
            leftovers += try temporaries(under: [out, cache]).count
            try verifyEntries(cache, dir.appendingPathComponent("verify"), context)

            // The same render to completion continues from what the killed one finished.
            let resumed = try latentbook(arguments)
            #expect(resumed.status == 0, "\(context)\n\(resumed.stderr)")
            #expect(!resumed.stderr.contains("corrupt") && !resumed.stderr.contains("unreadable"), "\(context)\n\(resumed.stderr)")
            previous = try completeReport(out, context)
            let status = try summary(out)
            let lastEpoch = epochsReported(killed).max() ?? 0
            let resumedAfter = resumedEpoch(resumed.stderr)
            if status["ae"]!.status == "fresh" && lastEpoch >= 1 {
                #expect(resumedAfter.map { $0 >= lastEpoch } == true,
                        "\(context): epoch \(lastEpoch) was reported, then training did not resume after it\n\(killed)\n\(resumed.stderr)")
            }
            if status["ae"]!.status == "cached" {
                #expect(!resumed.stderr.contains("] train ae"), "\(context): a cached model was retrained")
            }
            if let j = resumedAfter, (1..<5).contains(j) {
                resumedMidTraining = (seed, try metrics(out))
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("partial").path).isEmpty,
                    "\(context): partial state left after a complete run")
            #expect(try temporaries(under: [out, cache]).isEmpty, "\(context): temp files left after a complete run")
            try verifyEntries(cache, dir.appendingPathComponent("verify"), context)
        }
        print("kill test: \(attempt) runs: \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); "
              + "temp files left by kills (all removed by the next run): \(leftovers)")
        #expect(kills == 20 && outcomes["interrupted"] == 10 && outcomes["killed"] == 10, "LATENTBOOK_KILL_SEED=\(rngSeed)")

        // Exact resume: a model killed mid-training and resumed equals one trained without a stop.
        if resumedMidTraining == nil {
            let seed = 2000
            try killNotebook(seed: seed).write(to: notebook, atomically: true, encoding: .utf8)
            let errFile = dir.appendingPathComponent("killed-exact.txt")
            let process = try startLatentbook(arguments, stderr: errFile)
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, process.isRunning,
                  !(try String(contentsOf: errFile, encoding: .utf8)).contains("ae: epoch 2/5") { usleep(10_000) }
            process.signal(SIGKILL)
            process.wait()
            let resumed = try latentbook(arguments)
            #expect(resumed.status == 0 && resumedEpoch(resumed.stderr).map { (1..<5).contains($0) } == true, "\(resumed.stderr)")
            resumedMidTraining = (seed, try metrics(out))
        }
        let (seed, resumedMetrics) = try #require(resumedMidTraining)
        let clean = dir.appendingPathComponent("uninterrupted")
        try FileManager.default.createDirectory(at: clean, withIntermediateDirectories: true)
        try killNotebook(seed: seed).write(to: clean.appendingPathComponent("nb.md"), atomically: true, encoding: .utf8)
        let reference = try latentbook(["render", clean.appendingPathComponent("nb.md").path, "-o", clean.appendingPathComponent("out").path,
                                        "--cache", clean.appendingPathComponent("cache").path, "--data", dataDirectory!, "--threads", "2"])
        #expect(reference.status == 0, "\(reference.stderr)")
        let referenceMetrics = try metrics(clean.appendingPathComponent("out"))
        #expect(resumedMetrics["ae"]?["final_loss"] != nil)
        #expect(resumedMetrics == referenceMetrics, "LATENTBOOK_KILL_SEED=\(rngSeed) notebook seed \(seed)")
        print("kill test: exact resume checked on notebook seed \(seed); took \(format(seconds(ContinuousClock.now - testStart))) s")
    }

    /// The riskiest instant: the last epoch is checkpointed and reported, and the model is being
    /// saved as the cell's result. A kill there must not cost the training: the next run finds
    /// the model cached, or resumes after the last epoch; it trains no epoch again.
    @Test func aKillJustAfterTheLastEpochLosesNoTraining() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let notebook = dir.appendingPathComponent("nb.md")
        try killNotebook(seed: 3000).write(to: notebook, atomically: true, encoding: .utf8)
        let arguments = ["render", notebook.path, "-o", dir.appendingPathComponent("out").path, "--cache", dir.appendingPathComponent("cache").path,
                         "--data", dataDirectory!, "--threads", "2"]
        let errFile = dir.appendingPathComponent("killed.txt")
        let process = try startLatentbook(arguments, stderr: errFile)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning,
              !(try String(contentsOf: errFile, encoding: .utf8)).contains("ae: epoch 5/5") { usleep(1_000) }
        process.signal(SIGKILL)
        #expect(process.wait() == .signalled(SIGKILL), "the run ended before the kill: nothing tested")
        let resumed = try latentbook(arguments)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(!resumed.stderr.contains("ae: epoch "), "trained again after a kill past the last epoch:\n\(resumed.stderr)")
        let how = resumed.stderr.contains("resuming 'ae' after epoch 5") ? "resumed after epoch 5"
            : resumed.stderr.contains("] train ae") ? "trained again" : "found the model cached"
        print("kill after the last epoch: the next run \(how)")
    }

    /// Two renders of the same notebooks into one cache and one output directory at once: the
    /// lock makes one compute each cell and the other load it; both finish with whole pages.
    @Test func twoRendersAtOnceShareTheCacheAndTheOutput() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let notebooks = dir.appendingPathComponent("notebooks")
        try FileManager.default.createDirectory(at: notebooks, withIntermediateDirectories: true)
        let shared = """
            ---
            title: Sharing %@
            seed: 7
            ---
            The loss ends at {{ae.final_loss}}.

            ```dataset digits
            split: train
            limit: 1000
            ```

            ```train ae
            data: digits
            epochs: 3
            batch: 32
            ```

            """
        try (shared.replacingOccurrences(of: "%@", with: "a") + "```encode z\nmodel: ae\ndata: digits\nsample: 200\n```\n")
            .write(to: notebooks.appendingPathComponent("a.md"), atomically: true, encoding: .utf8)
        try (shared.replacingOccurrences(of: "%@", with: "b") + "```decode manifold\nmodel: ae\nfrom: grid\nn: 8\n```\n")
            .write(to: notebooks.appendingPathComponent("b.md"), atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out"), cache = dir.appendingPathComponent("cache")
        let arguments = ["render", notebooks.path, "-o", out.path, "--cache", cache.path, "--data", dataDirectory!, "--threads", "1"]

        let errFiles = (0..<2).map { dir.appendingPathComponent("render\($0).txt") }
        let processes = try errFiles.map { try startLatentbook(arguments, stderr: $0) }
        let ends = processes.map { $0.wait() }
        let stderrs = try errFiles.map { try String(contentsOf: $0, encoding: .utf8) }
        for (end, err) in zip(ends, stderrs) { #expect(end == .exited(0), "\(err)") }

        // Each cell computed by exactly one of them: "[i/n] <directive> <name>" is logged per computation.
        let both = stderrs.joined()
        for cell in ["dataset digits", "train ae", "encode z", "decode manifold"] {
            #expect(both.components(separatedBy: "] \(cell)\n").count - 1 == 1, "\(cell) computed other than once\n\(both)")
        }
        // Per notebook and process "a.md: 1 fresh, 2 cached → …": 4 distinct results, 12 records in all.
        let counts = ["fresh", "cached"].map { status in
            both.split(separator: "\n").filter { $0.contains(".md: ") && $0.contains(" → ") }.reduce(0) { total, line in
                let words = line.split(separator: " ").map { $0.trimmingCharacters(in: [","]) }
                return total + words.indices.dropFirst().reduce(0) { $0 + (words[$1] == status ? Int(words[$1 - 1]) ?? 0 : 0) }
            }
        }
        #expect(counts == [4, 8], "fresh and cached records: \(counts)\n\(both)")

        for name in ["a", "b"] {
            checkComplete("\(name).html", try Data(contentsOf: out.appendingPathComponent("\(name).html")), "concurrent render")
            checkComplete("\(name).json", try Data(contentsOf: out.appendingPathComponent("\(name).json")), "concurrent render")
        }
        let index = try Data(contentsOf: out.appendingPathComponent("index.html"))
        checkComplete("index.html", index, "concurrent render")
        #expect(String(decoding: index, as: UTF8.self).contains("href=\"a.html\"") && String(decoding: index, as: UTF8.self).contains("href=\"b.html\""))
        #expect(try temporaries(under: [out, cache]).isEmpty)
        try verifyEntries(cache, dir.appendingPathComponent("verify"), "concurrent render")

        // The cache is whole: a third render computes nothing.
        let third = try latentbook(arguments)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(!third.stderr.contains("] "), "\(third.stderr)")
        for name in ["a", "b"] {
            #expect(try summary(out, name).values.allSatisfy { $0.status == "cached" })
        }
    }
}

// MARK: - Helpers

/// Starts `latentbook` in the background; stderr goes to a file that can be read after a kill.
private func startLatentbook(_ arguments: [String], stderr: URL) throws -> Child {
    try Child(latentbookBinary, arguments, stderr: stderr)
}

/// A child process with SIGINT and SIGTERM at their default action but blocked. Default: a runner
/// started in the background by a script ignores SIGINT, and `latentbook`, like other Unix tools,
/// keeps an inherited ignore (so that Ctrl-C spares a script's background jobs). Blocked: that is
/// how Foundation's Process starts a child from a test's dispatch thread, and `latentbook` must
/// unblock them to be interruptible at all.
private final class Child {
    let pid: pid_t
    private var status: Int32?

    init(_ executable: String, _ arguments: [String], stderr: URL) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), mask = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        sigaddset(&mask, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard code == 0 else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(code))]) }
        self.pid = pid
    }

    /// Reaps the child if it has ended; a reaped pid is never signalled (it may be reused).
    var isRunning: Bool {
        if status != nil { return false }
        var s: Int32 = 0
        if waitpid(pid, &s, WNOHANG) == pid { status = s }
        return status == nil
    }

    func signal(_ number: Int32) {
        if isRunning { kill(pid, number) }
    }

    /// Waits for the end: `.exited(code)` or `.signalled(number)`.
    @discardableResult
    func wait() -> Termination {
        while status == nil {
            var s: Int32 = 0
            if waitpid(pid, &s, 0) == pid { status = s } else if errno != EINTR { preconditionFailure("waitpid: \(errno)") }
        }
        // The <sys/wait.h> macros, which Swift does not import.
        return status! & 0x7F == 0 ? .exited((status! >> 8) & 0xFF) : .signalled(status! & 0x7F)
    }

    enum Termination: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)
        var description: String {
            switch self {
            case .exited(let code): "exit status \(code)"
            case .signalled(let number): "signal \(number)"
            }
        }
    }
}

private let reportNames = ["nb.html", "nb.json", "index.html"]

/// The report files that exist now.
private func reportFiles(_ out: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for name in reportNames {
        if let data = FileManager.default.contents(atPath: out.appendingPathComponent(name).path) { files[name] = data }
    }
    return files
}

/// After a run that finished: every file there and whole.
private func completeReport(_ out: URL, _ context: String) throws -> [String: Data] {
    let files = try reportFiles(out)
    #expect(files.count == reportNames.count, "\(context): \(files.keys.sorted())")
    for (name, bytes) in files { checkComplete(name, bytes, context) }
    return files
}

/// A whole page or summary: the JSON decodes with every cell finished; a page has the whole
/// document structure and the cited metric filled in.
private func checkComplete(_ name: String, _ bytes: Data, _ context: String) {
    if name.hasSuffix(".json") {
        let json = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any]
        let cells = json?["cells"] as? [[String: Any]] ?? []
        #expect(!cells.isEmpty && cells.allSatisfy { ["fresh", "cached"].contains($0["status"] as? String) },
                "\(context): \(name) is not a complete summary (\(bytes.count) bytes)")
        let references = json?["references"] as? [[String: Any]] ?? []
        #expect(references.allSatisfy { $0["value"] is String }, "\(context): \(name) has a reference without a value")
        return
    }
    let html = String(decoding: bytes, as: UTF8.self)
    #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">\n<head>") && html.hasSuffix("</main>\n</body>\n</html>\n"),
            "\(context): \(name) is not a complete page (\(bytes.count) bytes)")
    #expect(html.components(separatedBy: "<body>").count == 2 && !html.contains("ref missing"), "\(context): \(name) is malformed")
}

/// `.<name>.tmp-<pid>-<hex>`, as AtomicFile names its temp files; with `pid`, that writer's only.
private func isTemporary(_ name: String, of pid: Int32? = nil) -> Bool {
    guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards) else { return false }
    let parts = name[range.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, let owner = Int32(parts[0]), !parts[1].isEmpty, parts[1].allSatisfy(\.isHexDigit) else { return false }
    return pid.map { $0 == owner } ?? true
}

/// Temp files anywhere below the directories.
private func temporaries(under directories: [URL]) throws -> [String] {
    directories.flatMap { dir in
        (FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String] ?? [])
            .filter { isTemporary(URL(fileURLWithPath: $0).lastPathComponent) }
    }
}

/// Loads every entry of the cache through `ResultStore`, which verifies framing and SHA-256.
/// Done on hard links in `scratch`, because opening a store sweeps temp files, and whether the
/// next `latentbook` run sweeps them is part of what is tested.
private func verifyEntries(_ cache: URL, _ scratch: URL, _ context: String) throws {
    try? FileManager.default.removeItem(at: scratch)
    defer { try? FileManager.default.removeItem(at: scratch) }
    var keys: [String] = []
    for shard in try FileManager.default.contentsOfDirectory(atPath: cache.path) where shard.count == 2 {
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent(shard), withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent(shard).path) {
            #expect(!name.contains(".corrupt-"), "\(context): a damaged entry was moved aside: \(name)")
            guard name.hasSuffix(".entry") else { continue }
            try FileManager.default.linkItem(at: cache.appendingPathComponent("\(shard)/\(name)"),
                                             to: scratch.appendingPathComponent("\(shard)/\(name)"))
            keys.append(String(name.dropLast(".entry".count)))
        }
    }
    let store = try ResultStore(directory: scratch)
    for key in keys {
        if case .hit = store.load(key) { continue }
        Issue.record("\(context): cache entry \(key) does not verify: \(store.load(key))")
    }
    #expect(!keys.isEmpty, "\(context): no cache entries")
}

/// k of every "ae: epoch k/N" line: epochs reported, hence checkpointed.
private func epochsReported(_ stderr: String) -> [Int] {
    stderr.split(separator: "\n").compactMap { line in
        guard let r = line.range(of: "ae: epoch ") else { return nil }
        return Int(line[r.upperBound...].prefix { $0.isNumber })
    }
}

/// j of "resuming 'ae' after epoch j".
private func resumedEpoch(_ stderr: String) -> Int? {
    guard let r = stderr.range(of: "resuming 'ae' after epoch ") else { return nil }
    return Int(stderr[r.upperBound...].prefix { $0.isNumber })
}

/// Numeric metrics per cell, without those that measure time.
private func metrics(_ out: URL) throws -> [String: [String: Double]] {
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("nb.json"))) as! [String: Any]
    var result: [String: [String: Double]] = [:]
    for cell in json["cells"] as! [[String: Any]] {
        let all = cell["metrics"] as? [String: Any] ?? [:]
        result[cell["name"] as! String] = all.compactMapValues { $0 as? Double }
            .filter { !["seconds", "seconds_per_epoch", "images_per_second"].contains($0.key) }
    }
    return result
}

private func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

private func format(_ x: Double) -> String { String(format: "%.2f", x) }
