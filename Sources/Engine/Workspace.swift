/// Every buffer one thread needs to push up to `capacity` samples through a model, carved out of
/// one arena allocated once (llm.c-style): nothing is allocated per step.
final class Workspace: @unchecked Sendable {  // each instance is only ever used by one thread at a time
    let capacity: Int
    private(set) var arena: [Float]
    /// Gradient of the loss with respect to every parameter, accumulated by backward.
    var grads: [Float]

    let input: Int
    let activations: [Int]
    let saved: [Int]
    let temp, scratch, gradA, gradB: Int
    /// A VAE's z between encoder and decoder: sampled in training, z_mean in inference.
    let code: Int

    /// This workspace's oneDNN primitives (one workspace per thread, so one cache per thread).
    let kernels: KernelCache

    init(model: Model, capacity: Int, training: Bool, convolutions: ConvAlgorithm = .oneDNN) {
        kernels = KernelCache(convolutions: convolutions)
        let layout = Layout(model: model, capacity: capacity, training: training)
        self.capacity = capacity
        (input, activations, saved, temp, scratch, gradA, gradB, code) =
            (layout.input, layout.activations, layout.saved, layout.temp, layout.scratch, layout.gradA, layout.gradB, layout.code)
        arena = [Float](repeating: 0, count: layout.count)
        grads = [Float](repeating: 0, count: training ? model.parameterCount : 0)
    }

    /// Where each buffer lives in the arena, and its size: computed without allocating, so a
    /// model too large for memory is refused before anything is allocated.
    struct Layout {
        var input = 0, activations: [Int] = [], saved: [Int] = [], temp = 0, scratch = 0, gradA = 0, gradB = 0, code = 0
        /// Floats in the arena.
        var count = 0

        init(model: Model, capacity: Int, training: Bool) {
            func take(_ n: Int) -> Int { defer { count += n }; return count }
            let layers = model.layers
            input = take(capacity * max(model.inputCount, model.spec.latent))
            activations = layers.map { take(capacity * $0.outputCount) }
            saved = layers.map { take(capacity * $0.savedCount) }
            temp = take(capacity * (layers.map(\.tempCount).max() ?? 0))
            scratch = take(layers.map(\.scratchCount).max() ?? 0)
            let widest = max(model.inputCount, layers.map(\.outputCount).max() ?? 0) * capacity
            gradA = training ? take(widest) : count
            gradB = training ? take(widest) : count
            code = model.variational ? take(capacity * model.spec.latent) : count
        }
    }

    func memory(_ base: UnsafeMutablePointer<Float>, layer i: Int) -> LayerMemory {
        LayerMemory(saved: base + saved[i], temp: base + temp, scratch: base + scratch, kernels: kernels)
    }

    /// Runs layers[range] on `batch` samples already in the input buffer; returns the offset of the output.
    /// A VAE's decoder reads z from the code buffer: sampled with `eps` (N, L) in training, else z_mean.
    func forward(_ model: Model, _ range: Range<Int>, base: UnsafeMutablePointer<Float>,
                 params: UnsafePointer<Float>, batch: Int, eps: UnsafePointer<Float>? = nil) -> Int {
        var x = input
        for i in range {
            if model.variational, i == model.encoderCount, i > range.lowerBound {
                let h = base + x, z = base + code, latent = model.spec.latent
                if let eps {
                    Sampling.forward(h: h, eps: eps, z: z, batch: batch, latent: latent)
                } else {
                    for r in 0..<batch { (z + r * latent).update(from: h + r * 2 * latent, count: latent) }
                }
                x = code
            }
            model.layers[i].forward(x: base + x, y: base + activations[i], batch: batch,
                                    params: params + model.offsets[i], memory: memory(base, layer: i))
            x = activations[i]
        }
        return x
    }

    /// One training pass over `batch` samples in the input buffer: forward, loss against the input
    /// itself, backward into `grads` (zeroed first unless `accumulate`). Returns the shard's share
    /// of the batch's reconstruction loss and, for a VAE (`eps`: the shard's ε, (N, L)), of its KL
    /// term, whose gradient enters with weight `beta`.
    func trainStep(_ model: Model, loss: Loss, params: UnsafePointer<Float>, batch: Int, batchTotal: Int,
                   accumulate: Bool = false, eps: UnsafePointer<Float>? = nil, beta: Float = 1) -> (reconstruction: Double, kl: Double) {
        let n = model.layers.count, latent = model.spec.latent
        let scale = 1 / Float(batchTotal * model.spec.input[2])
        precondition(model.variational == (eps != nil), "a VAE trains with ε, an autoencoder without")
        return arena.withUnsafeMutableBufferPointer { arenaBuffer in
            grads.withUnsafeMutableBufferPointer { gradBuffer in
                let base = arenaBuffer.baseAddress!, dParams = gradBuffer.baseAddress!
                if !accumulate { dParams.update(repeating: 0, count: gradBuffer.count) }
                let out = forward(model, 0..<n, base: base, params: params, batch: batch, eps: eps)
                var dy = gradA, dx = gradB
                let value = loss.forwardBackward(logits: base + out, target: base + input, count: batch * model.inputCount,
                                                 output: model.outputActivation, scale: scale, dLogits: base + dy)
                var kl = 0.0
                for i in stride(from: n - 1, through: 0, by: -1) {
                    if let eps, i == model.encoderCount - 1 {
                        // dy holds ∂loss/∂z: through the sampling to [z_mean | z_log_var], plus β × ∂KL.
                        let h = base + activations[i]
                        kl = Sampling.kl(h: h, batch: batch, latent: latent) / Double(batchTotal)
                        Sampling.backward(h: h, eps: eps, dz: base + dy, dh: base + dx, batch: batch, latent: latent,
                                          klWeight: beta / Float(batchTotal))
                        swap(&dy, &dx)
                    }
                    let x = i == 0 ? input : (model.variational && i == model.encoderCount ? code : activations[i - 1])
                    model.layers[i].backward(x: base + x, y: base + activations[i], dy: base + dy,
                                             dx: i == 0 ? nil : base + dx, batch: batch,
                                             params: params + model.offsets[i], dParams: dParams + model.offsets[i],
                                             memory: memory(base, layer: i))
                    swap(&dy, &dx)
                }
                return (value, kl)
            }
        }
    }

    /// The summed per-image loss of `batch` samples in the input buffer, without gradients: the
    /// reconstruction loss, plus β · KL for a VAE, whose decoder gets z_mean (no sampling).
    func evaluate(_ model: Model, loss: Loss, params: UnsafePointer<Float>, batch: Int, beta: Double) -> Double {
        arena.withUnsafeMutableBufferPointer { arenaBuffer in
            let base = arenaBuffer.baseAddress!
            let out = forward(model, 0..<model.layers.count, base: base, params: params, batch: batch)
            var perImage = [Double](repeating: 0, count: batch)
            loss.perSample(logits: base + out, target: base + input, batch: batch, perSample: model.inputCount,
                           channels: model.spec.input[2], output: model.outputActivation, into: &perImage)
            var total = perImage.reduce(0, +)
            if model.variational {
                total += beta * Sampling.kl(h: base + activations[model.encoderCount - 1], batch: batch, latent: model.spec.latent)
            }
            return total
        }
    }

    func withArena<R>(_ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        arena.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    /// Copies `batch` samples into the input buffer through `fill`.
    func loadInput(count: Int, _ fill: (UnsafeMutablePointer<Float>) -> Void) {
        arena.withUnsafeMutableBufferPointer { fill($0.baseAddress! + input) }
    }

    /// Inference over layers[range] for `batch` samples in the input buffer; `finish` reads the output.
    func infer<R>(_ model: Model, _ range: Range<Int>, params: UnsafePointer<Float>, batch: Int,
                  _ finish: (UnsafeMutablePointer<Float>) -> R) -> R {
        arena.withUnsafeMutableBufferPointer { a in
            let base = a.baseAddress!
            return finish(base + forward(model, range, base: base, params: params, batch: batch))
        }
    }
}
