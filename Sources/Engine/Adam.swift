import Foundation

/// Adam exactly as Keras 3 applies it:
///   m ← m + (g − m)(1 − β₁),  v ← v + (g² − v)(1 − β₂)
///   θ ← θ − α·m / (√v + ε),  α = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ)
/// (ε is added to √v without bias correction, which is why Keras's ε = 1e-7 matters.)
public struct Adam: Codable, Hashable, Sendable {
    public var learningRate: Float = 1e-3
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-7

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
    }

    // params, grads, m, v: (count); step t ≥ 1 is the update's 1-based index
    public func update(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>,
                       m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int, step t: Int) {
        let alpha = Float(Double(learningRate) * (1 - pow(Double(beta2), Double(t))).squareRoot()
                          / (1 - pow(Double(beta1), Double(t))))
        let c1 = 1 - beta1, c2 = 1 - beta2
        for i in 0..<count {
            let g = grads[i]
            m[i] += (g - m[i]) * c1
            v[i] += (g * g - v[i]) * c2
            params[i] -= alpha * m[i] / (v[i].squareRoot() + epsilon)
        }
    }
}
