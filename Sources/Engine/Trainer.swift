import Foundation
import ReportModel

/// Images for training; the engine reads them by index and never learns where they came from.
public protocol TrainingData: Sendable {
    var count: Int { get }
    /// (H, W, C) of one sample.
    var sampleShape: [Int] { get }
    /// Writes the samples at `indices` as NHWC Float32 to `into` (indices.count × sample floats).
    func fill(_ indices: ArraySlice<Int>, into: UnsafeMutablePointer<Float>)
}

public struct TrainingConfig: Codable, Hashable, Sendable {
    public var loss: Loss
    public var epochs: Int
    public var batchSize: Int
    public var optimizer: Adam
    /// A VAE's KL weight β (nil for an autoencoder, so its checkpoints read as before).
    public var beta: Double?

    public init(loss: Loss = .bce, epochs: Int = 3, batchSize: Int = 128, optimizer: Adam = Adam(), beta: Double? = nil) {
        self.loss = loss; self.epochs = epochs; self.batchSize = batchSize; self.optimizer = optimizer; self.beta = beta
    }
}

/// A VAE's loss in its two parts: loss = reconstruction + β · kl.
public struct LossParts: Codable, Hashable, Sendable {
    public var reconstruction: Double
    public var kl: Double
    public init(reconstruction: Double, kl: Double) { self.reconstruction = reconstruction; self.kl = kl }
}

public struct EpochRecord: Codable, Hashable, Sendable {
    public var epoch: Int
    /// Mean of the epoch's batch losses (what Keras's progress bar reports).
    public var loss: Double
    public var seconds: Double
    public var imagesPerSecond: Double
    /// A VAE's reconstruction and KL means over the epoch (nil for an autoencoder).
    public var parts: LossParts?
    /// The mean loss over the held-out images after the epoch (nil without them), as Keras's
    /// `val_loss`: no gradient, and a VAE decodes z_mean.
    public var validationLoss: Double?

    public init(epoch: Int, loss: Double, seconds: Double, imagesPerSecond: Double, parts: LossParts? = nil, validationLoss: Double? = nil) {
        self.epoch = epoch; self.loss = loss; self.seconds = seconds; self.imagesPerSecond = imagesPerSecond; self.parts = parts
        self.validationLoss = validationLoss
    }
}

/// Everything needed to continue training where it stopped: saved with each epoch's checkpoint.
public struct TrainingState: Sendable, Equatable {
    public var params: [Float]
    public var m: [Float]
    public var v: [Float]
    /// Optimizer updates done so far (Adam's t).
    public var step: Int
    public var history: [EpochRecord]

    public init(params: [Float], m: [Float], v: [Float], step: Int, history: [EpochRecord]) {
        self.params = params; self.m = m; self.v = v; self.step = step; self.history = history
    }

    public static func initial(_ model: Model, seed: UInt64) -> TrainingState {
        let zeros = [Float](repeating: 0, count: model.parameterCount)
        return TrainingState(params: model.initialParameters(seed: seed), m: zeros, v: zeros, step: 0, history: [])
    }
}

public enum TrainingEvent: Sendable {
    /// After each optimizer step; `loss` is the epoch's running mean, `eta` seconds left in the run.
    /// `parts`: a VAE's running reconstruction and KL means.
    case step(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double, imagesPerSecond: Double, eta: Double, parts: LossParts?)
    case epochEnd(EpochRecord)
}

public enum TrainingError: UserError, Equatable {
    case nonFinite(epoch: Int, step: Int, loss: Double)
    case shapeMismatch(data: [Int], model: [Int])
    case noData
    case invalidSetting(String)
    /// Training would need more memory than allowed; found before anything is allocated.
    case tooLarge(bytes: Int, limit: Int, batch: Int)

    public var message: String {
        switch self {
        case let .tooLarge(bytes, limit, batch):
            "training this model with batch \(batch) needs about \(bytesText(bytes)) of memory, more than the "
                + "\(bytesText(limit)) allowed (half of this machine's memory)"
        case let .nonFinite(epoch, step, loss):
            "training diverged: the loss became \(loss.isNaN ? "NaN" : loss > 0 ? "infinite" : "-infinite") at epoch \(epoch), step \(step)"
        case let .shapeMismatch(data, model):
            "the data has images of shape \(shapeText(data)) but the model expects \(shapeText(model))"
        case .noData:
            "there are no images to train on"
        case .invalidSetting(let s):
            s
        }
    }

    public var hint: String? {
        switch self {
        case .tooLarge: "use fewer filters or units, or a smaller batch"
        case .nonFinite: "try a smaller learning rate"
        case .shapeMismatch, .noData, .invalidSetting: nil
        }
    }
}

/// Data-parallel training: each step's batch is split into contiguous shards, an equal run of them
/// per thread, each run start to finish by its thread in the thread's own workspace with
/// single-threaded oneDNN calls, the thread's gradients accumulated in shard order; the threads'
/// gradients are then summed in a fixed order and Adam takes one step. The same seed and thread
/// count therefore give bit-identical results.
public struct Trainer: Sendable {
    public let model: Model
    public let config: TrainingConfig
    public let threads: Int

    /// Refused above this many bytes of training memory (`memoryBytes`).
    public let memoryLimit: Int
    /// oneDNN's convolutions, or the engine's own im2col path (same results to rounding).
    public let convolutions: ConvAlgorithm

    /// Where a VAE's ε come from (`Sampling.noise`); unused by an autoencoder.
    public let samplingSeed: UInt64
    /// A VAE's ε for (epoch, step, count): `Sampling.noise` from `samplingSeed`; tests fix it.
    public var samplingNoise: @Sendable (_ epoch: Int, _ step: Int, _ count: Int) -> [Float]

    public init(model: Model, config: TrainingConfig, threads: Int, memoryLimit: Int = Trainer.defaultMemoryLimit,
                convolutions: ConvAlgorithm = .oneDNN, samplingSeed: UInt64 = 0) throws(TrainingError) {
        self.memoryLimit = memoryLimit
        self.samplingSeed = samplingSeed
        samplingNoise = { Sampling.noise(seed: samplingSeed, epoch: $0, step: $1, count: $2) }
        self.convolutions = convolutions
        guard config.batchSize >= 1 else { throw .invalidSetting("batch size must be at least 1, got \(config.batchSize)") }
        // Keeps the workspace sizes (batch × values per image) far from overflowing.
        guard config.batchSize <= 1 << 20 else { throw .invalidSetting("batch size must be at most 1,048,576, got \(grouped(config.batchSize))") }
        guard config.epochs >= 1 else { throw .invalidSetting("epochs must be at least 1, got \(config.epochs)") }
        guard threads >= 1 else { throw .invalidSetting("threads must be at least 1, got \(threads)") }
        self.model = model
        self.config = config
        self.threads = min(threads, config.batchSize)
        let bytes = memoryBytes
        guard bytes <= memoryLimit else { throw .tooLarge(bytes: bytes, limit: memoryLimit, batch: config.batchSize) }
    }

    /// What `train` allocates, in bytes, counted without allocating: parameters and Adam's two
    /// moments; per thread a workspace (activations, saved values, gradients of activations and
    /// of parameters); and a checkpoint of the three at each epoch's end. Saturates instead of
    /// overflowing, so an absurd model reads as too large rather than trapping.
    public var memoryBytes: Int {
        let capacity = shardCapacity
        let arena = Workspace.Layout(model: model, capacity: capacity, training: true).count
        let (perThread, o1) = arena.addingReportingOverflow(model.parameterCount)
        let (threadFloats, o2) = perThread.multipliedReportingOverflow(by: threads)
        let (stateFloats, o3) = model.parameterCount.multipliedReportingOverflow(by: 6)
        let (floats, o4) = threadFloats.addingReportingOverflow(stateFloats)
        let (bytes, o5) = floats.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
        return o1 || o2 || o3 || o4 || o5 ? .max : bytes
    }

    /// Images per shard at most: a thread works through its part of a batch in shards this small,
    /// so that a shard's activations stay in L2 between forward and backward (measured: training
    /// the baseline with one 64-image shard per thread was about 25 % slower; BENCHMARKS.md).
    public static let shardLimit = 16

    /// The shards a batch of `n` images is split into: a multiple of the thread count (each thread
    /// takes an equal run of them), each of at most `shardLimit` images.
    func shardCount(_ n: Int) -> Int { min(n, threads * ((n + threads * Trainer.shardLimit - 1) / (threads * Trainer.shardLimit))) }

    /// The most images one shard holds, over every batch size up to `config.batchSize`.
    var shardCapacity: Int { min(Trainer.shardLimit, (config.batchSize + threads - 1) / threads) }

    /// Half the machine's physical memory: the rest is for the data, the system and other work.
    public static let defaultMemoryLimit = Int(clamping: ProcessInfo.processInfo.physicalMemory / 2)

    /// Trains from `state` (fresh or resumed) up to `config.epochs`. `order(e)` gives epoch e's
    /// sample order (1-based e); `epochFinished` sees the state after each epoch (to checkpoint it).
    public func train(data: some TrainingData, from state: TrainingState,
                      order: (Int) -> [Int], validation: (any TrainingData)? = nil,
                      progress: (TrainingEvent) throws -> Void = { _ in },
                      epochFinished: (TrainingState) throws -> Void = { _ in }) throws -> TrainingState {
        guard data.sampleShape == model.spec.input else { throw TrainingError.shapeMismatch(data: data.sampleShape, model: model.spec.input) }
        guard data.count > 0 else { throw TrainingError.noData }
        if let validation, validation.sampleShape != model.spec.input {
            throw TrainingError.shapeMismatch(data: validation.sampleShape, model: model.spec.input)
        }
        precondition(state.params.count == model.parameterCount && state.m.count == state.params.count && state.v.count == state.params.count)

        let batch = config.batchSize
        let workspaces = (0..<threads).map { _ in Workspace(model: model, capacity: shardCapacity, training: true, convolutions: convolutions) }
        let steps = (data.count + batch - 1) / batch
        var state = state
        let clock = ContinuousClock()
        let runStart = clock.now
        let firstEpoch = state.history.count + 1
        guard firstEpoch <= config.epochs else { return state }

        for epoch in firstEpoch...config.epochs {
            let indices = order(epoch)
            precondition(indices.count == data.count)
            let epochStart = clock.now
            var lossSum = 0.0, reconstructionSum = 0.0, klSum = 0.0
            let latent = model.spec.latent, beta = config.beta ?? 1
            for s in 0..<steps {
                let lo = s * batch, hi = min(lo + batch, data.count), n = hi - lo
                let shards = shardCount(n), workers = min(threads, shards)
                let losses = UnsafeMutableBufferPointer<(reconstruction: Double, kl: Double)>.allocate(capacity: shards)
                defer { losses.deallocate() }
                // Drawn for the whole batch before it is split, so ε does not depend on the thread count.
                let eps = model.variational ? samplingNoise(epoch, s + 1, n * latent) : []
                state.params.withUnsafeBufferPointer { p in
                    eps.withUnsafeBufferPointer { e in
                        let params = p.baseAddress!
                        parallelFor(workers) { t in
                            let ws = workspaces[t]
                            for shard in (shards * t / workers)..<(shards * (t + 1) / workers) {
                                let a = lo + n * shard / shards, b = lo + n * (shard + 1) / shards
                                ws.loadInput(count: b - a) { data.fill(indices[a..<b], into: $0) }
                                losses[shard] = ws.trainStep(model, loss: config.loss, params: params, batch: b - a, batchTotal: n,
                                                             accumulate: shard > shards * t / workers,
                                                             eps: model.variational ? e.baseAddress! + (a - lo) * latent : nil,
                                                             beta: Float(beta))
                            }
                        }
                    }
                }
                let reconstruction = losses.reduce(0) { $0 + $1.reconstruction }, kl = losses.reduce(0) { $0 + $1.kl }
                let batchLoss = reconstruction + beta * kl
                guard batchLoss.isFinite else { throw TrainingError.nonFinite(epoch: epoch, step: s + 1, loss: batchLoss) }
                lossSum += batchLoss
                reconstructionSum += reconstruction
                klSum += kl
                state.step += 1
                applyUpdate(&state, workspaces: workspaces[..<workers])

                let elapsed = seconds(clock.now - epochStart)
                let rate = Double(hi) / max(elapsed, 1e-9)
                let runDone = Double((epoch - firstEpoch) * data.count + hi)
                let runTotal = Double((config.epochs - firstEpoch + 1) * data.count)
                let eta = seconds(clock.now - runStart) / runDone * (runTotal - runDone)
                let parts = model.variational ? LossParts(reconstruction: reconstructionSum / Double(s + 1), kl: klSum / Double(s + 1)) : nil
                try progress(.step(epoch: epoch, epochs: config.epochs, step: s + 1, steps: steps,
                               loss: lossSum / Double(s + 1), imagesPerSecond: rate, eta: eta, parts: parts))
            }
            let secondsTaken = seconds(clock.now - epochStart)
            let parts = model.variational ? LossParts(reconstruction: reconstructionSum / Double(steps), kl: klSum / Double(steps)) : nil
            let validationLoss = validation.map { evaluate($0, params: state.params, workspaces: workspaces) }
            let record = EpochRecord(epoch: epoch, loss: lossSum / Double(steps), seconds: secondsTaken,
                                     imagesPerSecond: Double(data.count) / secondsTaken, parts: parts, validationLoss: validationLoss)
            state.history.append(record)
            // Checkpoint first: once an epoch is reported, it is safe on disk.
            try epochFinished(state)
            try progress(.epochEnd(record))
        }
        return state
    }

    /// The mean per-image loss over `data` at `params`, without gradients: chunks of a shard, an
    /// equal run of them per thread, summed in chunk order (so the same for the same thread count).
    func evaluate(_ data: any TrainingData, params: [Float], workspaces: [Workspace]) -> Double {
        let chunk = shardCapacity, chunks = (data.count + chunk - 1) / chunk
        guard chunks > 0 else { return .nan }
        let workers = min(workspaces.count, chunks)
        let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunks)
        defer { sums.deallocate() }
        let beta = config.beta ?? 1
        params.withUnsafeBufferPointer { p in
            parallelFor(workers) { t in
                let ws = workspaces[t]
                for c in (chunks * t / workers)..<(chunks * (t + 1) / workers) {
                    let lo = c * chunk, hi = min(lo + chunk, data.count)
                    ws.loadInput(count: hi - lo) { data.fill(Array(lo..<hi)[...], into: $0) }
                    sums[c] = ws.evaluate(model, loss: config.loss, params: p.baseAddress!, batch: hi - lo, beta: beta)
                }
            }
        }
        return sums.reduce(0, +) / Double(data.count)
    }

    /// One batch's loss (reconstruction + β · KL) and its gradient at `params`, computed as a
    /// training step computes them, in one shard: for finite-difference tests of a whole model.
    /// `eps` is a VAE's ε, (batch, latent).
    public func lossAndGradient(data: some TrainingData, indices: [Int], params: [Float], eps: [Float]? = nil)
        -> (loss: Double, gradient: [Float]) {
        precondition(params.count == model.parameterCount && model.variational == (eps != nil))
        let ws = Workspace(model: model, capacity: indices.count, training: true, convolutions: convolutions)
        ws.loadInput(count: indices.count) { data.fill(indices[...], into: $0) }
        let beta = config.beta ?? 1
        let parts = params.withUnsafeBufferPointer { p in
            (eps ?? []).withUnsafeBufferPointer { e in
                ws.trainStep(model, loss: config.loss, params: p.baseAddress!, batch: indices.count, batchTotal: indices.count,
                             eps: eps == nil ? nil : e.baseAddress!, beta: Float(beta))
            }
        }
        return (parts.reconstruction + beta * parts.kl, ws.grads)
    }

    /// Sums the shards' gradients into the first (in shard order: deterministic) and steps Adam,
    /// both in one pass over each thread's slice of the parameters.
    private func applyUpdate(_ state: inout TrainingState, workspaces: ArraySlice<Workspace>) {
        let t = state.step, count = model.parameterCount
        let parts = min(threads, max(1, count / 4096))
        withGradients(workspaces) { grads in
            state.params.withUnsafeMutableBufferPointer { p in
                state.m.withUnsafeMutableBufferPointer { m in
                    state.v.withUnsafeMutableBufferPointer { v in
                        let (p, m, v, g) = (p.baseAddress!, m.baseAddress!, v.baseAddress!, grads[0])
                        parallelFor(parts) { part in
                            let lo = count * part / parts, hi = count * (part + 1) / parts
                            for h in grads.dropFirst() { for i in lo..<hi { g[i] += h[i] } }
                            config.optimizer.update(params: p + lo, grads: g + lo, m: m + lo, v: v + lo, count: hi - lo, step: t)
                        }
                    }
                }
            }
        }
    }

    /// Every shard's gradient buffer at once, each borrowed for the duration of `body` only.
    private func withGradients<R>(_ workspaces: ArraySlice<Workspace>, _ taken: [UnsafeMutablePointer<Float>] = [],
                                  _ body: ([UnsafeMutablePointer<Float>]) -> R) -> R {
        guard let head = workspaces.first else { return body(taken) }
        return head.grads.withUnsafeMutableBufferPointer { withGradients(workspaces.dropFirst(), taken + [$0.baseAddress!], body) }
    }
}
