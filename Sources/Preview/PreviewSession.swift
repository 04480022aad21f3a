import Foundation
import Notebook
import ReportModel
import Render
import Runtime

/// The preview's state and its one worker: the notebooks as last saved, their pages as last
/// rendered, what runs and what waits, and the browsers listening. Pages are rendered from the
/// cache (fast), so a save shows at once; cells that are not cached run in the background, one
/// execution at a time, and each result re-renders its page as it arrives.
public actor PreviewSession {
    public struct Configuration: Sendable {
        public var paths: [String]
        /// Directories whose notebooks saved after the start join the preview (and leave the
        /// full report when deleted), as a folder of notebooks does in Jupyter.
        public var directories: [String]
        public var profile: Profile
        public var threads: Int
        public var data: String?
        /// Where the static pages and summaries are written, as `render` writes them.
        public var output: URL
        public var title: String

        public init(paths: [String], directories: [String] = [], profile: Profile, threads: Int, data: String?, output: URL, title: String) {
            self.paths = paths; self.directories = directories; self.profile = profile; self.threads = threads; self.data = data; self.output = output; self.title = title
        }
    }

    /// What the worker runs: a notebook's stale cells, or one cell (with its downstream) again.
    enum Job: Equatable {
        case refresh(slug: String)
        case cell(slug: String, name: String, downstream: Bool)
        var slug: String {
            switch self { case .refresh(let s), .cell(let s, _, _): s }
        }
    }

    struct Entry {
        let path: String
        let slug: String
        /// Deleted from a watched directory: out of the full report (a named file stays, with its problem).
        var gone = false
        /// The file's bytes as last read; a change is a save.
        var source: [UInt8]?
        /// The latest plan without errors: what the page shows and jobs run.
        var plan: Plan?
        var live: LiveNotebook
        /// The static page (no script) and the model it was rendered from.
        var html: String?
        var rendered: ReportNotebook?
        /// Keys computed in this session, with their time: the page says "computed in", not "from the cache".
        var computed: [String: Double] = [:]
        /// Failed or skipped cells of the last job, by key: the cache holds no trace of them.
        var unsuccessful: [String: CellRecord] = [:]
    }

    let configuration: Configuration
    let runner: Runner
    /// In the order the full report shows them. A notebook that joins is inserted among its
    /// directory's files, so an index into `entries` is valid only until the next poll.
    private var entries: [Entry]
    /// New files not served because their page name is taken, each warned about once.
    private var ignored: Set<String> = []
    private let images = EncodedImages()
    private var indexHTML: String?
    private var subscribers: [Int: AsyncStream<String>.Continuation] = [:]
    private var nextSubscriber = 0
    private var queue: [Job] = []
    private var current: (job: Job, plan: Plan, cancellation: Cancellation, cell: String?)?
    private var workerRunning = false
    /// When the last step line of each notebook went out: steps come faster than pages want them.
    private var lastProgress: [String: ContinuousClock.Instant] = [:]
    /// The running training's last step, so that its ETA counts down in the page while one step
    /// takes longer than a second (a big model, a loaded machine).
    private var lastStep: (slug: String, cell: String, line: (Double) -> String, eta: Double, at: ContinuousClock.Instant)?
    public static let maximumSubscribers = 64
    /// How often the files are read for a save: well inside the second a save may take to show.
    public static let pollInterval = Duration.milliseconds(100)
    /// Training step lines are sent at most this often per notebook (the bar asks at least one a second).
    static let progressInterval = Duration.milliseconds(250)
    /// With no step for this long, the step line goes out again with the time left brought down.
    static let heartbeat = Duration.milliseconds(500)

    public init(_ configuration: Configuration, store: ResultStore) {
        self.configuration = configuration
        runner = Runner(store: store)
        entries = configuration.paths.map(Self.entry)
    }

    private static func entry(_ path: String) -> Entry {
        let slug = NotebookRun.slug(path)
        return Entry(path: path, slug: slug, live: LiveNotebook(slug: slug, version: 0, problems: [], cells: [:]))
    }

    private static func directory(_ path: String, is directory: String) -> Bool {
        URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path
            == URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL.path
    }

    /// Nothing runs and nothing waits.
    public var isIdle: Bool { !workerRunning }

    // MARK: - Saves

    /// Reads every notebook and renders its page from the cache; then queues what is not cached.
    public func start() {
        for i in entries.indices { reload(i, force: true) }
    }

    /// Reads the files again and handles each that changed since it was last read; notebooks new
    /// in a watched directory join.
    public func poll() {
        for i in entries.indices { reload(i, force: false) }
        for directory in configuration.directories {
            for path in NotebookFile.notebooks(in: directory) ?? [] where !entries.contains(where: { $0.path == path }) {
                join(path, directory: directory)
            }
        }
    }

    /// A notebook saved in a watched directory after the start: placed by name among that
    /// directory's notebooks, rendered, and its stale cells queued, as at the start.
    private func join(_ path: String, directory: String) {
        let slug = NotebookRun.slug(path)
        guard index(slug) == nil else {
            if ignored.insert(path).inserted {
                FileHandle.standardError.write(Data("warning: \(path) is not previewed: another notebook is already served as \(pageName(slug))\n".utf8))
            }
            return
        }
        let siblings = entries.indices.filter { Self.directory(entries[$0].path, is: directory) }
        let at = siblings.first { entries[$0].path > path } ?? siblings.last.map { $0 + 1 } ?? entries.endIndex
        entries.insert(Self.entry(path), at: at)
        indexHTML = nil
        reload(at, force: true)
    }

    private func reload(_ i: Int, force: Bool) {
        let path = entries[i].path
        let read = NotebookFile.read(path)
        let bytes = try? read.get()
        guard force || bytes != entries[i].source else { return }
        entries[i].source = bytes
        // Deleted from a watched directory: it leaves the full report; its own page says why.
        let missing = if case .failure(let failure) = read { failure.isMissing } else { false }
        setGone(i, missing && configuration.directories.contains { Self.directory(path, is: $0) })
        switch Runner.plan(read, file: path, profile: configuration.profile) {
        case .failure(.notANotebook(let d)):
            setProblems(i, [d])
        case .failure(.cannotRead(_, let reason)):
            setProblems(i, [Diagnostic(file: path, location: SourceLocation(line: 1, column: 1), severity: .error,
                                       message: "cannot read the notebook: \(reason)")])
        case .success(let plan):
            guard !plan.hasErrors else { setProblems(i, plan.diagnostics); return }
            entries[i].live.problems = plan.diagnostics.map(LiveProblem.init)
            // The edit invalidated the cell that runs: stop it; the refresh below runs the new one.
            if let running = current, running.job.slug == entries[i].slug, let cell = running.cell,
               running.plan.step(named: cell)?.key != plan.step(named: cell)?.key {
                running.cancellation.cancel()
            }
            entries[i].plan = plan
            render(i)
            broadcast(i)
            enqueueRefreshIfStale(i)
        }
    }

    private func setGone(_ i: Int, _ gone: Bool) {
        guard entries[i].gone != gone else { return }
        entries[i].gone = gone
        indexHTML = nil
        // A new version: the full report, open in a browser, fetches itself again.
        entries[i].live.version += 1
    }

    private func setProblems(_ i: Int, _ problems: [Diagnostic]) {
        entries[i].live.problems = problems.map(LiveProblem.init)
        if entries[i].html == nil { render(i) }  // a first read that fails still gets a page
        broadcast(i)
    }

    /// Queues the cells the page just rendered has no result for. A cell that failed as it is now
    /// is on the page as failed, not missing: it runs again only when asked (Run), so a save of
    /// prose does not repeat a failing training.
    private func enqueueRefreshIfStale(_ i: Int) {
        let stale = (entries[i].rendered?.records ?? []).filter { $0.status == .notRun && $0.step.key != nil }.map(\.step.cell.name)
        guard !stale.isEmpty else { return }
        enqueue(.refresh(slug: entries[i].slug), cells: stale)
    }

    // MARK: - Actions from the page

    public enum ActionError: Error, Equatable {
        case noNotebook(String)
        case noCell(String)
        /// The notebook as saved has errors: there is nothing valid to run.
        case notebookHasErrors
    }

    /// Queues one cell (and with `downstream` the cells that read it) to be computed again.
    public func run(notebook slug: String, cell: String, downstream: Bool) throws(ActionError) {
        guard let i = entries.firstIndex(where: { $0.slug == slug }) else { throw .noNotebook(slug) }
        guard let plan = entries[i].plan else { throw .notebookHasErrors }
        guard plan.step(named: cell) != nil else { throw .noCell(cell) }
        let cells = downstream ? plan.steps.map(\.cell.name).filter(plan.downstream(of: cell).contains) : [cell]
        enqueue(.cell(slug: slug, name: cell, downstream: downstream), cells: cells)
    }

    /// Stops the running execution and drops what waits: a training keeps its finished epochs
    /// and resumes from them when it runs again (a save or Run).
    public func stop() {
        current?.cancellation.cancel()
        let dropped = Set(queue.map(\.slug))
        queue.removeAll()
        for i in entries.indices where dropped.contains(entries[i].slug) {
            entries[i].live.cells = entries[i].live.cells.filter { $0.value.state != .queued }
            broadcast(i)
        }
    }

    private func enqueue(_ job: Job, cells: [String]) {
        guard let i = index(job.slug) else { return }
        if !queue.contains(job) { queue.append(job) }
        for name in cells where entries[i].live.cells[name]?.state != .running {
            entries[i].live.cells[name] = LiveCell(state: .queued, text: "queued")
        }
        broadcast(i)
        if !workerRunning {
            workerRunning = true
            Task { await self.work() }
        }
    }

    // MARK: - The worker

    private func work() async {
        while !queue.isEmpty {
            let job = queue.removeFirst()
            guard let i = index(job.slug), let plan = entries[i].plan else { continue }
            let selection: CellSelection = switch job {
            case .refresh: .all
            case let .cell(_, name, downstream): .rerun(name, downstream: downstream)
            }
            let cancellation = Cancellation()
            current = (job, plan, cancellation, nil)
            let settings = RunSettings(profile: configuration.profile, threads: configuration.threads, dataDirectory: configuration.data)
            let (events, sink) = AsyncStream<RunEvent>.makeStream()
            let runner = self.runner, output = configuration.output
            // The engine's compute blocks its thread for minutes: a thread of its own, not the
            // concurrency pool that serves the pages.
            let outcome = Task.detached { () -> Result<NotebookRun, any Error> in
                await withCheckedContinuation { continuation in
                    let thread = Thread {
                        let result = Result {
                            try runner.run(plan, selection, settings: settings, cancellation: cancellation,
                                           summaryDirectory: output, events: { sink.yield($0) })
                        }
                        sink.finish()
                        continuation.resume(returning: result)
                    }
                    thread.stackSize = 16 << 20
                    thread.start()
                }
            }
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.progressInterval)
                    self.tick()
                }
            }
            // Resolved again after each wait: a notebook that joined meanwhile moves the others.
            for await event in events { if let i = index(job.slug) { apply(event, notebook: i) } }
            ticker.cancel()
            lastStep = nil
            let result = await outcome.value
            if let i = index(job.slug) { finish(result, notebook: i) }
            current = nil
        }
        workerRunning = false
    }

    private func apply(_ event: RunEvent, notebook i: Int) {
        func set(_ cell: CellEvent, _ update: (inout LiveCell) -> Void) {
            var live = entries[i].live.cells[cell.cell] ?? LiveCell(state: .running, text: "")
            update(&live)
            entries[i].live.cells[cell.cell] = live
        }
        switch event {
        case let .started(cell, _, _):
            current?.cell = cell.cell
            // Each replica of a repeated cell draws its own curve.
            set(cell) { $0.state = .running; $0.label = cell.label; $0.text = "running"; $0.epochs = [] }
            lastStep = nil
        case let .trainingStep(cell, epoch, epochs, step, steps, loss, _, eta, _):
            let line = { (eta: Double) in "epoch \(epoch)/\(epochs) · step \(step)/\(steps) · loss \(formatFixed(loss, 4)) · ETA \(formatDuration(eta))" }
            set(cell) { $0.state = .running; $0.label = cell.label; $0.totalEpochs = epochs; $0.text = line(eta) }
            let now = ContinuousClock.now
            lastStep = (entries[i].slug, cell.cell, line, eta, now)
            if let last = lastProgress[entries[i].slug], now - last < Self.progressInterval, step != steps { return }
            lastProgress[entries[i].slug] = now
        case let .epochFinished(cell, record, epochs):
            set(cell) {
                $0.epochs.removeAll { $0.epoch >= record.epoch }
                $0.epochs.append(LiveEpoch(epoch: record.epoch, loss: record.loss, validationLoss: record.validationLoss))
                $0.totalEpochs = epochs
            }
        case let .note(cell, text):
            set(cell) { $0.text = text }
        case let .finished(cell, seconds):
            guard cell.replica == nil else { set(cell) { $0.text = "\(cell.label) done" }; break }
            if let key = current?.plan.step(named: cell.cell)?.key { entries[i].computed[key] = seconds }
            entries[i].live.cells[cell.cell] = nil
            render(i)
        case .cached(let cell, _):
            entries[i].live.cells[cell.cell] = nil
        case let .failed(cell, _, reason):
            set(cell) { $0.state = .failed; $0.text = reason }
        case let .skipped(cell, because):
            set(cell) { $0.state = .skipped; $0.text = because }
        case .warning(let text):
            FileHandle.standardError.write(Data("warning: \(text)\n".utf8))
            return
        }
        broadcast(i)
    }

    /// The heartbeat: the last step line again, its time left counted down, when no step came.
    private func tick() {
        guard let last = lastStep, let i = index(last.slug), entries[i].live.cells[last.cell]?.state == .running else { return }
        let now = ContinuousClock.now
        if let sent = lastProgress[last.slug], now - sent < Self.heartbeat { return }
        entries[i].live.cells[last.cell]?.text = last.line(max(0, last.eta - (now - last.at) / .seconds(1)))
        lastProgress[last.slug] = now
        broadcast(i)
    }

    private func finish(_ outcome: Result<NotebookRun, any Error>, notebook i: Int) {
        switch outcome {
        case .success(let run):
            let again = queue.contains { $0.slug == entries[i].slug }
            for record in run.records {
                guard let key = record.step.key else { continue }
                switch record.status {
                case .failed, .skipped: entries[i].unsuccessful[key] = record
                case .fresh, .cached: entries[i].unsuccessful[key] = nil
                case .notRun:
                    // Stopped: it waits again if a save queued it anew, else says how to go on.
                    if record.reason == "cancelled" {
                        entries[i].live.cells[record.step.cell.name] = again ? LiveCell(state: .queued, text: "queued")
                            : LiveCell(state: .stopped, text: "stopped: run it again to resume from its last finished epoch")
                    }
                }
            }
        case .failure(let error):
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        }
        // Cells the run never reached no longer wait, unless another job of this notebook does;
        // failures are on the page now.
        let stillQueued = queue.contains { $0.slug == entries[i].slug }
        entries[i].live.cells = entries[i].live.cells.filter { _, cell in
            cell.state == .stopped || (stillQueued && cell.state == .queued)
        }
        render(i)
        broadcast(i)
    }

    // MARK: - Pages

    /// Renders notebook `i`'s page from its latest plan and the cache; cells computed in this
    /// session say so, and the last job's failures stay on the page.
    private func render(_ i: Int) {
        let entry = entries[i]
        guard let plan = entry.plan else {
            // Nothing valid yet: an empty page under the problems.
            let empty = Notebook.parse("", file: entry.path, directives: []).0
            entries[i].html = ReportHTML.page(ReportNotebook(notebook: empty, records: [], slug: entry.slug), footer: footer(), images: images)
            entries[i].live.version += 1
            return
        }
        let settings = RunSettings(profile: configuration.profile, threads: configuration.threads,
                                   dataDirectory: configuration.data, cachedOnly: true)
        guard let run = try? runner.run(plan, settings: settings) else { return }
        let records = run.records.map { record -> CellRecord in
            guard let key = record.step.key else { return record }
            if record.status == .cached, let seconds = entry.computed[key] {
                return CellRecord(step: record.step, status: .fresh, result: record.result, reason: nil, seconds: seconds)
            }
            if record.status == .notRun, let failed = entry.unsuccessful[key] {
                return CellRecord(step: record.step, status: failed.status, result: nil, reason: failed.reason, seconds: failed.seconds)
            }
            return record
        }
        let notebook = ReportNotebook(notebook: plan.notebook, records: records, slug: entry.slug, claims: run.claims)
        let html = ReportHTML.page(notebook, footer: footer(), images: images)
        entries[i].html = html
        entries[i].rendered = notebook
        entries[i].live.version += 1
        indexHTML = nil
        write(html, to: pageName(entry.slug))
    }

    private func footer() -> ReportFooter {
        ReportFooter(date: ReportFooter.timestamp(Date()), profile: configuration.profile, threads: configuration.threads)
    }

    private func write(_ html: String, to name: String) {
        do { try AtomicFile.write(Array(html.utf8), to: configuration.output.appendingPathComponent(name)) }
        catch { FileHandle.standardError.write(Data("warning: \(error)\n".utf8)) }
    }

    /// A notebook's page as served: the static page with the live state and the client script.
    public func page(_ slug: String, nonce: String) -> String? {
        guard let i = index(slug), let html = entries[i].html else { return nil }
        let anchors = (entries[i].plan?.steps ?? []).map { ($0.cell.name, entries[i].slug) }
        return PreviewPage.inject(html, boot: .init(page: slug, versions: [slug: entries[i].live.version], cells: anchors), nonce: nonce)
    }

    /// The whole report as served, rendered again only after a page changed.
    public func index(nonce: String) -> String {
        if indexHTML == nil {
            let html = ReportHTML.index(title: configuration.title, notebooks: entries.filter { !$0.gone }.compactMap(\.rendered),
                                        footer: footer(), images: images)
            indexHTML = html
            write(html, to: "index.html")
        }
        // Every notebook's version, a deleted one's too: the page is current for it as well.
        let versions = Dictionary(uniqueKeysWithValues: entries.map { ($0.slug, $0.live.version) })
        let anchors = entries.filter { !$0.gone }.flatMap { e in (e.plan?.steps ?? []).map { ($0.cell.name, e.slug) } }
        return PreviewPage.inject(indexHTML!, boot: .init(page: nil, versions: versions, cells: anchors), nonce: nonce)
    }

    // MARK: - Listeners

    /// A browser's event stream: every notebook's state at once, then every change.
    public func subscribe() -> AsyncStream<String>? {
        guard subscribers.count < Self.maximumSubscribers else { return nil }
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let id = nextSubscriber
        nextSubscriber += 1
        subscribers[id] = continuation
        continuation.onTermination = { _ in Task { await self.unsubscribe(id) } }
        continuation.yield("retry: 1000\n\n")
        for entry in entries { continuation.yield(eventMessage(entry.live)) }
        return stream
    }

    private func unsubscribe(_ id: Int) { subscribers[id] = nil }

    /// A comment line: finds the connections whose browser has gone.
    public func ping() {
        for continuation in subscribers.values { continuation.yield(": ping\n\n") }
    }

    /// Ends every event stream (the server is stopping).
    public func closeStreams() {
        for continuation in subscribers.values { continuation.finish() }
        subscribers.removeAll()
    }

    public func live(_ slug: String) -> LiveNotebook? { index(slug).map { entries[$0].live } }

    private func broadcast(_ i: Int) {
        let message = eventMessage(entries[i].live)
        for continuation in subscribers.values { continuation.yield(message) }
    }

    private func index(_ slug: String) -> Int? { entries.firstIndex { $0.slug == slug } }
}
