import Engine
import Foundation
import Testing

/// Layers under finite-difference test, each with a label for the report.
struct LayerCase: CustomTestStringConvertible, Sendable {
    let label: String
    /// Blocks that stack two ReLUs have many kinks; a smaller case keeps the check away from them.
    var batch = 2
    let make: @Sendable () -> any Layer
    var testDescription: String { label }
}

let layerCases: [LayerCase] = [
    LayerCase(label: "Conv2D 3x3 s1 same linear") { Conv2D(inputShape: [5, 6, 2], filters: 3, kernel: 3, stride: 1) },
    LayerCase(label: "Conv2D 3x3 s2 same relu") { Conv2D(inputShape: [7, 6, 3], filters: 4, kernel: 3, stride: 2, activation: .relu) },
    LayerCase(label: "Conv2D 3x3 s2 valid tanh") { Conv2D(inputShape: [7, 7, 2], filters: 3, kernel: 3, stride: 2, padding: .valid, activation: .tanh) },
    LayerCase(label: "Conv2D 1x1 s1 pointwise sigmoid") { Conv2D(inputShape: [4, 3, 5], filters: 2, kernel: 1, activation: .sigmoid) },
    LayerCase(label: "Conv2D 2x2 s1 same leaky_relu") { Conv2D(inputShape: [4, 5, 2], filters: 3, kernel: 2, activation: .leakyRelu) },
    LayerCase(label: "Conv2DTranspose 3x3 s2 same linear") { Conv2DTranspose(inputShape: [3, 4, 3], filters: 2, kernel: 3, stride: 2) },
    LayerCase(label: "Conv2DTranspose 3x3 s1 same relu") { Conv2DTranspose(inputShape: [4, 4, 2], filters: 3, kernel: 3, stride: 1, activation: .relu) },
    LayerCase(label: "Conv2DTranspose 3x3 s2 valid sigmoid") { Conv2DTranspose(inputShape: [3, 3, 2], filters: 2, kernel: 3, stride: 2, padding: .valid, activation: .sigmoid) },
    LayerCase(label: "Conv2DTranspose 1x1 s1 pointwise tanh") { Conv2DTranspose(inputShape: [3, 3, 4], filters: 2, kernel: 1, activation: .tanh) },
    // More filters than the narrow kernel takes: at stride 1 forward runs as the flipped convolution.
    LayerCase(label: "Conv2DTranspose 3x3 s1 same leaky_relu, 6 filters") { Conv2DTranspose(inputShape: [4, 3, 2], filters: 6, kernel: 3, stride: 1, activation: .leakyRelu) },
    LayerCase(label: "Conv2DTranspose 2x2 s1 valid sigmoid, 5 filters") { Conv2DTranspose(inputShape: [3, 4, 3], filters: 5, kernel: 2, stride: 1, padding: .valid, activation: .sigmoid) },
    LayerCase(label: "Dense linear") { Dense(inputs: 7, units: 5) },
    LayerCase(label: "Dense relu") { Dense(inputs: 6, units: 4, activation: .relu) },
    LayerCase(label: "Dense sigmoid") { Dense(inputs: 5, units: 3, activation: .sigmoid) },
    LayerCase(label: "Flatten") { Reshape.flatten(inputShape: [2, 3, 2]) },
    LayerCase(label: "Reshape") { Reshape(inputShape: [12], outputShape: [2, 2, 3]) },
    LayerCase(label: "ReLU") { ActivationLayer(shape: [3, 3, 2], activation: .relu) },
    LayerCase(label: "LeakyReLU") { ActivationLayer(shape: [3, 3, 2], activation: .leakyRelu) },
    LayerCase(label: "Sigmoid") { ActivationLayer(shape: [3, 3, 2], activation: .sigmoid) },
    LayerCase(label: "Tanh") { ActivationLayer(shape: [3, 3, 2], activation: .tanh) },
    LayerCase(label: "MaxPooling2D 2x2 valid, odd side dropped") { MaxPooling2D(inputShape: [5, 4, 2], pool: 2) },
    LayerCase(label: "MaxPooling2D 3x3 same, partial windows") { MaxPooling2D(inputShape: [5, 7, 2], pool: 3, padding: .same) },
    LayerCase(label: "UpSampling2D 2") { UpSampling2D(inputShape: [2, 3, 2], size: 2) },
    LayerCase(label: "UpSampling2D 3") { UpSampling2D(inputShape: [3, 2, 1], size: 3) },
    LayerCase(label: "VariationalHeads (z_mean, z_log_var)") { VariationalHeads(inputs: 5, latent: 3) },
    LayerCase(label: "Residual identity shortcut", batch: 1) { ResidualBlock(inputShape: [3, 3, 2], filters: 2) },
    LayerCase(label: "Residual projection shortcut, stride 2", batch: 1) { ResidualBlock(inputShape: [3, 4, 2], filters: 3, stride: 2) },
    LayerCase(label: "Residual projection shortcut, channels", batch: 1) { ResidualBlock(inputShape: [3, 3, 2], filters: 3) },
]

@Test("finite differences match backward", arguments: layerCases)
func layerGradients(_ c: LayerCase) {
    let result = gradientCheck(c.make(), batch: c.batch, h: 1e-3)
    #expect(result.worst < 1e-2, "\(c.label): worst at \(result.where)")
}

/// A backward that dropped a term would fail the check: make sure the check can fail.
@Test func gradientCheckDetectsAWrongBackward() {
    struct Broken: Layer {
        let inner = Dense(inputs: 4, units: 3, activation: .tanh)
        var typeName: String { "Broken" }
        var inputShape: [Int] { inner.inputShape }
        var outputShape: [Int] { inner.outputShape }
        var parameters: [ParameterTensor] { inner.parameters }
        func initialize(_ p: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) { inner.initialize(p, rng: &rng) }
        func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int, params: UnsafePointer<Float>, memory: LayerMemory) {
            inner.forward(x: x, y: y, batch: batch, params: params, memory: memory)
        }
        func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                      batch: Int, params: UnsafePointer<Float>, dParams: UnsafeMutablePointer<Float>, memory: LayerMemory) {
            // Forgets the activation's derivative.
            Dense(inputs: 4, units: 3).backward(x: x, y: y, dy: dy, dx: dx, batch: batch, params: params, dParams: dParams, memory: memory)
        }
    }
    #expect(gradientCheck(Broken()).worst > 0.05)
}

struct LossCase: CustomTestStringConvertible, Sendable {
    let loss: Loss
    let output: Activation
    var testDescription: String { "\(loss.rawValue) after \(output.rawValue)" }
}

@Test("loss gradients match finite differences",
      arguments: [LossCase(loss: .bce, output: .sigmoid), LossCase(loss: .mse, output: .sigmoid),
                  LossCase(loss: .mse, output: .linear), LossCase(loss: .bce, output: .tanh)])
func lossGradients(_ c: LossCase) {
    var rng = SeededGenerator(seed: 3)
    let n = 48
    // tanh output for BCE must stay inside (0, 1) to be meaningful: keep logits positive there.
    let logits = randomArray(n, &rng, c.output == .tanh ? 0.2 : -3, c.output == .tanh ? 1.5 : 3)
    let target = randomArray(n, &rng, 0, 1)
    let scale: Float = 1 / 6
    func value(_ z: [Float]) -> Double {
        var d = [Float](repeating: 0, count: n)
        return z.withUnsafeBufferPointer { zp in target.withUnsafeBufferPointer { tp in d.withUnsafeMutableBufferPointer { dp in
            c.loss.forwardBackward(logits: zp.baseAddress!, target: tp.baseAddress!, count: n, output: c.output, scale: scale, dLogits: dp.baseAddress!)
        } } }
    }
    var grad = [Float](repeating: 0, count: n)
    _ = logits.withUnsafeBufferPointer { zp in target.withUnsafeBufferPointer { tp in grad.withUnsafeMutableBufferPointer { dp in
        c.loss.forwardBackward(logits: zp.baseAddress!, target: tp.baseAddress!, count: n, output: c.output, scale: scale, dLogits: dp.baseAddress!)
    } } }
    let h: Float = 1e-2
    for i in 0..<n {
        var zp = logits, zm = logits
        zp[i] += h; zm[i] -= h
        let numeric = (value(zp) - value(zm)) / Double(2 * h)
        #expect(abs(numeric - Double(grad[i])) < 2e-3 * max(1, abs(numeric)), "element \(i)")
    }
}

@Test func bceFromLogitsMatchesTheProbabilityFormula() {
    // Where p is not near 0 or 1 the stable form and −[t log p + (1−t) log(1−p)] agree.
    let z: [Float] = [-2, -0.5, 0, 0.7, 3], t: [Float] = [0, 0.25, 0.5, 1, 0.9]
    var d = [Float](repeating: 0, count: 5)
    let total = z.withUnsafeBufferPointer { zp in t.withUnsafeBufferPointer { tp in d.withUnsafeMutableBufferPointer { dp in
        Loss.bce.forwardBackward(logits: zp.baseAddress!, target: tp.baseAddress!, count: 5, output: .sigmoid, scale: 1, dLogits: dp.baseAddress!)
    } } }
    let expected = zip(z, t).reduce(0.0) { acc, e in
        let p = 1 / (1 + exp(-Double(e.0)))
        return acc - (Double(e.1) * log(p) + (1 - Double(e.1)) * log(1 - p))
    }
    #expect(abs(total - expected) < 1e-5)
    // and it stays finite where the probability form would take log(0)
    let extreme: [Float] = [-200, 200], targets: [Float] = [1, 0]
    var d2 = [Float](repeating: 0, count: 2)
    let big = extreme.withUnsafeBufferPointer { zp in targets.withUnsafeBufferPointer { tp in d2.withUnsafeMutableBufferPointer { dp in
        Loss.bce.forwardBackward(logits: zp.baseAddress!, target: tp.baseAddress!, count: 2, output: .sigmoid, scale: 1, dLogits: dp.baseAddress!)
    } } }
    #expect(abs(big - 400) < 1e-3)
    #expect(d2 == [-1, 1])
}
