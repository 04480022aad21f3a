import Engine
import ReportModel
import Testing

@Test func baselineSummaryMatchesKerasLayout() throws {
    let model = try Model.preset("baseline", input: [28, 28, 1], latent: 2)
    let encoder = model.summary.description.components(separatedBy: "\n\n")[0]
    #expect(encoder == """
        Model: "encoder"
        ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
        ┃ Layer (type)               ┃ Output Shape         ┃   Param # ┃
        ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
        │ input_layer (InputLayer)   │ (None, 28, 28, 1)    │         0 │
        ├────────────────────────────┼──────────────────────┼───────────┤
        │ conv2d (Conv2D)            │ (None, 14, 14, 32)   │       320 │
        ├────────────────────────────┼──────────────────────┼───────────┤
        │ conv2d_1 (Conv2D)          │ (None, 7, 7, 64)     │    18,496 │
        ├────────────────────────────┼──────────────────────┼───────────┤
        │ flatten (Flatten)          │ (None, 3136)         │         0 │
        ├────────────────────────────┼──────────────────────┼───────────┤
        │ dense (Dense)              │ (None, 16)           │    50,192 │
        ├────────────────────────────┼──────────────────────┼───────────┤
        │ z (Dense)                  │ (None, 2)            │        34 │
        └────────────────────────────┴──────────────────────┴───────────┘
         Total params: 69,042 (269.70 KB)
         Trainable params: 69,042 (269.70 KB)
         Non-trainable params: 0 (0.00 B)
        """)
}

struct PresetFacts: Sendable, CustomTestStringConvertible {
    let name: String
    let input: [Int]
    let latent: Int
    let encoder, decoder: Int
    var testDescription: String { "\(name) \(input) latent \(latent)" }
}

/// Parameter counts worked out by hand from Keras's formulas (conv: k·k·C·F + F, dense: in·out + out).
@Test("preset parameter counts", arguments: [
    PresetFacts(name: "baseline", input: [28, 28, 1], latent: 2, encoder: 69_042, decoder: 65_089),
    PresetFacts(name: "baseline", input: [28, 28, 1], latent: 1, encoder: 69_042 - 17, decoder: 65_089 - 3136),
    PresetFacts(name: "baseline", input: [28, 28, 3], latent: 3, encoder: 69_042 + 576 + 17, decoder: 65_089 + 3136 + 576 + 2),
    PresetFacts(name: "baseline", input: [32, 32, 3], latent: 2, encoder: 896 + 18_496 + 4096 * 16 + 16 + 34,
                decoder: 3 * 4096 + 36_928 + 18_464 + 867),
    PresetFacts(name: "deep", input: [28, 28, 1], latent: 2, encoder: 193_074, decoder: 258_945),
    PresetFacts(name: "dense", input: [28, 28, 1], latent: 2, encoder: 784 * 512 + 512 + 512 * 128 + 128 + 258,
                decoder: 3 * 128 + 129 * 512 + 513 * 784),
    PresetFacts(name: "residual", input: [28, 28, 1], latent: 2, encoder: 69_042 + 2 * 9_248 + 2 * 36_928,
                decoder: 65_089 + 2 * 36_928 + 2 * 9_248),
])
func presetParameterCounts(_ f: PresetFacts) throws {
    let tables = try Model.preset(f.name, input: f.input, latent: f.latent).summary.tables
    #expect(tables[0].totalParameters == f.encoder)
    #expect(tables[1].totalParameters == f.decoder)
}

@Test func trainingFLOPsPerImage() throws {
    // 3 × forward, as the benchmark counts them: baseline ≈ 40.0 M, deep ≈ 246 M.
    #expect(try Model.preset("baseline", input: [28, 28, 1], latent: 2).trainingFLOPsPerSample == 39_965_376)
    #expect(try Model.preset("deep", input: [28, 28, 1], latent: 2).trainingFLOPsPerSample == 246_226_368)
}

struct BadSpec: Sendable, CustomTestStringConvertible {
    let label: String
    let spec: @Sendable () throws -> Model
    let message: String
    var testDescription: String { label }
}

@Test("invalid architectures are rejected with a message", arguments: [
    BadSpec(label: "unknown preset", spec: { try Model.preset("resnet", input: [28, 28, 1], latent: 2) },
            message: "unknown architecture 'resnet'\nhint: the presets are baseline, deep, dense, residual"),
    BadSpec(label: "latent 0", spec: { try Model.preset("baseline", input: [28, 28, 1], latent: 0) },
            message: "latent size must be at least 1, got 0"),
    BadSpec(label: "2 channels", spec: { try Model.preset("baseline", input: [28, 28, 2], latent: 2) },
            message: "input shape (28, 28, 2) is not (height, width, channels) with 1 or 3 channels"),
    BadSpec(label: "strides do not divide", spec: { try Model.preset("deep", input: [30, 30, 1], latent: 2) },
            message: "architecture 'deep' needs an input whose height and width are multiples of 4, got (30, 30, 1)\nhint: give encoder and decoder layer lists that fit the images"),
    BadSpec(label: "dense on an image",
            spec: { try Model(ModelSpec(input: [28, 28, 1], latent: 2, encoder: [.dense(units: 2, activation: .linear)], decoder: [])) },
            message: "encoder layer 0: dense needs a vector input, got (28, 28, 1)\nhint: add a flatten layer first"),
    BadSpec(label: "conv on a vector",
            spec: { try Model(ModelSpec(input: [4, 4, 1], latent: 16, encoder: [.flatten], decoder: [.conv2d(filters: 1, kernel: 3, stride: 1, padding: .same, activation: .sigmoid)])) },
            message: "decoder layer 0: conv2d needs an (height, width, channels) input, got (16)\nhint: add a reshape layer first"),
    BadSpec(label: "bad reshape",
            spec: { try Model(ModelSpec(input: [4, 4, 1], latent: 16, encoder: [.flatten], decoder: [.reshape([5, 5, 1])])) },
            message: "decoder layer 0: cannot reshape (16) (16 values) to (5, 5, 1)"),
    BadSpec(label: "zero filters",
            spec: { try Model(ModelSpec(input: [4, 4, 1], latent: 2, encoder: [.conv2d(filters: 0, kernel: 3, stride: 1, padding: .same, activation: .relu)], decoder: [])) },
            message: "encoder layer 0: filters must be at least 1, got 0"),
    BadSpec(label: "encoder output is not the latent",
            spec: { try Model(ModelSpec(input: [4, 4, 1], latent: 2, encoder: [.flatten, .dense(units: 3, activation: .linear)], decoder: [])) },
            message: "the encoder ends with shape (3) but the latent size is 2\nhint: end the encoder with a dense layer of 2 units"),
    BadSpec(label: "decoder output is not the input",
            spec: { try Model(ModelSpec(input: [4, 4, 1], latent: 2, encoder: [.flatten, .dense(units: 2, activation: .linear)],
                                        decoder: [.dense(units: 15, activation: .sigmoid)])) },
            message: "the decoder ends with shape (15) but must reproduce the input shape (4, 4, 1)\nhint: end the decoder with a layer whose output is (4, 4, 1), e.g. a reshape or a convolution with 1 filters"),
    BadSpec(label: "valid conv shrinks to nothing",
            spec: { try Model(ModelSpec(input: [2, 2, 1], latent: 2, encoder: [.conv2d(filters: 1, kernel: 3, stride: 1, padding: .valid, activation: .relu)], decoder: [])) },
            message: "encoder layer 0: output shape (0, 0, 1) is empty for input (2, 2, 1)"),
    // Sizes a notebook or a checkpoint file can ask for; none may trap or wrap around.
    BadSpec(label: "reshape whose size overflows Int",
            spec: { try Model(ModelSpec(input: [4, 4, 1], latent: 16, encoder: [.flatten], decoder: [.reshape([4096, 4096, 4096, 4096, 4096, 16])])) },
            message: "decoder layer 0: cannot reshape (16) (16 values) to (4096, 4096, 4096, 4096, 4096, 16)"),
    BadSpec(label: "output too wide",
            spec: { try Model(ModelSpec(input: [64, 64, 1], latent: 2, encoder: [.conv2dTranspose(filters: 1, kernel: 4096, stride: 4096, padding: .same, activation: .relu)], decoder: [])) },
            message: "encoder layer 0: its output (262144, 262144, 1) is too large: at most 65,536 high and wide, and 268,435,456 values per image"),
    BadSpec(label: "stride past 4096",
            spec: { try Model(ModelSpec(input: [4, 4, 1], latent: 2, encoder: [.conv2d(filters: 1, kernel: 3, stride: 1 << 62, padding: .same, activation: .relu)], decoder: [])) },
            message: "encoder layer 0: stride must be at most 4,096, got 4,611,686,018,427,387,904"),
    BadSpec(label: "kernel weights past 2^36",
            spec: { try Model(ModelSpec(input: [1, 1, 1], latent: 2, encoder: [.conv2d(filters: 4096, kernel: 1, stride: 1, padding: .same, activation: .relu),
                                                                        .conv2d(filters: 4096, kernel: 4096, stride: 1, padding: .same, activation: .relu)], decoder: [])) },
            message: "encoder layer 1: it would have more than 68,719,476,736 parameters"),
    BadSpec(label: "input too large",
            spec: { try Model(ModelSpec(input: [100_000, 100_000, 1], latent: 2, encoder: [.flatten], decoder: [])) },
            message: "encoder layer 0: its input (100000, 100000, 1) is too large: at most 65,536 high and wide, and 268,435,456 values per image"),
])
func invalidArchitectures(_ c: BadSpec) {
    #expect(throws: (any Error).self) { try c.spec() }
    do { _ = try c.spec() } catch { #expect("\(error)" == c.message) }
}

@Test func outputActivationIsPeeledOffForTheLoss() throws {
    let model = try Model.preset("dense", input: [28, 28, 1], latent: 2)
    #expect(model.outputActivation == .sigmoid)
    let baseline = try Model.preset("baseline", input: [28, 28, 1], latent: 2)
    #expect(baseline.outputActivation == .sigmoid)
    // summary still shows every layer, including the one whose sigmoid moved into the loss
    #expect(baseline.summary.tables[1].rows.last?.type == "Conv2DTranspose")
}

@Test func parametersAreGlorotUniformWithZeroBiases() throws {
    let model = try Model.preset("baseline", input: [28, 28, 1], latent: 2)
    let params = model.initialParameters(seed: 9)
    for t in model.parameterTensors {
        let values = params[t.offset..<(t.offset + t.count)]
        if t.name.hasSuffix("bias") {
            #expect(values.allSatisfy { $0 == 0 }, "\(t.name)")
        } else {
            let rf = t.shape.count == 4 ? t.shape[0] * t.shape[1] : 1
            let limit = (6 / Float(rf * (t.shape[t.shape.count - 2] + t.shape[t.shape.count - 1]))).squareRoot()
            #expect(values.allSatisfy { abs($0) <= limit }, "\(t.name)")
            // uniform on [−l, l] has variance l²/3
            let variance = values.reduce(0) { $0 + Double($1 * $1) } / Double(values.count)
            #expect(abs(variance / Double(limit * limit / 3) - 1) < 0.2, "\(t.name)")
        }
    }
    #expect(model.initialParameters(seed: 9) == params)
    #expect(model.initialParameters(seed: 10) != params)
    #expect(model.parameterTensors.map(\.name).prefix(3) == ["encoder.0.kernel", "encoder.0.bias", "encoder.1.kernel"])
}

@Test func adamFollowsKerasUpdateRule() {
    let adam = Adam()
    var p: [Float] = [1, -2, 0.5], m: [Float] = [0, 0, 0], v: [Float] = [0, 0, 0]
    let g: [Float] = [0.1, -3, 1e-9]
    p.withUnsafeMutableBufferPointer { pp in m.withUnsafeMutableBufferPointer { mp in v.withUnsafeMutableBufferPointer { vp in
        adam.update(params: pp.baseAddress!, grads: g, m: mp.baseAddress!, v: vp.baseAddress!, count: 3, step: 1)
    } } }
    // Step 1: α = lr·√(1−β₂)/(1−β₁); m = 0.1g, √v = √0.001·|g|; so Δ = lr·g/(|g| + ε/√0.001)
    for i in 0..<3 {
        let expected = Double([1, -2, 0.5][i]) - 1e-3 * Double(g[i]) / (Double(abs(g[i])) + 1e-7 / 0.001.squareRoot())
        #expect(abs(Double(p[i]) - expected) < 1e-6)
    }
    // 1 − β₂ is rounded to Float32 (as in Keras), so v is 0.009 to about 1e-4 relative
    #expect(abs(m[0] - 0.01) < 1e-8 && abs(v[1] - 0.009) < 1e-6)
}
