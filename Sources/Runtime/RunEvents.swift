import Engine
import Foundation
import Notebook

/// What a run reports while it goes, in order: the CLI prints these lines, the preview streams
/// them to the page. Every event names its notebook and cell.
public enum RunEvent: Sendable {
    /// A cell's computation begins (cells found in the cache only report `cached`).
    case started(CellEvent, index: Int, count: Int)
    case cached(CellEvent, seconds: Double)
    /// A training step: epoch, step, running loss, speed and the time left.
    /// `parts`: a VAE's running reconstruction and KL means (nil for an autoencoder).
    case trainingStep(CellEvent, epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double, imagesPerSecond: Double, eta: Double,
                      parts: LossParts? = nil)
    case epochFinished(CellEvent, EpochRecord, epochs: Int)
    /// Something the cell wants said (a resumed training).
    case note(CellEvent, String)
    case finished(CellEvent, seconds: Double)
    case failed(CellEvent, location: SourceLocation, reason: String)
    case skipped(CellEvent, because: String)
    /// A problem that does not stop the run (a damaged cache entry, recomputed).
    case warning(String)
}

/// Which cell of which notebook an event is about.
public struct CellEvent: Sendable, Hashable {
    public var notebook: String
    public var cell: String
    public var directive: String
    /// Of a repeated cell (`seeds`): which of how many replicas, from 1.
    public var replica: Int?
    public var replicas: Int?

    public init(notebook: String, cell: String, directive: String, replica: Int? = nil, replicas: Int? = nil) {
        self.notebook = notebook; self.cell = cell; self.directive = directive; self.replica = replica; self.replicas = replicas
    }

    /// The cell's name, with the replica of a repeated cell: "ae (seed 2 of 3)".
    public var label: String { replica.map { "\(cell) (seed \($0) of \(replicas ?? $0))" } ?? cell }
}

/// A flag a front end sets to stop a run: checked between cells and at every training step.
/// The cell running stops with `CancellationError`; finished work (cache entries, checkpoints
/// of finished epochs) is kept.
public final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    public init() {}
    public func cancel() { lock.withLock { cancelled = true } }
    public var isCancelled: Bool { lock.withLock { cancelled } }
    public func check() throws { if isCancelled { throw CancellationError() } }
}

/// What a run computes.
public enum CellSelection: Sendable, Equatable {
    /// Every cell, from the cache where possible.
    case all
    /// Only this cell (and with `downstream`, every cell that reads it), recomputed even if cached;
    /// the cells they read come from the cache. Other cells are not run.
    case only(String, downstream: Bool)
    /// Every cell, but this one (and its downstream) recomputed: what a page needs after an edit.
    case rerun(String, downstream: Bool)
}

/// Where a cell stands before a run.
public enum CellStatus: String, Sendable, Codable {
    /// Its result for the notebook as it is now is in the cache.
    case cached
    /// It ran before, but something it depends on has changed since.
    case stale
    case neverRun = "never run"
    /// It has errors (or reads a cell that has), so it has no key.
    case invalid
}
