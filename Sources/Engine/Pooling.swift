/// Keras MaxPooling2D with strides equal to the pool size.
/// x: (N,H,W,C) → y: (N,OH,OW,C); `valid` drops a partial last window (OH = ⌊H/p⌋), `same`
/// keeps it (OH = ⌈H/p⌉) and takes the maximum over the part that exists, as Keras does.
public struct MaxPooling2D: Layer {
    public let inputShape: [Int]
    public let pool: Int
    public let padding: Padding

    public init(inputShape: [Int], pool: Int = 2, padding: Padding = .valid) {
        precondition(inputShape.count == 3 && pool >= 1, "MaxPooling2D needs an (H, W, C) input and a pool of at least 1")
        self.inputShape = inputShape; self.pool = pool; self.padding = padding
    }

    public var typeName: String { "MaxPooling2D" }
    public var outputShape: [Int] {
        let side = { (n: Int) in padding == .same ? (n + pool - 1) / pool : n / pool }
        return [side(inputShape[0]), side(inputShape[1]), inputShape[2]]
    }
    public var parameters: [ParameterTensor] { [] }
    public func initialize(_ params: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {}

    /// The input offset (within one image) of the first maximum of output (oh, ow, c)'s window.
    private func argmax(_ x: UnsafePointer<Float>, _ oh: Int, _ ow: Int, _ c: Int) -> Int {
        let (h, w, channels) = (inputShape[0], inputShape[1], inputShape[2])
        var best = (oh * pool * w + ow * pool) * channels + c
        for i in oh * pool..<min(oh * pool + pool, h) {
            for j in ow * pool..<min(ow * pool + pool, w) {
                let at = (i * w + j) * channels + c
                if x[at] > x[best] { best = at }
            }
        }
        return best
    }

    public func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int,
                        params: UnsafePointer<Float>, memory: LayerMemory) {
        let out = outputShape
        for n in 0..<batch {
            let xn = x + n * inputCount, yn = y + n * outputCount
            for oh in 0..<out[0] { for ow in 0..<out[1] { for c in 0..<out[2] {
                yn[(oh * out[1] + ow) * out[2] + c] = xn[argmax(xn, oh, ow, c)]
            } } }
        }
    }

    /// Each output's gradient goes to the input it was taken from (the first maximum on ties).
    public func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, batch: Int,
                         params: UnsafePointer<Float>, dParams: UnsafeMutablePointer<Float>, memory: LayerMemory) {
        guard let dx else { return }
        dx.update(repeating: 0, count: batch * inputCount)
        let out = outputShape
        for n in 0..<batch {
            let xn = x + n * inputCount, dxn = dx + n * inputCount, dyn = dy + n * outputCount
            for oh in 0..<out[0] { for ow in 0..<out[1] { for c in 0..<out[2] {
                dxn[argmax(xn, oh, ow, c)] += dyn[(oh * out[1] + ow) * out[2] + c]
            } } }
        }
    }
}

/// Keras UpSampling2D (nearest): each value repeated `size` × `size` times.
/// x: (N,H,W,C) → y: (N,H·s,W·s,C)
public struct UpSampling2D: Layer {
    public let inputShape: [Int]
    public let size: Int

    public init(inputShape: [Int], size: Int = 2) {
        precondition(inputShape.count == 3 && size >= 1, "UpSampling2D needs an (H, W, C) input and a size of at least 1")
        self.inputShape = inputShape; self.size = size
    }

    public var typeName: String { "UpSampling2D" }
    public var outputShape: [Int] { [inputShape[0] * size, inputShape[1] * size, inputShape[2]] }
    public var parameters: [ParameterTensor] { [] }
    public func initialize(_ params: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {}

    public func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int,
                        params: UnsafePointer<Float>, memory: LayerMemory) {
        let (w, c, oh, ow) = (inputShape[1], inputShape[2], outputShape[0], outputShape[1])
        for n in 0..<batch {
            let xn = x + n * inputCount, yn = y + n * outputCount
            for i in 0..<oh { for j in 0..<ow {
                (yn + (i * ow + j) * c).update(from: xn + ((i / size) * w + j / size) * c, count: c)
            } }
        }
    }

    /// dx is the sum of dy over each value's size × size copies.
    public func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, batch: Int,
                         params: UnsafePointer<Float>, dParams: UnsafeMutablePointer<Float>, memory: LayerMemory) {
        guard let dx else { return }
        dx.update(repeating: 0, count: batch * inputCount)
        let (w, c, oh, ow) = (inputShape[1], inputShape[2], outputShape[0], outputShape[1])
        for n in 0..<batch {
            let dxn = dx + n * inputCount, dyn = dy + n * outputCount
            for i in 0..<oh { for j in 0..<ow {
                let to = dxn + ((i / size) * w + j / size) * c, from = dyn + (i * ow + j) * c
                for k in 0..<c { to[k] += from[k] }
            } }
        }
    }
}

/// `max_pooling2d: {pool_size: 2, padding: same}`
public struct MaxPooling2DKind: LayerKind {
    public var pool = 2
    public var padding = Padding.valid

    public init() {}
    public static let name = "max_pooling2d"
    public static let summary = "Keras MaxPooling2D with strides equal to the pool size."
    public static let parameters: [LayerParameter<Self>] = [LayerParameter("pool_size", \.pool), LayerParameter("padding", \.padding)]

    public func build(_ context: LayerContext) throws(ModelError) -> any Layer {
        try context.needImage(Self.name)
        try context.bounded([("pool_size", pool)], atMost: 4096)
        return MaxPooling2D(inputShape: context.input, pool: pool, padding: padding)
    }
}

/// `up_sampling2d: {size: 2}`
public struct UpSampling2DKind: LayerKind {
    public var size = 2

    public init() {}
    public static let name = "up_sampling2d"
    public static let summary = "Keras UpSampling2D: each value repeated size × size times (nearest)."
    public static let parameters: [LayerParameter<Self>] = [LayerParameter("size", \.size)]

    public func build(_ context: LayerContext) throws(ModelError) -> any Layer {
        try context.needImage(Self.name)
        try context.bounded([("size", size)], atMost: 4096)
        return UpSampling2D(inputShape: context.input, size: size)
    }
}
