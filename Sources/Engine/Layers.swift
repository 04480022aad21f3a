/// Keras Dense with a fused activation. x: (N,in), kernel: (in,out), bias: (out), y: (N,out)
public struct Dense: Layer {
    public let inputs, units: Int
    public let activation: Activation

    public init(inputs: Int, units: Int, activation: Activation = .linear) {
        self.inputs = inputs; self.units = units; self.activation = activation
    }

    public var typeName: String { "Dense" }
    public var inputShape: [Int] { [inputs] }
    public var outputShape: [Int] { [units] }
    public var parameters: [ParameterTensor] {
        [ParameterTensor(name: "kernel", shape: [inputs, units], offset: 0),
         ParameterTensor(name: "bias", shape: [units], offset: inputs * units)]
    }
    public var forwardMACs: Int { inputs * units }

    public func initialize(_ params: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {
        glorotUniform(params, count: inputs * units, fanIn: inputs, fanOut: units, rng: &rng)
        (params + inputs * units).update(repeating: 0, count: units)
    }

    public func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int,
                        params: UnsafePointer<Float>, memory: LayerMemory) {
        BLAS.sgemm(m: batch, n: units, k: inputs, a: x, lda: inputs, b: params, ldb: units, beta: 0, c: y, ldc: units)
        addBias(y, rows: batch, bias: params + inputs * units, n: units)
        activation.apply(y, count: batch * units)
    }

    public func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, batch: Int,
                         params: UnsafePointer<Float>, dParams: UnsafeMutablePointer<Float>, memory: LayerMemory) {
        activation.backward(y: y, dy: dy, rows: batch, width: units, dBias: dParams + inputs * units)
        BLAS.sgemm(transA: true, m: inputs, n: units, k: batch, a: x, lda: inputs, b: dy, ldb: units,
                   beta: 1, c: dParams, ldc: units)
        if let dx {
            BLAS.sgemm(transB: true, m: batch, n: inputs, k: units, a: dy, lda: units, b: params, ldb: units,
                       beta: 0, c: dx, ldc: inputs)
        }
    }
}

/// Flatten and Reshape: NHWC is already row-major, so both are copies that only change the shape.
public struct Reshape: Layer {
    public let inputShape: [Int]
    public let outputShape: [Int]
    public let typeName: String

    public init(inputShape: [Int], outputShape: [Int], typeName: String = "Reshape") {
        precondition(inputShape.reduce(1, *) == outputShape.reduce(1, *), "Reshape must keep the element count")
        self.inputShape = inputShape; self.outputShape = outputShape; self.typeName = typeName
    }

    public static func flatten(inputShape: [Int]) -> Reshape {
        Reshape(inputShape: inputShape, outputShape: [inputShape.reduce(1, *)], typeName: "Flatten")
    }

    public var parameters: [ParameterTensor] { [] }
    public func initialize(_ params: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {}

    public func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int,
                        params: UnsafePointer<Float>, memory: LayerMemory) {
        y.update(from: x, count: batch * outputCount)
    }

    public func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, batch: Int,
                         params: UnsafePointer<Float>, dParams: UnsafeMutablePointer<Float>, memory: LayerMemory) {
        dx?.update(from: dy, count: batch * inputCount)
    }
}

/// A stand-alone activation layer (Keras ReLU, LeakyReLU, Activation("sigmoid"), ...).
public struct ActivationLayer: Layer {
    public let shape: [Int]
    public let activation: Activation

    public init(shape: [Int], activation: Activation) { self.shape = shape; self.activation = activation }

    public var typeName: String {
        switch activation {
        case .relu: "ReLU"
        case .leakyRelu: "LeakyReLU"
        case .linear, .sigmoid, .tanh: "Activation"
        }
    }
    public var inputShape: [Int] { shape }
    public var outputShape: [Int] { shape }
    public var parameters: [ParameterTensor] { [] }
    public func initialize(_ params: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {}

    public func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int,
                        params: UnsafePointer<Float>, memory: LayerMemory) {
        y.update(from: x, count: batch * outputCount)
        activation.apply(y, count: batch * outputCount)
    }

    public func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, batch: Int,
                         params: UnsafePointer<Float>, dParams: UnsafeMutablePointer<Float>, memory: LayerMemory) {
        guard let dx else { return }
        activation.backward(y: y, dy: dy, count: batch * outputCount)
        dx.update(from: dy, count: batch * inputCount)
    }
}

/// A residual block: y = relu(conv₂(relu(conv₁(x))) + shortcut(x)), both convs 3×3 `same`,
/// conv₁ carrying the stride; the shortcut is the identity when shapes allow, else a 1×1 conv
/// with the same stride (the projection shortcut of He et al.).
/// x: (N,H,W,C) → y: (N,⌈H/s⌉,⌈W/s⌉,F)
public struct ResidualBlock: Layer {
    public let conv1: Conv2D
    public let conv2: Conv2D
    public let projection: Conv2D?

    public init(inputShape: [Int], filters: Int, stride: Int = 1) {
        conv1 = Conv2D(inputShape: inputShape, filters: filters, kernel: 3, stride: stride, activation: .relu)
        conv2 = Conv2D(inputShape: conv1.outputShape, filters: filters, kernel: 3, stride: 1, activation: .linear)
        projection = (stride == 1 && inputShape[2] == filters)
            ? nil : Conv2D(inputShape: inputShape, filters: filters, kernel: 1, stride: stride, padding: .valid)
    }

    public var typeName: String { "ResidualBlock" }
    public var inputShape: [Int] { conv1.inputShape }
    public var outputShape: [Int] { conv2.outputShape }

    private var parts: [(name: String, layer: Conv2D)] {
        [("conv1", conv1), ("conv2", conv2)] + (projection.map { [("shortcut", $0)] } ?? [])
    }
    private var offsets: [Int] {
        var o = 0
        return parts.map { p in defer { o += p.layer.parameterCount }; return o }
    }
    public var parameters: [ParameterTensor] {
        zip(parts, offsets).flatMap { part, base in
            part.layer.parameters.map { ParameterTensor(name: "\(part.name).\($0.name)", shape: $0.shape, offset: base + $0.offset) }
        }
    }
    /// conv₁'s output h is kept for backward.
    public var savedCount: Int { conv1.outputCount }
    /// The shortcut's output in forward; dh and the shortcut's dx in backward.
    public var tempCount: Int { max(outputCount, conv1.outputCount + inputCount) }
    public var scratchCount: Int { parts.map(\.layer.scratchCount).max() ?? 0 }
    public var forwardMACs: Int { parts.reduce(0) { $0 + $1.layer.forwardMACs } }

    public func initialize(_ params: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {
        for (part, base) in zip(parts, offsets) { part.layer.initialize(params + base, rng: &rng) }
    }

    public func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int,
                        params: UnsafePointer<Float>, memory: LayerMemory) {
        let o = offsets, h = memory.saved, count = batch * outputCount
        conv1.forward(x: x, y: h, batch: batch, params: params + o[0], memory: memory)
        conv2.forward(x: h, y: y, batch: batch, params: params + o[1], memory: memory)
        if let projection {
            let s = memory.temp
            projection.forward(x: x, y: s, batch: batch, params: params + o[2], memory: memory)
            for i in 0..<count { y[i] += s[i] }
        } else {
            for i in 0..<count { y[i] += x[i] }
        }
        Activation.relu.apply(y, count: count)
    }

    public func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, batch: Int,
                         params: UnsafePointer<Float>, dParams: UnsafeMutablePointer<Float>, memory: LayerMemory) {
        let o = offsets, h = UnsafePointer(memory.saved)
        let dh = memory.temp, dxShortcut = memory.temp + batch * conv1.outputCount
        Activation.relu.backward(y: y, dy: dy, count: batch * outputCount)
        // conv₂ and the projection are linear, so neither overwrites dy: both read the same dsum.
        conv2.backward(x: h, y: y, dy: dy, dx: dh, batch: batch, params: params + o[1], dParams: dParams + o[1], memory: memory)
        if let projection {
            projection.backward(x: x, y: y, dy: dy, dx: dx == nil ? nil : dxShortcut, batch: batch,
                                params: params + o[2], dParams: dParams + o[2], memory: memory)
        }
        conv1.backward(x: x, y: h, dy: dh, dx: dx, batch: batch, params: params + o[0], dParams: dParams + o[0], memory: memory)
        guard let dx else { return }
        let n = batch * inputCount
        if projection != nil {
            for i in 0..<n { dx[i] += dxShortcut[i] }
        } else {
            for i in 0..<n { dx[i] += dy[i] }
        }
    }
}

/// `dense: {units: 16, activation: relu}`
public struct DenseKind: LayerKind {
    public var units = 1
    public var activation = Activation.linear

    public init() {}
    public init(units: Int, activation: Activation) { self.units = units; self.activation = activation }

    public static let name = "dense"
    public static let summary = "Keras Dense: a fully connected layer on a vector."
    public static let parameters: [LayerParameter<Self>] = [
        LayerParameter("units", \.units, required: true), LayerParameter("activation", \.activation),
    ]
    public static var activation: WritableKeyPath<Self, Activation>? { \.activation }

    public func build(_ context: LayerContext) throws(ModelError) -> any Layer {
        try context.needVector(Self.name)
        try context.bounded([("units", units)])
        try context.weights([context.input[0] + 1, units])
        return Dense(inputs: context.input[0], units: units, activation: activation)
    }
}

/// `flatten`
public struct FlattenKind: LayerKind {
    public init() {}
    public static let name = "flatten"
    public static let summary = "Keras Flatten: an image as one vector."
    public static let parameters: [LayerParameter<Self>] = []
    public static let isShapeOnly = true

    public func build(_ context: LayerContext) throws(ModelError) -> any Layer { Reshape.flatten(inputShape: context.input) }
}

/// `reshape: [7, 7, 64]`
public struct ReshapeKind: LayerKind {
    public var sizes: [Int] = []

    public init() {}
    public init(_ sizes: [Int]) { self.sizes = sizes }

    enum CodingKeys: String, CodingKey { case sizes = "_0" }

    public static let name = "reshape"
    public static let summary = "Keras Reshape: a vector (or image) as the given shape, e.g. `reshape: [7, 7, 64]`."
    public static let parameters: [LayerParameter<Self>] = [LayerParameter("sizes", \.sizes, required: true)]
    public static let form = LayerForm.value
    public static let isShapeOnly = true

    public func build(_ context: LayerContext) throws(ModelError) -> any Layer {
        let input = context.input
        // Overflow-checked: a hostile list of sizes must not wrap around to the right count.
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }), elementCount(sizes) == input.reduce(1, *) else {
            throw context.fail("cannot reshape \(shapeText(input)) (\(input.reduce(1, *)) values) to \(shapeText(sizes))")
        }
        return Reshape(inputShape: input, outputShape: sizes)
    }
}

/// `activation: relu`
public struct ActivationKind: LayerKind {
    public var activation = Activation.linear

    public init() {}
    public init(_ activation: Activation) { self.activation = activation }

    enum CodingKeys: String, CodingKey { case activation = "_0" }

    public static let name = "activation"
    public static let summary = "A stand-alone activation, e.g. `activation: relu`."
    public static let parameters: [LayerParameter<Self>] = [LayerParameter("activation", \.activation, required: true)]
    public static let form = LayerForm.value
    public static var activation: WritableKeyPath<Self, Activation>? { \.activation }

    public func build(_ context: LayerContext) throws(ModelError) -> any Layer {
        ActivationLayer(shape: context.input, activation: activation)
    }
}

/// `residual: {filters: 32, strides: 1}`
public struct ResidualKind: LayerKind {
    public var filters = 1
    public var stride = 1

    public init() {}
    public init(filters: Int, stride: Int) { self.filters = filters; self.stride = stride }

    public static let name = "residual"
    public static let summary = "Two 3×3 convolutions plus a shortcut (a 1×1 projection when strides or channels change)."
    public static let parameters: [LayerParameter<Self>] = [
        LayerParameter("filters", \.filters, required: true), LayerParameter("strides", \.stride),
    ]

    public func build(_ context: LayerContext) throws(ModelError) -> any Layer {
        try context.needImage(Self.name)
        try context.bounded([("filters", filters), ("stride", stride)], atMost: 4096)
        try context.weights([2, 3, 3, context.input[2] + filters, filters])  // a bound on its two 3×3 convolutions and the shortcut
        return ResidualBlock(inputShape: context.input, filters: filters, stride: stride)
    }
}

extension LayerSpec {
    public static func dense(units: Int, activation: Activation = .linear) -> LayerSpec { LayerSpec(DenseKind(units: units, activation: activation)) }
    public static let flatten = LayerSpec(FlattenKind())
    public static func reshape(_ sizes: [Int]) -> LayerSpec { LayerSpec(ReshapeKind(sizes)) }
    public static func activation(_ a: Activation) -> LayerSpec { LayerSpec(ActivationKind(a)) }
    public static func residual(filters: Int, stride: Int = 1) -> LayerSpec { LayerSpec(ResidualKind(filters: filters, stride: stride)) }
}
