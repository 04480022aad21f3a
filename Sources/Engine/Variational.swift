import Foundation

/// The two dense heads that end a variational encoder (Keras's VAE example): z_mean and
/// z_log_var, each `latent` units on the same input, written side by side.
/// x: (N,in), kernels: (in,L) each, biases: (L) each, y: (N,2L) = [z_mean | z_log_var] per row
public struct VariationalHeads: Layer {
    public let inputs, latent: Int

    public init(inputs: Int, latent: Int) { self.inputs = inputs; self.latent = latent }

    public var typeName: String { "Dense" }
    public var inputShape: [Int] { [inputs] }
    public var outputShape: [Int] { [2 * latent] }
    /// z_mean's kernel and bias, then z_log_var's: each head reads as a Keras Dense.
    public var parameters: [ParameterTensor] {
        let k = inputs * latent
        return [ParameterTensor(name: "z_mean.kernel", shape: [inputs, latent], offset: 0),
                ParameterTensor(name: "z_mean.bias", shape: [latent], offset: k),
                ParameterTensor(name: "z_log_var.kernel", shape: [inputs, latent], offset: k + latent),
                ParameterTensor(name: "z_log_var.bias", shape: [latent], offset: 2 * k + latent)]
    }
    public var forwardMACs: Int { 2 * inputs * latent }
    /// Where head h's (0: mean, 1: log-variance) kernel starts; its bias follows the kernel.
    private func head(_ h: Int) -> Int { h * (inputs * latent + latent) }

    public func initialize(_ params: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {
        for h in 0..<2 {
            glorotUniform(params + head(h), count: inputs * latent, fanIn: inputs, fanOut: latent, rng: &rng)
            (params + head(h) + inputs * latent).update(repeating: 0, count: latent)
        }
    }

    public func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int,
                        params: UnsafePointer<Float>, memory: LayerMemory) {
        let width = 2 * latent
        for h in 0..<2 {
            let w = params + head(h), b = w + inputs * latent
            BLAS.sgemm(m: batch, n: latent, k: inputs, a: x, lda: inputs, b: w, ldb: latent, beta: 0, c: y + h * latent, ldc: width)
            for r in 0..<batch { for j in 0..<latent { y[r * width + h * latent + j] += b[j] } }
        }
    }

    public func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, batch: Int,
                         params: UnsafePointer<Float>, dParams: UnsafeMutablePointer<Float>, memory: LayerMemory) {
        let width = 2 * latent
        for h in 0..<2 {
            let dW = dParams + head(h), dB = dW + inputs * latent
            for r in 0..<batch { for j in 0..<latent { dB[j] += dy[r * width + h * latent + j] } }
            BLAS.sgemm(transA: true, m: inputs, n: latent, k: batch, a: x, lda: inputs, b: dy + h * latent, ldb: width,
                       beta: 1, c: dW, ldc: latent)
            if let dx {
                BLAS.sgemm(transB: true, m: batch, n: inputs, k: latent, a: dy + h * latent, lda: width, b: params + head(h), ldb: latent,
                           beta: h == 0 ? 0 : 1, c: dx, ldc: inputs)
            }
        }
    }
}

/// The reparameterization between a VAE's encoder and decoder, and its KL term, as in Keras's
/// VAE example: z = z_mean + exp(½·z_log_var)·ε, KL = −½ Σⱼ (1 + z_log_var − z_mean² − exp(z_log_var)).
/// Rows of h are [z_mean | z_log_var] (2L floats); ε and z are (N, L).
public enum Sampling {
    // h: (N,2L), eps: (N,L) → z: (N,L)
    public static func forward(h: UnsafePointer<Float>, eps: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>, batch: Int, latent: Int) {
        for r in 0..<batch {
            let m = h + r * 2 * latent, lv = m + latent, e = eps + r * latent, out = z + r * latent
            for j in 0..<latent { out[j] = m[j] + expf(0.5 * lv[j]) * e[j] }
        }
    }

    /// dh from dz (the decoder's gradient at z) plus `klWeight` × the KL term's own gradient
    /// (klWeight = β / batch size, as the loss is a batch mean): ∂KL/∂m = m, ∂KL/∂lv = ½(exp(lv) − 1).
    // h: (N,2L), eps: (N,L), dz: (N,L) → dh: (N,2L)
    public static func backward(h: UnsafePointer<Float>, eps: UnsafePointer<Float>, dz: UnsafePointer<Float>,
                                dh: UnsafeMutablePointer<Float>, batch: Int, latent: Int, klWeight: Float) {
        for r in 0..<batch {
            let m = h + r * 2 * latent, lv = m + latent, e = eps + r * latent, g = dz + r * latent
            let dm = dh + r * 2 * latent, dlv = dm + latent
            for j in 0..<latent {
                let sigma = expf(0.5 * lv[j])
                dm[j] = g[j] + klWeight * m[j]
                dlv[j] = g[j] * e[j] * 0.5 * sigma + klWeight * 0.5 * (sigma * sigma - 1)
            }
        }
    }

    /// Σ over the N rows of each row's KL divergence from N(0, I).
    // h: (N,2L) → scalar
    public static func kl(h: UnsafePointer<Float>, batch: Int, latent: Int) -> Double {
        var sum = 0.0
        for r in 0..<batch {
            let m = h + r * 2 * latent, lv = m + latent
            for j in 0..<latent {
                let (mean, logVar) = (Double(m[j]), Double(lv[j]))
                sum += -0.5 * (1 + logVar - mean * mean - exp(logVar))
            }
        }
        return sum
    }

    /// ε for one step: standard normal, one row per image of the batch, from the model's
    /// sampling stream for that epoch and step (so a resumed run draws what an unbroken one did).
    public static func noise(seed: UInt64, epoch: Int, step: Int, count: Int) -> [Float] {
        var rng = SeededGenerator(seed: seed, stream: "sampling/\(epoch)/\(step)")
        return (0..<count).map { _ in Float(rng.normal()) }
    }
}
