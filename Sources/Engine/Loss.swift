import Foundation

/// Reconstruction losses as the Keras VAE example computes them on TensorFlow:
///   per image  L = Σ_{h,w} mean_c ℓ(target, output)
///   per batch  mean over images
/// so over a batch of B images with C channels, loss = Σ ℓ / (B·C).
///
/// `bce`: ℓ = −[t·log p + (1−t)·log(1−p)]. With a sigmoid output TensorFlow's Keras evaluates it
/// from the logit z (p = σ(z)) as max(z,0) − z·t + log(1 + e^−|z|): no 1e-7 clipping, and stable.
/// `mse`: ℓ = (p − t)².
public enum Loss: String, Codable, Hashable, Sendable, CaseIterable {
    case bce, mse

    /// Loss of a batch and its gradient with respect to the final layer's pre-activation.
    /// logits: (count), target: (count), dLogits: (count), written. `scale` = 1/(B·C) for the whole
    /// batch (a shard of it sums with the batch's scale, so shards add up to the batch mean).
    /// Returns Σ ℓ · scale, accumulated in Double.
    public func forwardBackward(logits: UnsafePointer<Float>, target: UnsafePointer<Float>, count: Int,
                                output: Activation, scale: Float, dLogits: UnsafeMutablePointer<Float>) -> Double {
        var total = 0.0
        for i in 0..<count {
            total += Double(elementLoss(logits[i], target[i], output))
            dLogits[i] = elementGradient(logits[i], target[i], output) * scale
        }
        return total * Double(scale)
    }

    /// Loss only (evaluation): per-sample values Σ_{h,w} mean_c ℓ for `batch` samples of `perSample` floats.
    public func perSample(logits: UnsafePointer<Float>, target: UnsafePointer<Float>, batch: Int, perSample: Int,
                          channels: Int, output: Activation, into result: UnsafeMutablePointer<Double>) {
        for n in 0..<batch {
            var s = 0.0
            let z = logits + n * perSample, t = target + n * perSample
            for i in 0..<perSample { s += Double(elementLoss(z[i], t[i], output)) }
            result[n] = s / Double(channels)
        }
    }

    @inline(__always) func elementLoss(_ z: Float, _ t: Float, _ output: Activation) -> Float {
        switch (self, output) {
        case (.bce, .sigmoid): return max(z, 0) - z * t + log1pf(expf(-abs(z)))
        case (.bce, _):
            // A non-sigmoid output has no logit form: the clipped probability formula, as Keras does.
            let pc = min(max(Loss.activate(z, output), 1e-7), 1 - 1e-7)
            return -(t * logf(pc) + (1 - t) * logf(1 - pc))
        case (.mse, _):
            let d = Loss.activate(z, output) - t
            return d * d
        }
    }

    /// ∂ℓ/∂z for one element.
    @inline(__always) func elementGradient(_ z: Float, _ t: Float, _ output: Activation) -> Float {
        switch (self, output) {
        case (.bce, .sigmoid): return Activation.sigmoid(z) - t
        case (.bce, _):
            // Keras clips p to [1e-7, 1 − 1e-7]; the clipped region has zero gradient.
            let p = Loss.activate(z, output)
            guard p > 1e-7, p < 1 - 1e-7 else { return 0 }
            return (p - t) / (p * (1 - p)) * Loss.derivative(p, output)
        case (.mse, _):
            let p = Loss.activate(z, output)
            return 2 * (p - t) * Loss.derivative(p, output)
        }
    }

    @inline(__always) static func activate(_ z: Float, _ a: Activation) -> Float {
        switch a {
        case .linear: z
        case .relu: max(z, 0)
        case .leakyRelu: z > 0 ? z : z * Activation.leakySlope
        case .sigmoid: Activation.sigmoid(z)
        case .tanh: tanhf(z)
        }
    }

    /// f'(z) written in terms of p = f(z).
    @inline(__always) static func derivative(_ p: Float, _ a: Activation) -> Float {
        switch a {
        case .linear: 1
        case .relu: p > 0 ? 1 : 0
        case .leakyRelu: p > 0 ? 1 : Activation.leakySlope
        case .sigmoid: p * (1 - p)
        case .tanh: 1 - p * p
        }
    }
}
