import Datasets
import Engine
import Foundation
import Notebook

public struct RunSettings: Sendable {
    public var profile: Profile
    public var threads: Int
    /// `--data`; when nil, the front matter's `data`, then LATENTBOOK_DATA, then data/.
    public var dataDirectory: String?
    /// Cells to recompute even when cached.
    public var force: Set<String>
    /// When set, only these cells are run; the cells they need come from the cache (computed if missing).
    public var only: Set<String>?

    public init(profile: Profile = .quick, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                dataDirectory: String? = nil, force: Set<String> = [], only: Set<String>? = nil) {
        self.profile = profile; self.threads = threads; self.dataDirectory = dataDirectory; self.force = force; self.only = only
    }
}

public struct CellRecord: Sendable {
    public enum Status: String, Codable, Sendable {
        /// Loaded from the cache.
        case cached
        /// Computed in this run.
        case fresh
        case failed
        /// Not run because a cell it uses failed or is invalid.
        case skipped
        /// Not needed by this run (`--cell` runs).
        case notRun = "not-run"
    }
    public var step: Plan.Step
    public var status: Status
    public var result: CellResult?
    /// Why it failed or was skipped.
    public var reason: String?
    /// Wall time of this run's work on the cell (loading or computing).
    public var seconds: Double

    public init(step: Plan.Step, status: Status, result: CellResult?, reason: String?, seconds: Double) {
        self.step = step; self.status = status; self.result = result; self.reason = reason; self.seconds = seconds
    }
}

/// Runs a plan's cells in document order over the engine, through the result store.
public final class Interpreter {
    public let plan: Plan
    public let settings: RunSettings
    public let store: ResultStore
    /// Progress and warnings, one line at a time (the CLI sends them to stderr).
    public let log: (String) -> Void
    /// Live step progress (a self-overwriting terminal line in the CLI).
    public let progress: (String) -> Void

    private var records: [String: CellRecord] = [:]
    private var datasets: [String: ImageSet] = [:]
    private let notebookDirectory: URL

    public init(plan: Plan, settings: RunSettings, store: ResultStore,
                log: @escaping (String) -> Void = { _ in }, progress: @escaping (String) -> Void = { _ in }) {
        self.plan = plan; self.settings = settings; self.store = store; self.log = log; self.progress = progress
        notebookDirectory = URL(fileURLWithPath: plan.notebook.file).deletingLastPathComponent()
    }

    /// Runs the notebook (or the selected cells) and returns a record per cell, in order.
    public func run() -> [CellRecord] {
        for step in plan.steps where settings.only?.contains(step.cell.name) ?? true {
            _ = obtain(step.cell.name)
        }
        let finished = plan.steps.map { step in
            records[step.cell.name] ?? CellRecord(step: step, status: .notRun, result: nil, reason: nil, seconds: 0)
        }
        var index: [String: ResultStore.IndexEntry] = [:]
        for r in finished where r.status == .fresh || r.status == .cached {
            index[r.step.cell.name] = .init(key: r.step.key!, seconds: r.result?.seconds ?? r.seconds, finished: Date())
        }
        do { try store.updateIndex(notebook: plan.notebook.file, index) } catch { log("warning: \(error)") }
        return finished
    }

    /// The record of a cell, computing or loading it (and what it needs) on first use.
    private func obtain(_ name: String) -> CellRecord {
        if let r = records[name] { return r }
        guard let step = plan.step(named: name) else { preconditionFailure("references are checked by the plan") }
        let record = produce(step)
        records[name] = record
        return record
    }

    private func produce(_ step: Plan.Step) -> CellRecord {
        let name = step.cell.name
        guard step.problems.isEmpty, let directive = step.directive else {
            return CellRecord(step: step, status: .failed, result: nil,
                              reason: step.problems.map(\.description).joined(separator: "\n"), seconds: 0)
        }
        for input in step.options.references {
            let r = obtain(input)
            if r.status == .failed || r.status == .skipped {
                return CellRecord(step: step, status: .skipped, result: nil,
                                  reason: "skipped because '\(input)' \(r.status == .failed ? "failed" : "was skipped")", seconds: 0)
            }
        }
        guard let key = step.key else { preconditionFailure("a valid cell with valid inputs has a key") }
        let clock = ContinuousClock(), start = clock.now
        let forced = settings.force.contains(name)
        if !forced, let cached = load(key, name: name) {
            return CellRecord(step: step, status: .cached, result: cached, reason: nil, seconds: seconds(since: start, clock))
        }
        // One process computes a key at a time; another waiting on the lock then finds it cached.
        return store.withLock(key) {
            if !forced, let cached = load(key, name: name) {
                return CellRecord(step: step, status: .cached, result: cached, reason: nil, seconds: seconds(since: start, clock))
            }
            log("[\(step.cell.index + 1)/\(plan.steps.count)] \(step.cell.directive) \(name)")
            do {
                let context = ExecutionContext(interpreter: self, step: step, key: key)
                var result = try directive.execute(context)
                result.seconds = seconds(since: start, clock)
                try store.save(key, try ResultCodec.encode(result))
                return CellRecord(step: step, status: .fresh, result: result, reason: nil, seconds: result.seconds)
            } catch {
                progress("")
                // Errors from below may word themselves as a full "error: …" line; say it once, at the cell.
                var reason = "\(error)"
                if reason.hasPrefix("error: ") { reason.removeFirst("error: ".count) }
                let at = step.cell.location
                log("\(plan.notebook.file):\(at.line):\(at.column): error: \(name): "
                    + reason.replacingOccurrences(of: "\nhint: ", with: "\n  hint: "))
                return CellRecord(step: step, status: .failed, result: nil, reason: reason, seconds: seconds(since: start, clock))
            }
        }
    }

    private func load(_ key: String, name: String) -> CellResult? {
        switch store.load(key) {
        case .hit(let bytes):
            do { return try ResultCodec.decode(bytes) } catch {
                log("warning: cached result of '\(name)' is unreadable (\(error)); recomputing")
                return nil
            }
        case .miss:
            return nil
        case .corrupt(let reason):
            log("warning: cached result of '\(name)' is corrupt (\(reason)); recomputing")
            return nil
        }
    }

    private func seconds(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> Double {
        Engine.seconds(clock.now - start)
    }

    // MARK: - For execution contexts

    func result(of name: String) -> CellResult? { obtain(name).result }

    /// A dataset cell's images, loaded once per run. A dataset cell executing passes its own
    /// recipe (its result does not exist yet); others find it in the cell's result.
    func images(of name: String, recipe: DatasetRecipe? = nil) throws -> ImageSet {
        if let set = datasets[name] { return set }
        guard let recipe = recipe ?? { if case .dataset(let r)? = result(of: name)?.value { r } else { nil } }() else {
            preconditionFailure("checked by the plan")
        }
        let set = try recipe.load(from: dataDirectory())
        datasets[name] = set
        return set
    }

    private func dataDirectory() throws -> URL {
        if let explicit = settings.dataDirectory { return try DataDirectory.resolve(explicit: explicit) }
        if let fromNotebook = plan.notebook.frontMatter.data {
            return try DataDirectory.resolve(explicit: URL(fileURLWithPath: fromNotebook, relativeTo: notebookDirectory).path)
        }
        return try DataDirectory.resolve(explicit: nil)
    }
}

/// What an executor sees: its options, its seed, its inputs, and where to report progress.
public struct ExecutionContext {
    let interpreter: Interpreter
    public let step: Plan.Step
    public let key: String

    public var options: ResolvedOptions { step.options }
    public var seed: UInt64 { step.seed }
    public var threads: Int { interpreter.settings.threads }
    public var cellName: String { step.cell.name }

    /// The result of the cell named by option `option`.
    public func input(_ option: String) -> CellResult? {
        options.string(option).flatMap { interpreter.result(of: $0) }
    }
    public func inputName(_ option: String) -> String? { options.string(option) }
    /// The result of any earlier cell by name (plots reading several sources).
    public func interpreterResult(_ name: String) -> CellResult? { interpreter.result(of: name) }

    /// The images of the dataset cell named by option `option`, loaded once per run.
    public func dataset(_ option: String) throws -> ImageSet {
        try interpreter.images(of: options.string(option)!)
    }

    func dataset(named name: String, recipe: DatasetRecipe) throws -> ImageSet {
        try interpreter.images(of: name, recipe: recipe)
    }

    public func model(_ option: String) -> TrainedModel {
        guard case .model(let m)? = input(option)?.value else { preconditionFailure("checked by the plan") }
        return m
    }

    /// A metric of an earlier cell (`cell.field`), if it has one.
    public func metric(cell: String, field: String) -> Metric? { interpreter.result(of: cell)?.metrics[field] }

    public func log(_ line: String) { interpreter.log(line) }
    public func progress(_ line: String) { interpreter.progress(line) }

    /// Where a long computation keeps resumable state between runs.
    public var partialURL: URL { interpreter.store.partialURL(key) }
}
