import ReportModel

/// A built autoencoder: its layers, and where each layer's parameters live in the one flat
/// parameter buffer (encoder then decoder, each layer's tensors in order), so an optimizer step
/// is a single loop and a checkpoint is a list of slices.
public struct Model: Sendable {
    public let spec: ModelSpec
    public let layers: [any Layer]
    public let encoderCount: Int
    /// A VAE: the encoder's output is [z_mean | z_log_var], 2 × latent per sample.
    public var variational: Bool { spec.variational }
    /// Floats per sample out of the encoder: latent, or 2 × latent for a VAE.
    public var encoderWidth: Int { spec.variational ? 2 * spec.latent : spec.latent }
    /// The final activation, applied by the loss (from logits) in training and after the last
    /// layer in inference; the last layer itself is built linear.
    public let outputActivation: Activation
    public let offsets: [Int]
    public let parameterCount: Int

    public init(_ spec: ModelSpec) throws(ModelError) {
        guard spec.input.count == 3, spec.input.allSatisfy({ $0 > 0 }), [1, 3].contains(spec.input[2]) else {
            throw .invalidInput(spec.input)
        }
        guard spec.latent >= 1 else { throw .invalidLatent(spec.latent) }
        var decoderSpecs = spec.decoder
        var output = Activation.linear
        if let last = decoderSpecs.lastIndex(where: { !$0.isShapeOnly }), let a = decoderSpecs[last].trailingActivation {
            output = a
            decoderSpecs[last] = decoderSpecs[last].withActivation(.linear)
        }
        var layers: [any Layer] = []
        var shape = spec.input
        for (i, s) in spec.encoder.enumerated() {
            if spec.variational, i == spec.encoder.count - 1 {
                layers.append(try Model.heads(s, input: shape, latent: spec.latent, index: i))
            } else {
                layers.append(try Model.build(s, input: shape, part: "encoder", index: i))
            }
            shape = layers.last!.outputShape
        }
        guard shape == [spec.variational ? 2 * spec.latent : spec.latent] else { throw .encoderOutput(got: shape, latent: spec.latent) }
        if spec.variational { shape = [spec.latent] }
        for (i, s) in decoderSpecs.enumerated() {
            layers.append(try Model.build(s, input: shape, part: "decoder", index: i))
            shape = layers.last!.outputShape
        }
        guard shape == spec.input else { throw .decoderOutput(got: shape, expected: spec.input) }
        var offsets: [Int] = [], total = 0
        for l in layers { offsets.append(total); total += l.parameterCount }
        self.spec = spec
        self.layers = layers
        self.encoderCount = spec.encoder.count
        self.outputActivation = output
        self.offsets = offsets
        self.parameterCount = total
    }

    public static func preset(_ name: String, input: [Int], latent: Int) throws(ModelError) -> Model {
        try Model(Presets.spec(name, input: input, latent: latent))
    }

    /// A VAE's last encoder layer, `dense: {units: latent}`, built as the two heads.
    static func heads(_ spec: LayerSpec, input: [Int], latent: Int, index: Int) throws(ModelError) -> any Layer {
        guard let dense = spec.kind as? DenseKind, dense.units == latent, dense.activation == .linear else {
            throw .variationalHead(spec.description)
        }
        let context = LayerContext(input: input, part: "encoder", index: index)
        try context.needVector(DenseKind.name)
        try context.weights([input[0] + 1, 2 * latent])
        return VariationalHeads(inputs: input[0], latent: latent)
    }

    static func build(_ spec: LayerSpec, input: [Int], part: String, index: Int) throws(ModelError) -> any Layer {
        let context = LayerContext(input: input, part: part, index: index)
        // Bounded sizes keep every shape computation below (im2col sizes, parameter counts) far
        // from overflowing, whatever a notebook or a checkpoint file asks for.
        guard fits(input) else {
            throw context.fail("its input \(shapeText(input)) is too large: at most \(grouped(maximumSide)) high and wide, and \(grouped(maximumValues)) values per image")
        }
        let layer = try spec.build(context)
        guard layer.outputShape.allSatisfy({ $0 > 0 }) else {
            throw context.fail("output shape \(shapeText(layer.outputShape)) is empty for input \(shapeText(input))")
        }
        guard fits(layer.outputShape) else {
            throw context.fail("its output \(shapeText(layer.outputShape)) is too large: at most \(grouped(maximumSide)) high and wide, and \(grouped(maximumValues)) values per image")
        }
        return layer
    }

    /// Height and width, and values per sample, of any layer's input or output.
    static let maximumSide = 65_536
    static let maximumValues = 1 << 28
    /// Per layer: far past any memory (the trainer refuses much less), but no overflow.
    static let maximumParameters = 1 << 36

    static func fits(_ shape: [Int]) -> Bool {
        guard let count = elementCount(shape), count <= maximumValues else { return false }
        return shape.count < 3 || shape.prefix(2).allSatisfy { $0 <= maximumSide }
    }

    public var inputCount: Int { spec.input.reduce(1, *) }
    public var encoderLayers: ArraySlice<any Layer> { layers[..<encoderCount] }
    public var decoderLayers: ArraySlice<any Layer> { layers[encoderCount...] }

    /// Glorot-uniform kernels and zero biases, drawn layer by layer from the seed's "init" stream.
    public func initialParameters(seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed, stream: "init")
        var params = [Float](repeating: 0, count: parameterCount)
        params.withUnsafeMutableBufferPointer { p in
            for (l, o) in zip(layers, offsets) { l.initialize(p.baseAddress! + o, rng: &rng) }
        }
        return params
    }

    /// Every parameter tensor with its checkpoint name ("encoder.0.kernel", "decoder.3.conv1.bias").
    public var parameterTensors: [ParameterTensor] {
        layers.indices.flatMap { i in
            let name = i < encoderCount ? "encoder.\(i)" : "decoder.\(i - encoderCount)"
            return layers[i].parameters.map { ParameterTensor(name: "\(name).\($0.name)", shape: $0.shape, offset: offsets[i] + $0.offset) }
        }
    }

    /// Multiply–accumulates of one forward pass of one image through the whole autoencoder.
    public var forwardMACsPerSample: Int { layers.reduce(0) { $0 + $1.forwardMACs } }
    /// Training FLOPs per image: forward, and backward at twice the forward (dx and dW): 3 × 2 × MACs.
    public var trainingFLOPsPerSample: Int { 6 * forwardMACsPerSample }
}
