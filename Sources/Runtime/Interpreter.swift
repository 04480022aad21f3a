import Datasets
import Engine
import Foundation
import Notebook
import ReportModel

public struct RunSettings: Sendable {
    public var profile: Profile
    public var threads: Int
    /// `--data`; when nil, the front matter's `data`, then LATENTBOOK_DATA, then data/.
    public var dataDirectory: String?
    /// Cells to recompute even when cached.
    public var force: Set<String>
    /// When set, only these cells are run; the cells they need come from the cache (computed if missing).
    public var only: Set<String>?
    /// Compute nothing: cells come from the cache or are not run (`check --claims`).
    public var cachedOnly: Bool

    public init(profile: Profile = .quick, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                dataDirectory: String? = nil, force: Set<String> = [], only: Set<String>? = nil, cachedOnly: Bool = false) {
        self.profile = profile; self.threads = threads; self.dataDirectory = dataDirectory; self.force = force; self.only = only
        self.cachedOnly = cachedOnly
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
    /// Where the run's events go (the CLI prints them, the preview streams them).
    public let events: (RunEvent) -> Void
    public let cancellation: Cancellation

    private var records: [String: CellRecord] = [:]
    /// The results of each replica of a repeated cell (`records` holds their combination).
    private var replicaResults: [String: [CellResult]] = [:]
    private var loadedImages: [String: ImageSet] = [:]
    private let notebookDirectory: URL

    public init(plan: Plan, settings: RunSettings, store: ResultStore, cancellation: Cancellation = Cancellation(),
                events: @escaping (RunEvent) -> Void = { _ in }) {
        self.plan = plan; self.settings = settings; self.store = store; self.cancellation = cancellation; self.events = events
        notebookDirectory = URL(fileURLWithPath: plan.notebook.file).deletingLastPathComponent()
    }

    /// Runs the notebook (or the selected cells) and returns a record per cell, in order.
    public func run() -> [CellRecord] {
        for step in plan.steps where settings.only?.contains(step.cell.name) ?? true {
            if cancellation.isCancelled { break }
            _ = obtain(step.cell.name)
        }
        let finished = plan.steps.map { step in
            records[step.cell.name] ?? CellRecord(step: step, status: .notRun, result: nil, reason: nil, seconds: 0)
        }
        var index: [String: ResultStore.IndexEntry] = [:]
        for r in finished where r.status == .fresh || r.status == .cached {
            index[r.step.cell.name] = .init(key: r.step.key!, seconds: r.result?.seconds ?? r.seconds, finished: Date())
        }
        // A cache-only pass (`check --claims`) reads and leaves the cache as it is.
        if !settings.cachedOnly {
            do { try store.updateIndex(notebook: plan.notebook.file, index) } catch { events(.warning("\(error)")) }
        }
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

    func event(_ step: Plan.Step, replica: Int = 0) -> CellEvent {
        CellEvent(notebook: plan.notebook.file, cell: step.cell.name, directive: step.cell.directive,
                  replica: step.replicas > 1 ? replica + 1 : nil, replicas: step.replicas > 1 ? step.replicas : nil)
    }

    private func produce(_ step: Plan.Step) -> CellRecord {
        let record = compute(step)
        switch record.status {
        case .cached: events(.cached(event(step), seconds: record.seconds))
        case .fresh: events(.finished(event(step), seconds: record.seconds))
        case .skipped: events(.skipped(event(step), because: record.reason ?? ""))
        case .failed, .notRun: break  // failures are reported where they happen, with their location
        }
        return record
    }

    private func compute(_ step: Plan.Step) -> CellRecord {
        guard step.problems.isEmpty, let directive = step.directive, let options = step.typed else {
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
        guard step.key != nil, step.replicaKeys.count == step.replicas else { preconditionFailure("a valid cell with valid inputs has a key") }
        if step.replicas == 1 { return computeReplica(step, 0, directive: directive, options: options) }
        // Repeated seeds: every replica, then their combination (cheap, so never cached itself).
        var results: [CellResult] = [], seconds = 0.0, anyFresh = false
        for r in 0..<step.replicas {
            let record = computeReplica(step, r, directive: directive, options: options)
            seconds += record.seconds
            guard let result = record.result, record.status == .cached || record.status == .fresh else {
                var failed = record
                failed.reason = record.reason.map { "seed \(r + 1) of \(step.replicas): \($0)" }
                return failed
            }
            anyFresh = anyFresh || record.status == .fresh
            results.append(result)
        }
        replicaResults[step.cell.name] = results
        return CellRecord(step: step, status: anyFresh ? .fresh : .cached,
                          result: Replicas.combine(results, seeds: step.replicaSeeds), reason: nil, seconds: seconds)
    }

    /// One replica of a cell (the cell itself when it is not repeated), from the cache or computed.
    private func computeReplica(_ step: Plan.Step, _ replica: Int, directive: any Directive, options: any DirectiveOptions) -> CellRecord {
        let name = step.cell.name, key = step.replicaKeys[replica]
        let clock = ContinuousClock(), start = clock.now
        let forced = settings.force.contains(name)
        if !forced, let cached = load(key, name: name) {
            return CellRecord(step: step, status: .cached, result: cached, reason: nil, seconds: seconds(since: start, clock))
        }
        if settings.cachedOnly { return CellRecord(step: step, status: .notRun, result: nil, reason: "not cached", seconds: 0) }
        // One process computes a key at a time; another waiting on the lock then finds it cached.
        return store.withLock(key) {
            if !forced, let cached = load(key, name: name) {
                return CellRecord(step: step, status: .cached, result: cached, reason: nil, seconds: seconds(since: start, clock))
            }
            if cancellation.isCancelled {
                return CellRecord(step: step, status: .notRun, result: nil, reason: "cancelled", seconds: 0)
            }
            let cell = event(step, replica: replica)
            events(.started(cell, index: step.cell.index, count: plan.steps.count))
            do {
                let context = ExecutionContext(interpreter: self, step: step, key: key, replica: replica)
                var result = try directive.execute(erased: options, in: context)
                result.seconds = seconds(since: start, clock)
                try store.save(key, try ResultCodec.encode(result))
                if step.replicas > 1 { events(.finished(cell, seconds: result.seconds)) }
                return CellRecord(step: step, status: .fresh, result: result, reason: nil, seconds: result.seconds)
            } catch is CancellationError {
                return CellRecord(step: step, status: .notRun, result: nil, reason: "cancelled", seconds: seconds(since: start, clock))
            } catch {
                let reason = "\(error)"
                events(.failed(cell, location: step.cell.location, reason: reason))
                return CellRecord(step: step, status: .failed, result: nil, reason: reason, seconds: seconds(since: start, clock))
            }
        }
    }

    private func load(_ key: String, name: String) -> CellResult? {
        switch store.load(key) {
        case .hit(let bytes):
            do { return try ResultCodec.decode(bytes) } catch {
                events(.warning("cached result of '\(name)' is unreadable (\(error)); recomputing"))
                return nil
            }
        case .miss:
            return nil
        case .corrupt(let reason):
            events(.warning("cached result of '\(name)' is corrupt (\(reason)); recomputing"))
            return nil
        }
    }

    private func seconds(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> Double {
        ReportModel.seconds(clock.now - start)
    }

    // MARK: - For execution contexts

    func result(of name: String) -> CellResult? { obtain(name).result }

    /// Replica `replica` of a cell's result: its own replica if it is repeated, else its one result.
    func result(of name: String, replica: Int) -> CellResult? {
        let record = obtain(name)
        guard let replicas = replicaResults[name] else { return record.result }
        return replicas[replica]
    }

    /// Every replica of a cell's result (one, if it is not repeated).
    func replicas(of name: String) -> [CellResult] {
        let record = obtain(name)
        return replicaResults[name] ?? record.result.map { [$0] } ?? []
    }

    /// Images loaded once per run, under the name of the cell that describes them.
    func images(of name: String, recipe: DatasetRecipe) throws -> ImageSet {
        if let set = loadedImages[name] { return set }
        let set = try recipe.load(from: dataDirectory())
        loadedImages[name] = set
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

/// What an executor sees besides its options: its seed, its inputs, and where to report progress.
public struct ExecutionContext {
    let interpreter: Interpreter
    public let step: Plan.Step
    public let key: String
    /// Which replica of a repeated cell this is (0 for a cell run once).
    public let replica: Int

    public var seed: UInt64 { step.replicaSeeds[replica] }
    public var threads: Int { interpreter.settings.threads }
    public var cellName: String { step.cell.name }

    /// The value of an earlier cell (the plan has checked it is above and of the right kind).
    /// A repeated input gives its replica of the same index; a combining cell (a plot) gets the first.
    public func value(of cell: CellName) -> CellValue? { interpreter.result(of: cell.name, replica: replica)?.value }

    /// Every replica's value of an earlier cell, for cells that combine them (a plot's mean and spread).
    public func replicaValues(of cell: CellName) -> [CellValue] { interpreter.replicas(of: cell.name).map(\.value) }

    /// The images of a dataset cell, loaded once per run.
    public func dataset(_ cell: CellName) throws -> ImageSet {
        guard case .dataset(let recipe)? = value(of: cell) else { preconditionFailure("checked by the plan") }
        return try interpreter.images(of: cell.name, recipe: recipe)
    }

    /// Images a dataset cell is producing (its result does not exist yet).
    func images(of name: String, recipe: DatasetRecipe) throws -> ImageSet {
        try interpreter.images(of: name, recipe: recipe)
    }

    public func model(_ cell: CellName) -> TrainedModel {
        guard case .model(let m)? = value(of: cell) else { preconditionFailure("checked by the plan") }
        return m
    }

    public func latents(_ cell: CellName) -> Latents {
        guard case .latents(let z)? = value(of: cell) else { preconditionFailure("checked by the plan") }
        return z
    }

    /// A metric of an earlier cell (`cell.field`), if it has one.
    public func metric(_ ref: MetricName) -> Metric? {
        let combined = step.directive?.combinesReplicas == true
        return (combined ? interpreter.result(of: ref.cell) : interpreter.result(of: ref.cell, replica: replica))?.metrics[ref.field]
    }

    /// A metric's spread over repeated seeds (`field_sd`), for cells that combine replicas.
    public func metricSpread(_ ref: MetricName) -> Double? {
        guard step.directive?.combinesReplicas == true,
              case .number(let sd)? = interpreter.result(of: ref.cell)?.metrics[ref.field + Metric.spreadSuffix] else { return nil }
        return sd
    }

    /// Something worth saying about the cell (a resumed training).
    public func note(_ text: String) { interpreter.events(.note(interpreter.event(step, replica: replica), text)) }
    public func warning(_ text: String) { interpreter.events(.warning(text)) }

    /// Reports training progress; throws `CancellationError` once the run is cancelled.
    public func training(_ event: TrainingEvent, of epochs: Int) throws {
        let cell = interpreter.event(step, replica: replica)
        switch event {
        case let .step(epoch, _, step, steps, loss, rate, eta, parts):
            interpreter.events(.trainingStep(cell, epoch: epoch, epochs: epochs, step: step, steps: steps,
                                             loss: loss, imagesPerSecond: rate, eta: eta, parts: parts))
        case .epochEnd(let record):
            interpreter.events(.epochFinished(cell, record, epochs: epochs))
        }
        try interpreter.cancellation.check()
    }

    /// Where a long computation keeps resumable state between runs.
    public var partialURL: URL { interpreter.store.partialURL(key) }
}
