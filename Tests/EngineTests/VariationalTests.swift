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
