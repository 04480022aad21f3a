import Engine
import Testing

/// Soft blobs at random places: structured enough for an autoencoder to learn quickly.
struct Blobs: TrainingData {
    let count: Int
    let sampleShape: [Int]
    let pixels: [Float]
    var poisoned: Int? = nil

    init(count: Int, size: Int = 12, channels: Int = 1, seed: UInt64 = 1) {
        var rng = SeededGenerator(seed: seed)
        var pixels: [Float] = []
        for _ in 0..<count {
            let cy = rng.uniform(2, Float(size) - 2), cx = rng.uniform(2, Float(size) - 2), r = rng.uniform(1, 3)
            for y in 0..<size { for x in 0..<size { for c in 0..<channels {
                let d2 = (Float(y) - cy) * (Float(y) - cy) + (Float(x) - cx) * (Float(x) - cx)
                pixels.append(min(1, max(0, 1.2 - d2 / (r * r))) * (channels == 1 ? 1 : Float(c + 1) / Float(channels)))
            } } }
        }
        self.count = count; self.sampleShape = [size, size, channels]; self.pixels = pixels
    }

    func fill(_ indices: ArraySlice<Int>, into p: UnsafeMutablePointer<Float>) {
        let n = sampleShape.reduce(1, *)
        for (j, i) in indices.enumerated() {
            for k in 0..<n { p[j * n + k] = i == poisoned ? .nan : pixels[i * n + k] }
        }
    }
}

func shuffled(_ n: Int, seed: UInt64) -> (Int) -> [Int] {
    { epoch in
        var rng = SeededGenerator(seed: seed, stream: "shuffle-\(epoch)")
        return Array(0..<n).shuffled(using: &rng)
    }
}

@Test("training reduces the loss", arguments: ["baseline", "deep", "dense", "residual"])
func trainingReducesLoss(_ arch: String) throws {
    let data = Blobs(count: 256)
    let model = try Model.preset(arch, input: [12, 12, 1], latent: 2)
    let trainer = try Trainer(model: model, config: TrainingConfig(epochs: 6, batchSize: 32), threads: 2)
    let state = try trainer.train(data: data, from: .initial(model, seed: 1), order: shuffled(data.count, seed: 1))
    let losses = state.history.map(\.loss)
    #expect(losses.count == 6 && state.step == 6 * 8)
    #expect(losses.last! < 0.8 * losses.first!, "\(losses)")
}

@Test func mseTrainingWorksToo() throws {
    let data = Blobs(count: 128, channels: 3)
    let model = try Model.preset("baseline", input: [12, 12, 3], latent: 3)
    let trainer = try Trainer(model: model, config: TrainingConfig(loss: .mse, epochs: 5, batchSize: 16), threads: 2)
    let losses = try trainer.train(data: data, from: .initial(model, seed: 2), order: shuffled(data.count, seed: 2)).history.map(\.loss)
    #expect(losses.last! < 0.7 * losses.first!, "\(losses)")
}

@Test func sameSeedAndThreadsGiveIdenticalWeights() throws {
    let data = Blobs(count: 100)
    let model = try Model.preset("baseline", input: [12, 12, 1], latent: 2)
    func run(_ threads: Int, seed: UInt64 = 4) throws -> TrainingState {
        try Trainer(model: model, config: TrainingConfig(epochs: 2, batchSize: 24), threads: threads)
            .train(data: data, from: .initial(model, seed: seed), order: shuffled(data.count, seed: seed))
    }
    let a = try run(2), b = try run(2)
    #expect(a.params == b.params && a.history.map(\.loss) == b.history.map(\.loss))
    #expect(try run(2, seed: 5).params != a.params)
    // a different thread count sums shards differently but learns the same thing
    let c = try run(1)
    #expect(abs(c.history.last!.loss - a.history.last!.loss) < 1e-3 * a.history.last!.loss)
}

/// A batch larger than threads × `Trainer.shardLimit` is worked through in several shards per
/// thread, gradients accumulated: the same training as one thread, and as the im2col path.
@Test func severalShardsPerThreadAndBothConvolutionPathsAgree() throws {
    let data = Blobs(count: 200)
    let model = try Model.preset("baseline", input: [12, 12, 1], latent: 2)
    let batch = 4 * Trainer.shardLimit + 5
    func run(_ threads: Int, _ path: ConvAlgorithm = .oneDNN) throws -> TrainingState {
        try Trainer(model: model, config: TrainingConfig(epochs: 2, batchSize: batch), threads: threads, convolutions: path)
            .train(data: data, from: .initial(model, seed: 9), order: shuffled(data.count, seed: 9))
    }
    let a = try run(2), b = try run(2)
    #expect(a.params == b.params)
    for other in [try run(1), try run(2, .im2col), try run(3, .im2col)] {
        for (x, y) in zip(other.history, a.history) { #expect(abs(x.loss - y.loss) < 1e-4 * y.loss, "\(x.loss) vs \(y.loss)") }
    }
}

@Test func resumingFromAnEpochCheckpointIsExact() throws {
    let data = Blobs(count: 90)
    let model = try Model.preset("baseline", input: [12, 12, 1], latent: 2)
    let order = shuffled(data.count, seed: 8)
    let full = try Trainer(model: model, config: TrainingConfig(epochs: 3, batchSize: 32), threads: 2)
        .train(data: data, from: .initial(model, seed: 8), order: order)
    let firstEpoch = try Trainer(model: model, config: TrainingConfig(epochs: 1, batchSize: 32), threads: 2)
        .train(data: data, from: .initial(model, seed: 8), order: order)
    let resumed = try Trainer(model: model, config: TrainingConfig(epochs: 3, batchSize: 32), threads: 2)
        .train(data: data, from: firstEpoch, order: order)
    #expect(resumed.params == full.params && resumed.m == full.m && resumed.v == full.v && resumed.step == full.step)
    #expect(resumed.history.map(\.loss) == full.history.map(\.loss))
}

@Test func lastPartialBatchIsTrainedAndCountsAsABatch() throws {
    let data = Blobs(count: 50)
    let model = try Model.preset("dense", input: [12, 12, 1], latent: 2)
    var steps: [Int] = []
    let state = try Trainer(model: model, config: TrainingConfig(epochs: 1, batchSize: 16), threads: 2)
        .train(data: data, from: .initial(model, seed: 1), order: shuffled(50, seed: 1)) { event in
            if case let .step(_, _, step, total, _, _, _, _) = event { steps.append(step); #expect(total == 4) }
        }
    #expect(steps == [1, 2, 3, 4] && state.step == 4)
}

@Test func nonFiniteLossStopsTrainingNamingEpochAndStep() throws {
    var data = Blobs(count: 64)
    data.poisoned = 40
    let model = try Model.preset("baseline", input: [12, 12, 1], latent: 2)
    let trainer = try Trainer(model: model, config: TrainingConfig(epochs: 2, batchSize: 16), threads: 2)
    // in file order, image 40 is in the third batch of the first epoch
    do {
        _ = try trainer.train(data: data, from: .initial(model, seed: 1), order: { _ in Array(0..<64) })
        Issue.record("training went on through a NaN")
    } catch let TrainingError.nonFinite(epoch, step, loss) {
        #expect(epoch == 1 && step == 3 && loss.isNaN)
    }
    #expect("\(TrainingError.nonFinite(epoch: 1, step: 3, loss: .infinity))"
            == "training diverged: the loss became infinite at epoch 1, step 3\nhint: try a smaller learning rate")
    #expect("\(TrainingError.nonFinite(epoch: 2, step: 5, loss: -.nan))"
            == "training diverged: the loss became NaN at epoch 2, step 5\nhint: try a smaller learning rate")
}

@Test func badSettingsAreErrors() throws {
    let model = try Model.preset("baseline", input: [12, 12, 1], latent: 2)
    #expect(throws: TrainingError.invalidSetting("batch size must be at least 1, got 0")) {
        _ = try Trainer(model: model, config: TrainingConfig(batchSize: 0), threads: 1)
    }
    #expect(throws: TrainingError.shapeMismatch(data: [12, 12, 3], model: [12, 12, 1])) {
        _ = try Trainer(model: model, config: TrainingConfig(), threads: 1)
            .train(data: Blobs(count: 4, channels: 3), from: .initial(model, seed: 1), order: { _ in [0, 1, 2, 3] })
    }
}

@Test func inferencePartsComposeAndDoNotDependOnThreads() throws {
    let data = Blobs(count: 37)
    let model = try Model.preset("baseline", input: [12, 12, 1], latent: 2)
    let params = model.initialParameters(seed: 3)
    let images = data.pixels
    let z1 = model.run(.encoder, params: params, input: images, count: 37, threads: 1, chunk: 8)
    let z2 = model.run(.encoder, params: params, input: images, count: 37, threads: 2, chunk: 8)
    #expect(z1 == z2 && z1.count == 74)
    // other chunk sizes change GEMM blocking, hence rounding, but nothing else
    let z3 = model.run(.encoder, params: params, input: images, count: 37, threads: 2, chunk: 5)
    #expect(maxRelativeError(z1, z3) < 1e-5)
    let direct = model.run(.autoencoder, params: params, input: images, count: 37, threads: 2)
    let composed = model.run(.decoder, params: params, input: z1, count: 37)
    #expect(maxRelativeError(direct, composed) < 1e-6)
    #expect(direct.allSatisfy { $0 > 0 && $0 < 1 })  // the sigmoid output is applied in inference
}

/// The memory check runs before anything is allocated, and its estimate covers what `train`
/// allocates: parameters and Adam's moments, one workspace per thread, a checkpoint per epoch.
@Test func modelsTooLargeForMemoryAreRefusedBeforeAllocating() throws {
    let model = try Model.preset("baseline", input: [28, 28, 1], latent: 2)
    let config = TrainingConfig(epochs: 1, batchSize: 128)
    let trainer = try Trainer(model: model, config: config, threads: 2)
    let bytes = trainer.memoryBytes
    #expect(bytes > 6 * 4 * model.parameterCount)
    #expect(try Trainer(model: model, config: config, threads: 2, memoryLimit: bytes).memoryBytes == bytes)
    #expect(throws: TrainingError.tooLarge(bytes: bytes, limit: bytes - 1, batch: 128)) {
        try Trainer(model: model, config: config, threads: 2, memoryLimit: bytes - 1)
    }
    #expect(throws: TrainingError.invalidSetting("batch size must be at most 1,048,576, got 2,000,000")) {
        try Trainer(model: model, config: TrainingConfig(epochs: 1, batchSize: 2_000_000), threads: 2)
    }
    // Activations grow with the shard, the parameters' share does not; past threads × shardLimit
    // images a batch only adds shards, not memory.
    func bytesFor(_ batch: Int) throws -> Int { try Trainer(model: model, config: TrainingConfig(epochs: 1, batchSize: batch), threads: 2).memoryBytes }
    let small = try bytesFor(Trainer.shardLimit), twice = try bytesFor(2 * Trainer.shardLimit)
    #expect(twice > small && twice < 2 * small)
    #expect(try bytesFor(2 * Trainer.shardLimit) == bytes && bytesFor(4096) == bytes)
    #expect("\(TrainingError.tooLarge(bytes: 531_502_202_880, limit: 12 << 30, batch: 8192))"
            == "training this model with batch 8192 needs about 495.00 GB of memory, more than the 12.00 GB allowed "
            + "(half of this machine's memory)\nhint: use fewer filters or units, or a smaller batch")
}

/// The held-out loss after each epoch is the loss of those images at that epoch's weights,
/// evaluated apart (for a VAE: through z_mean, plus β · KL); training is not changed by it.
@Test("validation loss is a separate evaluation of the same weights", arguments: [false, true])
func validationLossIsASeparateEvaluation(variational: Bool) throws {
    let data = Blobs(count: 96), held = Blobs(count: 40, seed: 77)
    var spec = try Presets.spec("baseline", input: [12, 12, 1], latent: 2)
    spec.variational = variational
    let model = try Model(spec)
    let trainer = try Trainer(model: model, config: TrainingConfig(epochs: 2, batchSize: 32, beta: variational ? 0.5 : nil), threads: 2)
    let order = shuffled(data.count, seed: 6)
    let with = try trainer.train(data: data, from: .initial(model, seed: 6), order: order, validation: held)
    let without = try trainer.train(data: data, from: .initial(model, seed: 6), order: order)
    #expect(with.params == without.params && without.history.allSatisfy { $0.validationLoss == nil })
    let after = try #require(with.history.last?.validationLoss)
    let (separate, _) = trainer.lossAndGradient(data: held, indices: Array(0..<held.count), params: with.params,
                                                eps: variational ? [Float](repeating: 0, count: held.count * 2) : nil)
    #expect(abs(after - separate) <= 1e-6 * separate, "\(after) vs \(separate)")
    // Resumed after epoch 1, epoch 2's held-out loss is the same.
    var one = trainer.config
    one.epochs = 1
    let first = try Trainer(model: model, config: one, threads: 2).train(data: data, from: .initial(model, seed: 6), order: order, validation: held)
    let resumed = try trainer.train(data: data, from: first, order: order, validation: held)
    #expect(resumed.history.map(\.validationLoss) == with.history.map(\.validationLoss))
    #expect(throws: TrainingError.shapeMismatch(data: [12, 12, 3], model: [12, 12, 1])) {
        try trainer.train(data: data, from: .initial(model, seed: 6), order: order, validation: Blobs(count: 4, channels: 3))
    }
}
