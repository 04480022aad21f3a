import ArgumentParser
import Engine
import Foundation
import Notebook
import Runtime

extension Profile: ExpressibleByArgument {}

struct NotebookOptions: ParsableArguments {
    @Option(help: "Profile: quick (default) or full (the assignment's settings).")
    var profile: Profile = .quick
    @Option(help: "Result cache directory.")
    var cache = "output/.cache"
}

/// Reads a notebook and checks it; diagnostics go to stderr. A file that cannot be a notebook
/// (binary, not UTF-8, empty, over the size limit) gets its diagnostic and nil; a file that
/// cannot be read at all throws, since nothing can be done with it.
func loadPlan(_ path: String, profile: Profile) throws -> Plan? {
    let bytes: [UInt8]
    switch readNotebook(path) {
    case .success(let read): bytes = read
    case .failure(.tooLarge(let size)):
        printError(NotebookFile.tooLarge(file: path, bytes: size).description)
        return nil
    case .failure(.cannotRead(let reason)):
        throw CommandError("error: cannot read notebook \(path): \(reason)")
    }
    switch NotebookFile.decode(bytes, file: path) {
    case .failure(let diagnostic):
        printError(diagnostic.description)
        return nil
    case .success(let source):
        let plan = Plan(source: source, file: path, profile: profile)
        for d in plan.diagnostics { printError(d.description) }
        return plan
    }
}

/// Reads all plans before any runs, so a missing file stops the command before hours of work.
func loadPlans(_ paths: [String], profile: Profile) throws -> [Plan?] {
    try paths.map { try loadPlan($0, profile: profile) }
}

private enum ReadFailure: Error {
    case tooLarge(Int)
    case cannotRead(String)
}

/// The file's bytes; one over the limit is refused without reading it (it may be /dev/zero).
private func readNotebook(_ path: String) -> Result<[UInt8], ReadFailure> {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return .failure(.cannotRead(errno == ENOENT ? "no such file" : String(cString: strerror(errno)))) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return .failure(.cannotRead(String(cString: strerror(errno)))) }
    if info.st_mode & S_IFMT == S_IFDIR { return .failure(.cannotRead("it is a directory")) }
    if info.st_mode & S_IFMT == S_IFREG && Int(info.st_size) > NotebookFile.maximumBytes { return .failure(.tooLarge(Int(info.st_size))) }
    // Read one byte past the limit, so that a pipe or device that never ends is cut off too.
    let capacity = NotebookFile.maximumBytes + 1
    var failure: Int32 = 0
    let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
        while count < capacity {
            let n = read(fd, buffer.baseAddress! + count, capacity - count)
            if n > 0 { count += n } else if n < 0 && errno == EINTR { continue } else { failure = n < 0 ? errno : 0; break }
        }
    }
    if failure != 0 { return .failure(.cannotRead(String(cString: strerror(failure)))) }
    return bytes.count > NotebookFile.maximumBytes ? .failure(.tooLarge(bytes.count)) : .success(bytes)
}

struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func printError(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run notebooks' cells (from the cache where possible) and write their results.")

    @Argument(help: "Notebook files.") var notebooks: [String]
    @OptionGroup var options: NotebookOptions
    @Option(help: "Directory holding mnist/ and fashion-mnist/ (default: front matter 'data', $LATENTBOOK_DATA, then data/).")
    var data: String?
    @Option(name: .shortAndLong, help: "Where to write <notebook>.json.") var output = "output"
    @Option(help: "Rerun only this cell (name or 1-based index), even if cached; its inputs come from the cache.")
    var cell: String?
    @Flag(help: "With --cell: also rerun the cells that depend on it.") var downstream = false
    @Option(help: "Threads (default: all cores).") var threads = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if downstream && cell == nil { throw ValidationError("--downstream needs --cell") }
        if cell != nil && notebooks.count != 1 { throw ValidationError("--cell takes exactly one notebook") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        installInterruptHandler()
        AtomicFile.removeStaleTemporaries(in: URL(fileURLWithPath: output))
        var failed = false
        try reportingErrors {
            let plans = try loadPlans(notebooks, profile: options.profile)
            let store = try ResultStore(directory: URL(fileURLWithPath: options.cache))
            for plan in plans {
                guard let plan else { failed = true; continue }
                var settings = RunSettings(profile: options.profile, threads: threads, dataDirectory: data)
                if let cell {
                    let target = try resolveCell(cell, in: plan)
                    let selected = downstream ? dependents(of: target, in: plan) : [target]
                    settings.force = selected
                    settings.only = selected
                }
                let run = try NotebookRun.execute(plan, settings: settings, store: store, output: output)
                printText(run.records)
                failed = failed || run.failed
            }
        }
        if failed { throw ExitStatus.notebookErrors }
    }

    private func resolveCell(_ s: String, in plan: Plan) throws -> String {
        if let i = Int(s) {
            guard (1...plan.steps.count).contains(i) else { throw CommandError("error: no cell \(i): the notebook has \(plan.steps.count) cells") }
            return plan.steps[i - 1].cell.name
        }
        guard plan.step(named: s) != nil else {
            let hint = didYouMean(s, among: plan.steps.map(\.cell.name))
            throw CommandError("error: no cell named '\(s)'\(hint)")
        }
        return s
    }

    /// The cell and every cell that reads it, directly or through others.
    private func dependents(of name: String, in plan: Plan) -> Set<String> {
        var set: Set<String> = [name]
        for step in plan.steps where step.options.references.contains(where: set.contains) { set.insert(step.cell.name) }
        return set
    }
}

/// One notebook run through the interpreter, its JSON summary written: what `run` and
/// `render` share.
struct NotebookRun {
    let plan: Plan
    let settings: RunSettings
    let records: [CellRecord]
    /// Invalid cells, failed or skipped cells, or prose citing results that do not exist.
    let failed: Bool

    var slug: String { URL(fileURLWithPath: plan.notebook.file).deletingPathExtension().lastPathComponent }

    static func execute(_ plan: Plan, settings: RunSettings, store: ResultStore, output: String) throws -> NotebookRun {
        let progress = ProgressLine()
        let records = Interpreter(plan: plan, settings: settings, store: store, log: { progress.clear(); printError($0) },
                                  progress: { progress.show($0) }).run()
        progress.clear()
        let referenceErrors = referenceProblems(plan: plan, records: records)
        referenceErrors.forEach { printError($0.description) }
        let run = NotebookRun(plan: plan, settings: settings, records: records,
                              failed: plan.hasErrors || !referenceErrors.isEmpty
                                  || records.contains { $0.status == .failed || $0.status == .skipped })
        let summary = RunSummary(plan: plan, records: records, settings: settings)
        let out = URL(fileURLWithPath: output).appendingPathComponent(run.slug + ".json")
        try AtomicFile.write(try summary.encoded(), to: out)
        let counts = Dictionary(grouping: records, by: \.status).mapValues(\.count)
        printError("\(plan.notebook.file): " + CellRecord.Status.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }.joined(separator: ", ")
                   + " → \(out.path)")
        return run
    }
}

extension CellRecord.Status: CaseIterable {
    public static let allCases: [CellRecord.Status] = [.cached, .fresh, .failed, .skipped, .notRun]
}

struct Cells: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List a notebook's cells and whether their results are cached.")

    @Argument(help: "Notebook file.") var notebook: String
    @OptionGroup var options: NotebookOptions

    func run() throws {
        try reportingErrors {
            guard let plan = try loadPlan(notebook, profile: options.profile) else { throw ExitStatus.notebookErrors }
            let store = try ResultStore(directory: URL(fileURLWithPath: options.cache))
            let index = store.readIndex(notebook: notebook)
            let rows = plan.steps.map { step -> [String] in
                let last = index[step.cell.name]
                let status: String
                if let key = step.key, store.contains(key) { status = "cached" }
                else if step.key == nil { status = "invalid" }
                else if last != nil { status = "stale" }
                else { status = "never run" }
                return [String(step.cell.index + 1), step.cell.name, step.cell.directive, String(step.cell.location.line), status,
                        last.map { formatFixed($0.seconds, 2) + " s" } ?? "–"]
            }
            print(textTable(columns: ["#", "name", "directive", "line", "status", "last run"], rows: rows))
        }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check notebooks without running them: every error, with file:line:col.")

    @Argument(help: "Notebook files.") var notebooks: [String]
    @Option(help: "Profile whose values to check: quick (default) or full.") var profile: Profile = .quick

    func run() throws {
        var errors = 0
        try reportingErrors {
            for plan in try loadPlans(notebooks, profile: profile) {
                errors += plan?.diagnostics.filter { $0.severity == .error }.count ?? 1
            }
        }
        if errors > 0 {
            printError("\(errors) error\(errors == 1 ? "" : "s")")
            throw ExitStatus.notebookErrors
        }
    }
}

struct Directives: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the reference of every directive and option (Markdown).")
    func run() throws { print(DirectiveRegistry.standard.markdownReference, terminator: "") }
}
