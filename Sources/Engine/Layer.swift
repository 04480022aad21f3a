/// Memory a layer may use during one forward/backward pass over `batch` samples, handed out by
/// the model's workspace (allocated once per batch size, llm.c-style, and reused every step).
public struct LayerMemory {
    /// Per-sample floats kept from forward to backward (e.g. a residual block's inner activation).
    public var saved: UnsafeMutablePointer<Float>
    /// Per-sample floats used only inside one call.
    public var temp: UnsafeMutablePointer<Float>
    /// Shared im2col/col2im scratch, `scratchCount` floats.
    public var scratch: UnsafeMutablePointer<Float>
    /// The calling thread's oneDNN primitives, created once per layer shape and batch size.
    public var kernels: KernelCache

    public init(saved: UnsafeMutablePointer<Float>, temp: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                kernels: KernelCache) {
        self.saved = saved; self.temp = temp; self.scratch = scratch; self.kernels = kernels
    }
}

/// One named parameter tensor of a layer, at `offset` floats into the layer's parameter block.
public struct ParameterTensor: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// A layer over a batch of samples laid out NHWC (vectors as (N, n)).
/// `forward` and `backward` sit side by side in each conforming type; backward's arguments mirror
/// forward's: it reads x and y, overwrites dy, writes dx (if asked) and *accumulates* into dParams.
public protocol Layer: Sendable {
    /// Keras-style class name for summaries ("Conv2D", "Dense", ...).
    var typeName: String { get }
    var inputShape: [Int] { get }
    var outputShape: [Int] { get }
    var parameters: [ParameterTensor] { get }
    var savedCount: Int { get }
    var tempCount: Int { get }
    var scratchCount: Int { get }
    /// Multiply–accumulates of one forward pass for one sample (FLOPs = 2×).
    var forwardMACs: Int { get }

    func initialize(_ params: UnsafeMutablePointer<Float>, rng: inout SeededGenerator)
    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int,
                 params: UnsafePointer<Float>, memory: LayerMemory)
    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
                  dx: UnsafeMutablePointer<Float>?, batch: Int,
                  params: UnsafePointer<Float>, dParams: UnsafeMutablePointer<Float>, memory: LayerMemory)
}

extension Layer {
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
    public var inputCount: Int { inputShape.reduce(1, *) }
    public var outputCount: Int { outputShape.reduce(1, *) }
    public var savedCount: Int { 0 }
    public var tempCount: Int { 0 }
    public var scratchCount: Int { 0 }
    public var forwardMACs: Int { 0 }
}

/// Glorot-uniform (Keras's default kernel initializer): U(−l, l), l = √(6 / (fanIn + fanOut)).
func glorotUniform(_ w: UnsafeMutablePointer<Float>, count: Int, fanIn: Int, fanOut: Int, rng: inout SeededGenerator) {
    let limit = (6 / Float(fanIn + fanOut)).squareRoot()
    for i in 0..<count { w[i] = rng.uniform(-limit, limit) }
}

/// y: (rows, n) ← activation(y + b) in one pass; b: (n).
/// Works in blocks of rows small enough to stay in L1 between the two steps.
func biasAndActivation(_ y: UnsafeMutablePointer<Float>, rows: Int, bias: UnsafePointer<Float>, n: Int, activation: Activation) {
    let block = max(1, 2048 / n)
    var r = 0
    while r < rows {
        let count = min(block, rows - r)
        addBias(y + r * n, rows: count, bias: bias, n: n)
        activation.apply(y + r * n, count: count * n)
        r += count
    }
}

/// b: (n) added to every row of y: (rows, n).
func addBias(_ y: UnsafeMutablePointer<Float>, rows: Int, bias: UnsafePointer<Float>, n: Int) {
    for r in 0..<rows {
        let row = y + r * n
        for j in 0..<n { row[j] += bias[j] }
    }
}
