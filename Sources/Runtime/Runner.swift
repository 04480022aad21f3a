import Foundation
import Notebook
import ReportModel

/// The one run pipeline every front end drives (the `latentbook` commands, the preview server):
/// read and plan notebooks, say where each cell stands, run all of a notebook or a cell with its
/// downstream, observe the run's events, cancel it.
public struct Runner: Sendable {
    public let store: ResultStore

    public init(store: ResultStore) { self.store = store }

    /// Why a path gives no plan.
    public enum LoadFailure: Error {
        /// The file is there but cannot be a notebook (binary, not UTF-8, empty, too large).
        case notANotebook(Diagnostic)
        /// The file cannot be read at all.
        case cannotRead(path: String, reason: String)
    }

    /// Reads and plans a notebook. A file over the size limit is refused without reading it.
    public static func plan(_ path: String, profile: Profile, registry: DirectiveRegistry = .standard) -> Result<Plan, LoadFailure> {
        plan(NotebookFile.read(path), file: path, profile: profile, registry: registry)
    }

    /// Plans what `NotebookFile.read` gave: a front end that watches the file compares these
    /// bytes with the last ones and plans them without reading the file a second time.
    public static func plan(_ read: Result<[UInt8], NotebookFile.ReadFailure>, file path: String, profile: Profile,
                            registry: DirectiveRegistry = .standard) -> Result<Plan, LoadFailure> {
        let bytes: [UInt8]
        switch read {
        case .success(let read): bytes = read
        case .failure(.tooLarge(let size)): return .failure(.notANotebook(NotebookFile.tooLarge(file: path, bytes: size)))
        case .failure(.cannotRead(let reason)): return .failure(.cannotRead(path: path, reason: reason))
        }
        switch NotebookFile.decode(bytes, file: path) {
        case .failure(let diagnostic): return .failure(.notANotebook(diagnostic))
        case .success(let source): return .success(Plan(source: source, file: path, profile: profile, registry: registry))
        }
    }

    /// Where each cell stands, without running anything.
    public func statuses(_ plan: Plan) -> [(step: Plan.Step, status: CellStatus, last: ResultStore.IndexEntry?)] {
        let index = store.readIndex(notebook: plan.notebook.file)
        return plan.steps.map { step in
            let last = index[step.cell.name]
            let status: CellStatus
            if step.key != nil, step.replicaKeys.allSatisfy(store.contains) { status = .cached }
            else if step.key == nil { status = .invalid }
            else if last != nil { status = .stale }
            else { status = .neverRun }
            return (step, status, last)
        }
    }

    /// Runs a notebook's cells (the selection), then checks its prose references against the
    /// results and, given a directory, writes `<notebook>.json` there.
    public func run(_ plan: Plan, _ selection: CellSelection = .all, settings: RunSettings,
                    cancellation: Cancellation = Cancellation(), summaryDirectory: URL? = nil,
                    events: @escaping (RunEvent) -> Void = { _ in }) throws -> NotebookRun {
        var settings = settings
        switch selection {
        case .all: break
        case let .only(cell, downstream):
            let cells = downstream ? plan.downstream(of: cell) : [cell]
            settings.force = cells; settings.only = cells
        case let .rerun(cell, downstream):
            settings.force = downstream ? plan.downstream(of: cell) : [cell]
        }
        let records = Interpreter(plan: plan, settings: settings, store: store, cancellation: cancellation, events: events).run()
        let referenceErrors = referenceProblems(plan: plan, records: records)
        let byName = Dictionary(uniqueKeysWithValues: records.map { ($0.step.cell.name, $0) })
        let claims = checkClaims(plan) { byName[$0]?.result }
        let run = NotebookRun(plan: plan, settings: settings, records: records, referenceProblems: referenceErrors, claims: claims)
        if let summaryDirectory {
            try AtomicFile.write(try RunSummary(plan: plan, records: records, settings: settings, claims: claims).encoded(),
                                 to: summaryDirectory.appendingPathComponent(run.slug + ".json"))
        }
        return run
    }
}

/// One notebook's run: a record per cell, in order, and what its prose cites that does not exist.
public struct NotebookRun: Sendable {
    public let plan: Plan
    public let settings: RunSettings
    public let records: [CellRecord]
    public let referenceProblems: [Diagnostic]
    /// The prose's `{{check …}}` claims, in document order.
    public let claims: [ClaimOutcome]

    public init(plan: Plan, settings: RunSettings, records: [CellRecord], referenceProblems: [Diagnostic], claims: [ClaimOutcome] = []) {
        self.plan = plan; self.settings = settings; self.records = records; self.referenceProblems = referenceProblems; self.claims = claims
    }

    /// Claims that fail, or that could not be checked (a cell without a result).
    public var claimProblems: [Diagnostic] {
        claims.filter { $0.verdict == .fail || $0.verdict == .unchecked }
            .map { $0.diagnostic(file: plan.notebook.file) }
    }

    /// Invalid cells, failed or skipped cells, prose citing results that do not exist, or claims that do not hold.
    public var failed: Bool {
        plan.hasErrors || !referenceProblems.isEmpty || !claimProblems.isEmpty
            || records.contains { $0.status == .failed || $0.status == .skipped }
    }

    /// The name its pages and summaries are written under.
    public var slug: String { NotebookRun.slug(plan.notebook.file) }

    /// A notebook file's slug: its name without extension ("notebooks/01-baseline.md" → "01-baseline").
    public static func slug(_ path: String) -> String { URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }
}

extension Plan {
    /// The cell and every cell that reads it, directly or through others.
    public func downstream(of name: String) -> Set<String> {
        var set: Set<String> = [name]
        for step in steps where step.options.references.contains(where: set.contains) { set.insert(step.cell.name) }
        return set
    }

    public enum CellLookupError: UserError {
        case noIndex(Int, count: Int)
        case noName(String, hint: String)

        public var message: String {
            switch self {
            case let .noIndex(i, count): "no cell \(i): the notebook has \(count) cells"
            case let .noName(name, hint): "no cell named '\(name)'\(hint)"
            }
        }
    }

    /// A cell by name or 1-based index.
    public func cell(matching s: String) throws(CellLookupError) -> String {
        if let i = Int(s) {
            guard i >= 1, i <= steps.count else { throw .noIndex(i, count: steps.count) }
            return steps[i - 1].cell.name
        }
        guard step(named: s) != nil else { throw .noName(s, hint: didYouMean(s, among: steps.map(\.cell.name))) }
        return s
    }
}
