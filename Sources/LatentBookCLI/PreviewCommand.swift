import ArgumentParser
import Foundation
import Preview
import Runtime

struct PreviewNotebooks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Serve the rendered notebooks live: pages update as the files are saved and cells run; Run and Stop in the page.")

    @Argument(help: "Notebook files, or directories whose *.md notebooks are served in name order, new ones as they are saved (default: notebooks).")
    var inputs: [String] = ["notebooks"]
    @OptionGroup var options: NotebookOptions
    @Option(help: "Directory holding mnist/ and fashion-mnist/ (default: front matter 'data', $LATENTBOOK_DATA, then data/).")
    var data: String?
    @Option(name: .shortAndLong, help: "Where the static pages are written, as render writes them.") var output = "output"
    @Option(help: "Title of the full report.") var title = "LatentBook report"
    @Option(help: "Port to listen on (0: any free port).") var port = 4848
    @Option(help: "Address to listen on. Anything but loopback lets other machines read the pages.") var host = "127.0.0.1"
    @Option(help: "Threads (default: all cores).") var threads = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() throws {
        // Ctrl-C ends at once: every file is written whole, a training keeps its finished epochs.
        installInterruptHandler()
        AtomicFile.removeStaleTemporaries(in: URL(fileURLWithPath: output))
        try reportingErrors {
            let paths = try notebookPaths(inputs)
            let store = try ResultStore(directory: URL(fileURLWithPath: options.cache))
            let configuration = PreviewSession.Configuration(
                paths: paths, directories: inputs.filter(isDirectory), profile: options.profile, threads: threads, data: data,
                output: URL(fileURLWithPath: output), title: title)
            if !PreviewServer.isLoopback(host) {
                printError("warning: listening on \(host): other machines can read these pages; Run and Stop still need the token")
            }
            let session = PreviewSession(configuration, store: store)
            let server = PreviewServer(session: session, host: host, port: port)
            let failure = FailureBox()
            let done = DispatchSemaphore(value: 0)
            Task {
                await session.start()
                let watcher = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: PreviewSession.pollInterval)
                        await session.poll()
                    }
                }
                do {
                    try await server.run { port in
                        let shown = host.contains(":") ? "[\(host)]" : host
                        // Unbuffered: a script waiting for the address must not wait for a buffer.
                        FileHandle.standardOutput.write(Data(("preview: http://\(shown):\(port)/?token=\(server.token)\n"
                            + "serving \(paths.count) notebook\(paths.count == 1 ? "" : "s"); Ctrl-C stops\n").utf8))
                    }
                } catch {
                    failure.error = error
                }
                watcher.cancel()
                done.signal()
            }
            done.wait()
            if let error = failure.error { throw CommandError("cannot serve on \(host):\(port): \(error)") }
        }
    }
}

private final class FailureBox: @unchecked Sendable {
    var error: (any Error)?
}
