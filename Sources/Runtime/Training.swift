import Datasets
import Engine
import Foundation
import ReportModel

/// Training with a checkpoint rewritten after every epoch: the one training path, which the
/// `train` directive and `latentbook train` both take. An existing checkpoint of the same model,
/// settings and data is resumed after its last finished epoch.
public struct TrainingRun {
    /// What to do with a checkpoint training cannot continue from.
    public enum Mismatch: Sendable {
        /// A cell's own partial checkpoint: say so and start over.
        case startOver
        /// A file the user named: refuse, and leave it as it is.
        case refuse
    }

    public var model: Model
    public var config: TrainingConfig
    public var seed: UInt64
    public var threads: Int
    public var checkpoint: URL?
    public var mismatch: Mismatch

    public init(model: Model, config: TrainingConfig, seed: UInt64, threads: Int, checkpoint: URL?, mismatch: Mismatch) {
        self.model = model; self.config = config; self.seed = seed; self.threads = threads
        self.checkpoint = checkpoint; self.mismatch = mismatch
    }

    /// What a checkpoint records of its data and seed, so that it resumes only on the same.
    public static func notes(seed: UInt64, data: ImageSet, validation: ImageSet? = nil) -> [String: String] {
        var notes = ["seed": String(seed), "data": data.name, "data_sha256": data.sources.map { "\($0.file)=\($0.sha256)" }.joined(separator: ",")]
        if let validation {
            notes["validation"] = validation.name
            notes["validation_sha256"] = validation.sources.map { "\($0.file)=\($0.sha256)" }.joined(separator: ",")
        }
        return notes
    }

    /// Trains on `data`; `resumed` is told the epoch a checkpoint continues after, `warning` why
    /// one was not used. Throws `CancellationError` when `progress` does (the checkpoint then
    /// holds the last finished epoch).
    public func run(data: ImageSet, validation: ImageSet? = nil, progress: (TrainingEvent) throws -> Void,
                    resumed: (Int) -> Void = { _ in }, warning: (String) -> Void = { _ in }) throws -> Checkpoint {
        let spec = model.spec
        let notes = TrainingRun.notes(seed: seed, data: data, validation: validation)
        // Before any allocation: the trainer refuses a model too large for memory.
        let trainer = try Trainer(model: model, config: config, threads: threads, samplingSeed: seed)
        var start = TrainingState.initial(model, seed: seed)
        if let checkpoint, let bytes = FileManager.default.contents(atPath: checkpoint.path) {
            do {
                let saved = try Checkpoint(SafeTensors(decoding: [UInt8](bytes)))
                if saved.canContinue(spec: spec, config: config, notes: notes) {
                    start = saved.state
                    resumed(saved.state.history.count)
                } else if mismatch == .refuse {
                    throw ResumeError(path: checkpoint.relativePath, problem: .otherModel)
                }
            } catch let error as ResumeError {
                throw error
            } catch {
                // Written atomically, so only a damaged or foreign file gets here.
                if mismatch == .refuse { throw ResumeError(path: checkpoint.relativePath, problem: .unreadable("\(error)")) }
                warning("is unreadable (\(error)); training from the start")
            }
        }
        let order = EpochOrder(count: data.count, seed: seed)
        let state = try trainer.train(data: data, from: start, order: order.permutation(epoch:), validation: validation,
                                      progress: progress) { state in
            guard let checkpoint else { return }
            try AtomicFile.write(try Checkpoint(spec: spec, config: config, state: state, notes: notes).safetensors().encoded(), to: checkpoint)
        }
        return Checkpoint(spec: spec, config: config, state: state, notes: notes)
    }
}

/// A checkpoint file training was asked to continue but cannot; it is left as it is.
public struct ResumeError: UserError {
    public enum Problem: Sendable { case otherModel, unreadable(String) }
    public let path: String
    public let problem: Problem

    public var message: String {
        switch problem {
        case .otherModel: "\(path) holds a checkpoint of a different model, data or settings"
        case .unreadable(let reason): "\(path) is not a readable checkpoint: \(reason)"
        }
    }
    public var hint: String? { "remove it or choose another --save path" }
}
