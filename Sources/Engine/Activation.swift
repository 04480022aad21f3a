import Foundation

/// Element-wise activations. Backward is written in terms of the activation's *output* y, which
/// every kind here allows, so layers keep one buffer per activation instead of two.
public enum Activation: String, Codable, Hashable, Sendable, CaseIterable {
    case linear, relu, sigmoid, tanh
    case leakyRelu = "leaky_relu"

    /// Keras's LeakyReLU default slope in Keras 3.
    public static let leakySlope: Float = 0.2

    // y: (count) in place
    public func apply(_ y: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .linear: return
        case .relu: for i in 0..<count { y[i] = max(y[i], 0) }
        case .leakyRelu: for i in 0..<count { let v = y[i]; y[i] = v > 0 ? v : v * Activation.leakySlope }
        case .sigmoid: for i in 0..<count { y[i] = Activation.sigmoid(y[i]) }
        case .tanh: for i in 0..<count { y[i] = tanhf(y[i]) }
        }
    }

    /// dy ← dy · f'(x) where y = f(x); y: (count), dy: (count) in place.
    public func backward(y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .linear: return
        case .relu: for i in 0..<count { dy[i] = y[i] > 0 ? dy[i] : 0 }  // a select, so it vectorizes
        case .leakyRelu: for i in 0..<count { dy[i] = y[i] > 0 ? dy[i] : dy[i] * Activation.leakySlope }
        case .sigmoid: for i in 0..<count { dy[i] *= y[i] * (1 - y[i]) }
        case .tanh: for i in 0..<count { dy[i] *= 1 - y[i] * y[i] }
        }
    }

    /// The same, fused with the bias gradient of the layer that owns the activation:
    /// y, dy: (rows, width); dBias: (width) += column sums of the new dy. One pass instead of two.
    public func backward(y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                         dBias: UnsafeMutablePointer<Float>) {
        @inline(__always) func pass(_ derivative: (Float, Float) -> Float) {
            for r in 0..<rows {
                let yr = y + r * width, dr = dy + r * width
                for j in 0..<width {
                    let g = derivative(yr[j], dr[j])
                    dr[j] = g
                    dBias[j] += g
                }
            }
        }
        switch self {
        case .linear: pass { _, d in d }
        case .relu: pass { y, d in y > 0 ? d : 0 }
        case .leakyRelu: pass { y, d in y > 0 ? d : d * Activation.leakySlope }
        case .sigmoid: pass { y, d in d * y * (1 - y) }
        case .tanh: pass { y, d in d * (1 - y * y) }
        }
    }

    @inline(__always) public static func sigmoid(_ x: Float) -> Float {
        // Split by sign so exp never overflows.
        if x >= 0 { return 1 / (1 + expf(-x)) }
        let e = expf(x)
        return e / (1 + e)
    }
}
