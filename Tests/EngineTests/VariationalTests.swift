import Engine
import Foundation
import Testing

/// f(h) = Σ w·z(h, ε) + λ·KL(h) for fixed ε: `Sampling.backward` with dz = w must be its gradient.
@Test("sampling and KL gradients match finite differences", arguments: [(0.0, 1), (1.0, 1), (0.25, 3)])
func samplingAndKLGradients(klWeight: Double, latent: Int) {
    let batch = 3
    var rng = SeededGenerator(seed: 7)
    let h = (0..<(batch * 2 * latent)).map { _ in rng.uniform(-1.5, 1.5) }
    let eps = (0..<(batch * latent)).map { _ in Float(rng.normal()) }
    let w = (0..<(batch * latent)).map { _ in rng.uniform(-1, 1) }
    func f(_ h: [Float]) -> Double {
        var z = [Float](repeating: 0, count: batch * latent)
        Sampling.forward(h: h, eps: eps, z: &z, batch: batch, latent: latent)
        return zip(z, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } + klWeight * Sampling.kl(h: h, batch: batch, latent: latent)
    }
    var dh = [Float](repeating: .nan, count: h.count)
    Sampling.backward(h: h, eps: eps, dz: w, dh: &dh, batch: batch, latent: latent, klWeight: Float(klWeight))
    let step: Float = 1e-2
    for i in h.indices {
        var plus = h, minus = h
        plus[i] += step; minus[i] -= step
        let numeric = (f(plus) - f(minus)) / Double(2 * step)
        #expect(abs(Double(dh[i]) - numeric) <= 2e-3 * max(1, abs(numeric)), "h[\(i)]: analytic \(dh[i]) numeric \(numeric)")
    }
}

/// KL of N(m, σ²) from N(0, 1) in closed form: ½(m² + σ² − 1 − ln σ²); zero at the prior itself.
@Test func klIsTheClosedForm() {
    let h: [Float] = [0, 0, /* row 2 */ 1.5, log(0.25)]  // latent 1: (m, log σ²) per row
    #expect(Sampling.kl(h: h, batch: 1, latent: 1) == 0)
    let expected = 0.5 * (1.5 * 1.5 + 0.25 - 1 - log(0.25))
    #expect(abs(Sampling.kl(h: h, batch: 2, latent: 1) - expected) < 1e-6)
}

@Test func noiseIsStandardNormalAndKeyedByEpochAndStep() {
    let a = Sampling.noise(seed: 3, epoch: 1, step: 1, count: 20_000)
    let mean = a.reduce(0.0) { $0 + Double($1) } / Double(a.count)
    let variance = a.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(a.count)
    #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
    #expect(Sampling.noise(seed: 3, epoch: 1, step: 1, count: 5) == Array(a.prefix(5)))
    #expect(Sampling.noise(seed: 3, epoch: 1, step: 2, count: 5) != Array(a.prefix(5)))
    #expect(Sampling.noise(seed: 3, epoch: 2, step: 1, count: 5) != Array(a.prefix(5)))
}

@Test func variationalPresetHasTwoHeadsAndTheKerasSummary() throws {
    var spec = try Presets.spec("baseline", input: [28, 28, 1], latent: 2)
    spec.variational = true
    let model = try Model(spec)
    let plain = try Model.preset("baseline", input: [28, 28, 1], latent: 2)
    #expect(model.parameterCount == plain.parameterCount + 34)  // z_log_var: 16 × 2 + 2
    let encoder = model.summary.tables[0].rows.map { "\($0.name) (\($0.type)) \($0.outputShape) \($0.parameters)" }
    #expect(encoder.suffix(4) == ["dense (Dense) [16] 50192", "z_mean (Dense) [2] 34", "z_log_var (Dense) [2] 34", "sampling (Sampling) [2] 0"])
    #expect(model.parameterTensors.map(\.name).filter { $0.hasPrefix("encoder.4") }
            == ["encoder.4.z_mean.kernel", "encoder.4.z_mean.bias", "encoder.4.z_log_var.kernel", "encoder.4.z_log_var.bias"])
    // The architecture's JSON says so; an autoencoder's has no such key (as before VAEs).
    let json = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
    #expect(json.contains(#""variational":true"#))
    #expect(!String(decoding: try JSONEncoder().encode(plain.spec), as: UTF8.self).contains("variational"))
    #expect(try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8)) == spec)
}

@Test func aVariationalEncoderMustEndInALinearDenseOfTheLatentSize() {
    let spec = ModelSpec(input: [4, 4, 1], latent: 2, encoder: [.flatten, .dense(units: 2, activation: .relu)],
                         decoder: [.dense(units: 16, activation: .sigmoid), .reshape([4, 4, 1])], variational: true)
    #expect(throws: ModelError.variationalHead("dense(units: 2, activation: Engine.Activation.relu)")) { try Model(spec) }
}

/// β = 0 and ε = 0: z is z_mean, no gradient reaches z_log_var, so a VAE trains exactly as the
/// autoencoder whose last dense layer is its z_mean head.
@Test func betaZeroAndNoNoiseIsThePlainAutoencoder() throws {
    let data = Blobs(count: 96)
    let ae = try Model.preset("baseline", input: [12, 12, 1], latent: 2)
    var spec = ae.spec
    spec.variational = true
    let vae = try Model(spec)
    // The same weights: the z_log_var head (34 floats after z_mean's) inserted as zeros.
    let aeInit = TrainingState.initial(ae, seed: 4)
    let head = vae.offsets[ae.encoderCount - 1] + 17 * 2
    var params = aeInit.params
    params.insert(contentsOf: [Float](repeating: 0, count: 34), at: head)
    let vaeInit = TrainingState(params: params, m: .init(repeating: 0, count: params.count), v: .init(repeating: 0, count: params.count), step: 0, history: [])
    let aeTrainer = try Trainer(model: ae, config: TrainingConfig(epochs: 2, batchSize: 32), threads: 2)
    var vaeTrainer = try Trainer(model: vae, config: TrainingConfig(epochs: 2, batchSize: 32, beta: 0), threads: 2)
    vaeTrainer.samplingNoise = { _, _, count in [Float](repeating: 0, count: count) }
    let a = try aeTrainer.train(data: data, from: aeInit, order: shuffled(data.count, seed: 4))
    let v = try vaeTrainer.train(data: data, from: vaeInit, order: shuffled(data.count, seed: 4))
    for (x, y) in zip(a.history, v.history) {
        #expect(abs(x.loss - y.loss) <= 1e-5 * x.loss)
        #expect(y.parts?.kl ?? -1 >= 0 && abs((y.parts?.reconstruction ?? 0) - x.loss) <= 1e-5 * x.loss)
    }
    var vaeWithoutHead = v.params
    #expect(vaeWithoutHead[head..<(head + 34)].allSatisfy { $0 == 0 })
    vaeWithoutHead.removeSubrange(head..<(head + 34))
    let worst = zip(a.params, vaeWithoutHead).map { abs($0 - $1) / (abs($0) + 1e-3) }.max() ?? 0
    #expect(worst < 1e-3)
}

@Test func vaeTrainingIsDeterministicResumableAndLearns() throws {
    let data = Blobs(count: 128)
    var spec = try Presets.spec("baseline", input: [12, 12, 1], latent: 2)
    spec.variational = true
    let model = try Model(spec)
    let config = TrainingConfig(epochs: 4, batchSize: 32, beta: 1)
    let trainer = try Trainer(model: model, config: config, threads: 2, samplingSeed: 9)
    let order = shuffled(data.count, seed: 9)
    let whole = try trainer.train(data: data, from: .initial(model, seed: 9), order: order)
    let again = try trainer.train(data: data, from: .initial(model, seed: 9), order: order)
    #expect(whole.params == again.params && whole.history.map(\.loss) == again.history.map(\.loss))
    var short = config
    short.epochs = 2
    let half = try Trainer(model: model, config: short, threads: 2, samplingSeed: 9).train(data: data, from: .initial(model, seed: 9), order: order)
    let resumed = try trainer.train(data: data, from: half, order: order)
    #expect(resumed.params == whole.params && resumed.history.map(\.loss) == whole.history.map(\.loss))
    // Loss = reconstruction + β · KL, and it falls.
    for r in whole.history {
        let parts = try #require(r.parts)
        #expect(abs(r.loss - (parts.reconstruction + parts.kl)) <= 1e-9 * r.loss)
    }
    #expect(whole.history.last!.loss < whole.history.first!.loss)
    // Another sampling seed draws other ε, so other weights.
    let other = try Trainer(model: model, config: config, threads: 2, samplingSeed: 10).train(data: data, from: .initial(model, seed: 9), order: order)
    #expect(other.params != whole.params)
}

/// The whole VAE, ε fixed: the gradient a training step computes is the derivative of the loss
/// it reports (reconstruction + β · KL), for every part of the network.
@Test("whole-model gradients match finite differences", arguments: [false, true])
func wholeModelGradients(variational: Bool) throws {
    let data = Blobs(count: 6, size: 4)
    let spec = ModelSpec(input: [4, 4, 1], latent: 2,
                         encoder: [.flatten, .dense(units: 6, activation: .tanh), .dense(units: 2)],
                         decoder: [.dense(units: 6, activation: .tanh), .dense(units: 16, activation: .sigmoid), .reshape([4, 4, 1])],
                         variational: variational)
    let model = try Model(spec)
    let trainer = try Trainer(model: model, config: TrainingConfig(batchSize: 6, beta: variational ? 0.7 : nil), threads: 1)
    var rng = SeededGenerator(seed: 5)
    let params = TrainingState.initial(model, seed: 5).params.map { $0 + rng.uniform(-0.3, 0.3) }
    let eps: [Float]? = variational ? (0..<12).map { _ in Float(rng.normal()) } : nil
    let indices = Array(0..<6)
    let (loss, gradient) = trainer.lossAndGradient(data: data, indices: indices, params: params, eps: eps)
    #expect(loss.isFinite)
    let h: Float = 1e-2
    var worst = 0.0, worstAt = ""
    for i in stride(from: 0, to: params.count, by: max(1, params.count / 60)) {
        var plus = params, minus = params
        plus[i] += h; minus[i] -= h
        let numeric = (trainer.lossAndGradient(data: data, indices: indices, params: plus, eps: eps).loss
                       - trainer.lossAndGradient(data: data, indices: indices, params: minus, eps: eps).loss) / Double(2 * h)
        let err = abs(Double(gradient[i]) - numeric) / (abs(numeric) + abs(Double(gradient[i])) + 0.05)
        if err > worst { worst = err; worstAt = "θ[\(i)] analytic \(gradient[i]) numeric \(numeric)" }
    }
    #expect(worst < 1e-2, "\(worstAt)")
}

/// ε belongs to the image, not to the shard that happens to hold it: one thread and several
/// shards on two or three threads train the same VAE.
@Test func vaeShardsAndThreadsAgree() throws {
    let data = Blobs(count: 150)
    var spec = try Presets.spec("baseline", input: [12, 12, 1], latent: 2)
    spec.variational = true
    let model = try Model(spec)
    func run(_ threads: Int) throws -> TrainingState {
        try Trainer(model: model, config: TrainingConfig(epochs: 2, batchSize: 4 * Trainer.shardLimit + 5, beta: 1), threads: threads, samplingSeed: 3)
            .train(data: data, from: .initial(model, seed: 3), order: shuffled(data.count, seed: 3))
    }
    let a = try run(2)
    for other in [try run(1), try run(3)] {
        for (x, y) in zip(other.history, a.history) { #expect(abs(x.loss - y.loss) < 1e-4 * y.loss, "\(x.loss) vs \(y.loss)") }
    }
}

/// 16 fixed 28 × 28 images: integer patterns, the same in any language.
struct Pattern: TrainingData {
    let count = 16
    let sampleShape = [28, 28, 1]
    func fill(_ indices: ArraySlice<Int>, into p: UnsafeMutablePointer<Float>) {
        for (j, i) in indices.enumerated() { for y in 0..<28 { for x in 0..<28 {
            p[j * 784 + y * 28 + x] = Float((i * 31 + y * 7 + x * 3 + (x * y) % 5) % 17) / 16
        } } }
    }
}

/// The Keras VAE example's loss and gradients at the same weights, images and ε, as Keras 3.15.1
/// on TensorFlow 2.21 computed them (`bench/keras/vae_step_check.py` reads the file this test
/// writes when VAE_DUMP names one, loads the weights into the example's model and prints these).
@Test func vaeLossAndGradientsAreKerasAtTheSameWeights() throws {
    var spec = try Presets.spec("baseline", input: [28, 28, 1], latent: 2)
    spec.variational = true
    let model = try Model(spec)
    let trainer = try Trainer(model: model, config: TrainingConfig(batchSize: 16, beta: 1), threads: 1)
    let params = TrainingState.initial(model, seed: 0).params
    let eps = (0..<32).map { Float((($0 * 13) % 7) - 3) / 2 }
    let (loss, gradient) = trainer.lossAndGradient(data: Pattern(), indices: Array(0..<16), params: params, eps: eps)
    let (lossAtMean, _) = trainer.lossAndGradient(data: Pattern(), indices: Array(0..<16), params: params, eps: [Float](repeating: 0, count: 32))
    #expect(abs(loss - 543.4346313) < 1e-5 * loss && abs(lossAtMean - 543.4306641) < 1e-5 * loss)
    let kerasNorms: [String: Double] = [
        "encoder.0.kernel": 0.038233127, "encoder.0.bias": 0.025298372, "encoder.1.kernel": 0.063967288, "encoder.1.bias": 0.047866222,
        "encoder.3.kernel": 0.165089861, "encoder.3.bias": 0.068825625, "encoder.4.z_mean.kernel": 0.014834900,
        "encoder.4.z_mean.bias": 0.055648215, "encoder.4.z_log_var.kernel": 0.006361937, "encoder.4.z_log_var.bias": 0.025161697,
        "decoder.0.kernel": 0.266981274, "decoder.0.bias": 0.176837295, "decoder.2.kernel": 0.157586336, "decoder.2.bias": 0.460141003,
        "decoder.3.kernel": 0.122063600, "decoder.3.bias": 0.870975435, "decoder.4.kernel": 0.050466198, "decoder.4.bias": 0.092205405,
    ]
    var tensors: [String: SafeTensors.Tensor] = ["eps": .init(shape: [16, 2], values: eps)]
    for t in model.parameterTensors {
        let g = gradient[t.offset..<(t.offset + t.count)]
        let norm = g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let keras = try #require(kerasNorms[t.name])
        #expect(abs(norm - keras) <= 1e-4 * keras, "\(t.name): \(norm) vs Keras \(keras)")
        tensors[t.name] = .init(shape: t.shape, values: Array(params[t.offset..<(t.offset + t.count)]))
        tensors["grad." + t.name] = .init(shape: t.shape, values: Array(g))
    }
    if let out = ProcessInfo.processInfo.environment["VAE_DUMP"] {
        let file = SafeTensors(tensors: tensors, metadata: ["loss_eps": String(loss), "loss_zero": String(lossAtMean)])
        try Data(file.encoded()).write(to: URL(fileURLWithPath: out))
    }
}

/// Every preset, a layer list, latent sizes 1 and 3 and colored images: each trains as a VAE and
/// survives a checkpoint (the heads' tensors under their own names).
@Test("every kind of model trains as a VAE", arguments: [("baseline", 2, 1), ("deep", 1, 1), ("dense", 3, 1), ("residual", 2, 3), ("layers", 3, 3)])
func everyModelTrainsAsAVAE(arch: String, latent: Int, channels: Int) throws {
    let data = Blobs(count: 48, channels: channels)
    var spec = arch == "layers"
        ? ModelSpec(input: [12, 12, channels], latent: latent,
                    encoder: [.conv2d(filters: 4, stride: 2, activation: .relu), .flatten, .dense(units: latent)],
                    decoder: [.dense(units: 6 * 6 * 4, activation: .relu), .reshape([6, 6, 4]),
                              .conv2dTranspose(filters: channels, stride: 2, activation: .sigmoid)])
        : try Presets.spec(arch, input: [12, 12, channels], latent: latent)
    spec.variational = true
    let model = try Model(spec)
    let config = TrainingConfig(epochs: 2, batchSize: 16, beta: 1)
    let state = try Trainer(model: model, config: config, threads: 2, samplingSeed: 1)
        .train(data: data, from: .initial(model, seed: 1), order: shuffled(data.count, seed: 1))
    #expect(state.history.allSatisfy { $0.loss.isFinite && ($0.parts?.kl ?? -1) >= 0 })
    let back = try Checkpoint(SafeTensors(decoding: Checkpoint(spec: spec, config: config, state: state).safetensors().encoded()))
    #expect(back.spec == spec && back.config == config && back.state.params == state.params && back.state.history == state.history)
    let codes = model.run(.encoder, params: state.params, input: Array(data.pixels.prefix(3 * 144 * channels)), count: 3)
    let heads = model.run(.distribution, params: state.params, input: Array(data.pixels.prefix(3 * 144 * channels)), count: 3)
    #expect(codes.count == 3 * latent && heads.count == 6 * latent)
    for r in 0..<3 { #expect(Array(codes[(r * latent)..<((r + 1) * latent)]) == Array(heads[(r * 2 * latent)..<(r * 2 * latent + latent)])) }
}
