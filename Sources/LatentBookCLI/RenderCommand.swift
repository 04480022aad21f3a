import ArgumentParser
import Foundation
import Notebook
import Render
import Runtime

struct RenderReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Run notebooks (from the cache where possible) and write HTML reports: one page each and index.html.")

    @Argument(help: "Notebook files, or directories whose *.md notebooks are rendered in name order.") var inputs: [String]
    @OptionGroup var options: NotebookOptions
    @Option(help: "Directory holding mnist/ and fashion-mnist/ (default: front matter 'data', $LATENTBOOK_DATA, then data/).")
    var data: String?
    @Option(name: .shortAndLong, help: "Where to write <notebook>.html, <notebook>.json and index.html.") var output = "output"
    @Option(help: "Title of index.html.") var title = "LatentBook report"
    @Option(help: "Rerun this cell (name or 1-based index) even if cached, and update the page; the other cells come from the cache.")
    var cell: String?
    @Flag(help: "With --cell: also rerun the cells that depend on it.") var downstream = false
    @Option(help: "Threads (default: all cores).") var threads = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if downstream && cell == nil { throw ValidationError("--downstream needs --cell") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        installInterruptHandler()
        AtomicFile.removeStaleTemporaries(in: URL(fileURLWithPath: output))
        var failed = false
        try reportingErrors {
            let paths = try notebookPaths(inputs)
            if cell != nil && paths.count != 1 { throw CommandError("--cell takes exactly one notebook; \(paths.count) were given") }
            let plans = try loadPlans(paths, profile: options.profile)
            let runner = Runner(store: try ResultStore(directory: URL(fileURLWithPath: options.cache)))
            let footer = ReportFooter(date: ReportFooter.timestamp(Date()), profile: options.profile, threads: threads)
            var rendered: [ReportNotebook] = []
            let images = EncodedImages()
            for plan in plans {
                guard let plan else { failed = true; continue }
                let selection = try cell.map { CellSelection.rerun(try plan.cell(matching: $0), downstream: downstream) } ?? .all
                let run = try runNotebook(plan, selection, runner: runner, threads: threads, data: data, output: output)
                failed = failed || run.failed
                let notebook = ReportNotebook(notebook: plan.notebook, records: run.records, slug: run.slug, claims: run.claims)
                try write(ReportHTML.page(notebook, footer: footer, images: images), to: pageName(run.slug))
                rendered.append(notebook)
            }
            try write(ReportHTML.index(title: title, notebooks: rendered, footer: footer, images: images), to: "index.html")
        }
        if failed { throw ExitStatus.notebookErrors }
    }

    private func write(_ html: String, to name: String) throws {
        let url = URL(fileURLWithPath: output).appendingPathComponent(name)
        let bytes = Array(html.utf8)
        try AtomicFile.write(bytes, to: url)
        printError("wrote \(url.path) (\(kilobytes(bytes.count)))")
    }
}

/// Whether `path` names a directory (of notebooks, which the preview also watches).
func isDirectory(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
}

/// Files as given; directories contribute their notebooks (`NotebookFile.notebooks(in:)`), sorted by name.
func notebookPaths(_ inputs: [String]) throws -> [String] {
    var paths: [String] = []
    for input in inputs {
        guard FileManager.default.fileExists(atPath: input) else { throw CommandError("no such notebook or directory: \(input)") }
        guard isDirectory(input) else { paths.append(input); continue }
        guard let found = NotebookFile.notebooks(in: input) else { throw CommandError("cannot list the directory \(input)") }
        guard !found.isEmpty else { throw CommandError("\(input) holds no notebooks (*.md)") }
        paths += found
    }
    var seen: [String: String] = [:]
    for path in paths {
        let slug = NotebookRun.slug(path)
        if let other = seen[slug] {
            throw CommandError("\(other) and \(path) would both be written to \(pageName(slug)); rename one")
        }
        seen[slug] = path
    }
    return paths
}

func kilobytes(_ count: Int) -> String {
    count < 1_000_000 ? "\((count + 999) / 1000) KB" : String(format: "%.1f MB", Double(count) / 1_000_000)
}
