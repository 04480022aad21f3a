import ArgumentParser
import Engine
import Foundation
import Notebook
import ReportModel
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
    switch Runner.plan(path, profile: profile) {
    case .failure(.notANotebook(let diagnostic)):
        printError(diagnostic.description)
        return nil
    case .failure(.cannotRead(_, let reason)):
        throw CommandError("cannot read notebook \(path): \(reason)")
    case .success(let plan):
        for d in plan.diagnostics { printError(d.description) }
        return plan
    }
}

/// Reads all plans before any runs, so a missing file stops the command before hours of work.
func loadPlans(_ paths: [String], profile: Profile) throws -> [Plan?] {
    try paths.map { try loadPlan($0, profile: profile) }
}

/// A command line that names something that is not there; the hint, if any, says what is.
struct CommandError: UserError {
    let message: String
    init(_ message: String) { self.message = message }
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
            let runner = Runner(store: try ResultStore(directory: URL(fileURLWithPath: options.cache)))
            for plan in plans {
                guard let plan else { failed = true; continue }
                let selection = try cell.map { CellSelection.only(try plan.cell(matching: $0), downstream: downstream) } ?? .all
                let run = try runNotebook(plan, selection, runner: runner, threads: threads, data: data, output: output)
                printText(run.records)
                failed = failed || run.failed
            }
        }
        if failed { throw ExitStatus.notebookErrors }
    }
}

/// One notebook through the runner, its events printed to stderr and its JSON summary written:
/// what `run` and `render` share.
func runNotebook(_ plan: Plan, _ selection: CellSelection, runner: Runner, threads: Int, data: String?, output: String) throws -> NotebookRun {
    let printer = EventPrinter()
    let settings = RunSettings(profile: plan.profile, threads: threads, dataDirectory: data)
    let out = URL(fileURLWithPath: output)
    let run = try runner.run(plan, selection, settings: settings, summaryDirectory: out, events: printer.print)
    printer.done()
    run.referenceProblems.forEach { printError($0.description) }
    run.claimProblems.forEach { printError($0.description) }
    let counts = Dictionary(grouping: run.records, by: \.status).mapValues(\.count)
    printError("\(plan.notebook.file): " + CellRecord.Status.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }.joined(separator: ", ")
               + " → \(out.appendingPathComponent(run.slug + ".json").path)")
    return run
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
            let runner = Runner(store: try ResultStore(directory: URL(fileURLWithPath: options.cache)))
            let rows = runner.statuses(plan).map { step, status, last -> [String] in
                [String(step.cell.index + 1), step.cell.name, step.cell.directive, String(step.cell.location.line), status.rawValue,
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
    @Flag(help: "Also check the prose's {{check …}} claims and {{cell.field}} references against the cached results (nothing is computed).")
    var claims = false
    @Option(help: "Result cache directory (with --claims).") var cache = "output/.cache"

    func run() throws {
        var errors = 0
        try reportingErrors {
            let runner = claims ? Runner(store: try ResultStore(directory: URL(fileURLWithPath: cache))) : nil
            for plan in try loadPlans(notebooks, profile: profile) {
                guard let plan else { errors += 1; continue }
                errors += plan.diagnostics.filter { $0.severity == .error }.count
                guard let runner, !plan.hasErrors else { continue }
                let run = try runner.run(plan, settings: RunSettings(profile: profile, cachedOnly: true))
                let problems = run.referenceProblems + run.claimProblems
                problems.forEach { printError($0.description) }
                errors += problems.count
                let count = { (v: ClaimOutcome.Verdict) in run.claims.filter { $0.verdict == v }.count }
                let parts = ["\(count(.pass)) pass", "\(count(.fail)) fail"]
                    + (count(.unchecked) > 0 ? ["\(count(.unchecked)) cannot be checked"] : [])
                    + (count(.skipped) > 0 ? ["\(count(.skipped)) not for this profile"] : [])
                printError("\(plan.notebook.file): \(run.claims.count) claim\(run.claims.count == 1 ? "" : "s"): " + parts.joined(separator: ", "))
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
