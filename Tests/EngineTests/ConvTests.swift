import Engine
import ReportModel
import Testing

struct ConvCase: CustomTestStringConvertible, Sendable {
    let h, w, c, filters, kernel, stride: Int
    let padding: Padding
    var batch = 3
    var testDescription: String { "\(h)x\(w)x\(c) → \(filters) k\(kernel) s\(stride) \(padding.rawValue) ×\(batch)" }
}

/// Odd shapes, every kernel/stride/padding combination in use, and one case large enough that
/// im2col runs in several chunks (its column buffer exceeds the per-chunk budget).
let convCases: [ConvCase] = [
    ConvCase(h: 5, w: 7, c: 3, filters: 4, kernel: 3, stride: 1, padding: .same),
    ConvCase(h: 5, w: 7, c: 3, filters: 4, kernel: 3, stride: 2, padding: .same),
    ConvCase(h: 5, w: 7, c: 3, filters: 4, kernel: 3, stride: 2, padding: .valid),
    ConvCase(h: 6, w: 5, c: 2, filters: 3, kernel: 5, stride: 1, padding: .same),
    ConvCase(h: 7, w: 7, c: 1, filters: 5, kernel: 2, stride: 2, padding: .same),
    ConvCase(h: 8, w: 9, c: 2, filters: 3, kernel: 3, stride: 3, padding: .same),
    ConvCase(h: 4, w: 6, c: 5, filters: 2, kernel: 1, stride: 1, padding: .same),
    ConvCase(h: 5, w: 5, c: 3, filters: 2, kernel: 1, stride: 2, padding: .valid),
    ConvCase(h: 64, w: 64, c: 16, filters: 4, kernel: 3, stride: 1, padding: .same, batch: 3),
    // The presets' shapes: oneDNN's primitives at the sizes training uses; the image layers
    // (32 → 1 and 32 → 3 channels, stride 1) take the narrow transposed kernel forward.
    ConvCase(h: 14, w: 14, c: 32, filters: 64, kernel: 3, stride: 2, padding: .same, batch: 2),
    ConvCase(h: 7, w: 7, c: 64, filters: 128, kernel: 3, stride: 1, padding: .same, batch: 2),
    ConvCase(h: 28, w: 28, c: 32, filters: 1, kernel: 3, stride: 1, padding: .same, batch: 2),
    ConvCase(h: 9, w: 6, c: 20, filters: 3, kernel: 5, stride: 1, padding: .valid, batch: 2),
    ConvCase(h: 5, w: 4, c: 17, filters: 2, kernel: 3, stride: 1, padding: .same, batch: 2),
    // Stride-1 transposed convolutions with more filters run as flipped ordinary convolutions.
    ConvCase(h: 6, w: 5, c: 3, filters: 6, kernel: 3, stride: 1, padding: .valid, batch: 2),
    ConvCase(h: 5, w: 6, c: 4, filters: 5, kernel: 2, stride: 1, padding: .same, batch: 2),
    ConvCase(h: 28, w: 28, c: 64, filters: 32, kernel: 3, stride: 1, padding: .same, batch: 2),
]

/// Every case on every path: oneDNN (with its fallbacks) and the engine's own im2col + GEMM.
let convPaths: [(ConvCase, ConvAlgorithm)] = convCases.flatMap { c in ConvAlgorithm.allCases.map { (c, $0) } }

@Test("Conv2D equals the direct loops", arguments: convPaths)
func conv2dMatchesReference(_ k: ConvCase, _ path: ConvAlgorithm) {
    var rng = SeededGenerator(seed: 11)
    let layer = Conv2D(inputShape: [k.h, k.w, k.c], filters: k.filters, kernel: k.kernel, stride: k.stride, padding: k.padding)
    let harness = LayerHarness(layer: layer, batch: k.batch, convolutions: path)
    let x = randomArray(k.batch * layer.inputCount, &rng)
    let params = harness.randomParams(&rng)
    let nW = k.kernel * k.kernel * k.c * k.filters
    let w = Array(params[..<nW]), b = Array(params[nW...])
    let expected = ConvReference.conv2dForward(x: x, batch: k.batch, geometry: layer.geometry, w: w, b: b, filters: k.filters)
    #expect(maxRelativeError(harness.forward(x, params), expected) < 1e-5)

    let dy = randomArray(k.batch * layer.outputCount, &rng)
    let (dx, dParams) = harness.gradients(x, params, dy: dy)
    let ref = ConvReference.conv2dBackward(x: x, dy: dy, batch: k.batch, geometry: layer.geometry, w: w, filters: k.filters)
    #expect(maxRelativeError(dx, ref.dx) < 1e-5)
    #expect(maxRelativeError(Array(dParams[..<nW]), ref.dw) < 1e-5)
    #expect(maxRelativeError(Array(dParams[nW...]), ref.db) < 1e-5)
}

@Test("Conv2DTranspose equals the direct loops", arguments: convPaths)
func transposedMatchesReference(_ k: ConvCase, _ path: ConvAlgorithm) {
    var rng = SeededGenerator(seed: 12)
    let layer = Conv2DTranspose(inputShape: [k.h, k.w, k.c], filters: k.filters, kernel: k.kernel, stride: k.stride, padding: k.padding)
    let harness = LayerHarness(layer: layer, batch: k.batch, convolutions: path)
    let x = randomArray(k.batch * layer.inputCount, &rng)
    let params = harness.randomParams(&rng)
    let nW = k.kernel * k.kernel * k.c * k.filters
    let w = Array(params[..<nW]), b = Array(params[nW...])
    let expected = ConvReference.transposedForward(x: x, batch: k.batch, geometry: layer.geometry, w: w, b: b, inputChannels: k.c)
    #expect(maxRelativeError(harness.forward(x, params), expected) < 1e-5)

    let dy = randomArray(k.batch * layer.outputCount, &rng)
    let (dx, dParams) = harness.gradients(x, params, dy: dy)
    let ref = ConvReference.transposedBackward(x: x, dy: dy, batch: k.batch, geometry: layer.geometry, w: w, inputChannels: k.c)
    #expect(maxRelativeError(dx, ref.dx) < 1e-5)
    #expect(maxRelativeError(Array(dParams[..<nW]), ref.dw) < 1e-5)
    #expect(maxRelativeError(Array(dParams[nW...]), ref.db) < 1e-5)
}

/// The oneDNN path is really oneDNN: each preset convolution gets jit primitives. (The geometry
/// oneDNN cannot express, negative padding, falls back to im2col: the 1×1 stride-2 `valid` case.)
@Test func presetConvolutionsRunOnOneDNN() throws {
    let model = try Model.preset("baseline", input: [28, 28, 1], latent: 2)
    let timings = model.profileLayers(batch: 2, repeats: 1)
    for t in timings where t.typeName.hasPrefix("Conv2D") {
        #expect(t.implementation.contains("conv fwd") && t.implementation.contains("conv bwd-weights"), "\(t.index): \(t.implementation)")
        #expect(t.implementation.contains("jit") || t.implementation.contains("brg"), "\(t.index): \(t.implementation)")
    }
}

@Test func theLargeCaseReallyRunsInSeveralChunks() {
    let layer = Conv2D(inputShape: [64, 64, 16], filters: 4, kernel: 3)
    let perImage = layer.geometry.rowsPerImage * layer.geometry.rowLength
    #expect(layer.scratchCount < 3 * perImage)
}

struct SizeRule: Sendable, CustomTestStringConvertible {
    let input, kernel, stride: Int
    let padding: Padding
    let conv, transposed: Int
    var testDescription: String { "in \(input) k\(kernel) s\(stride) \(padding.rawValue)" }
}

/// Output sizes as Keras computes them (conv_output_length / deconv_output_length).
@Test("Keras output sizes", arguments: [
    SizeRule(input: 28, kernel: 3, stride: 2, padding: .same, conv: 14, transposed: 56),
    SizeRule(input: 14, kernel: 3, stride: 2, padding: .same, conv: 7, transposed: 28),
    SizeRule(input: 7, kernel: 3, stride: 2, padding: .same, conv: 4, transposed: 14),
    SizeRule(input: 7, kernel: 3, stride: 1, padding: .same, conv: 7, transposed: 7),
    SizeRule(input: 28, kernel: 3, stride: 2, padding: .valid, conv: 13, transposed: 57),
    SizeRule(input: 7, kernel: 3, stride: 2, padding: .valid, conv: 3, transposed: 15),
    SizeRule(input: 7, kernel: 3, stride: 1, padding: .valid, conv: 5, transposed: 9),
    SizeRule(input: 28, kernel: 5, stride: 1, padding: .valid, conv: 24, transposed: 32),
    SizeRule(input: 7, kernel: 2, stride: 2, padding: .same, conv: 4, transposed: 14),
    SizeRule(input: 8, kernel: 2, stride: 2, padding: .valid, conv: 4, transposed: 16),
    SizeRule(input: 32, kernel: 3, stride: 2, padding: .same, conv: 16, transposed: 64),
    SizeRule(input: 9, kernel: 1, stride: 3, padding: .valid, conv: 3, transposed: 27),
])
func kerasOutputSizes(_ r: SizeRule) {
    let conv = Conv2D(inputShape: [r.input, r.input + 1, 1], filters: 1, kernel: r.kernel, stride: r.stride, padding: r.padding)
    #expect(conv.outputShape[0] == r.conv)
    let t = Conv2DTranspose(inputShape: [r.input, r.input, 1], filters: 1, kernel: r.kernel, stride: r.stride, padding: r.padding)
    #expect(t.outputShape == [r.transposed, r.transposed, 1])
}

/// TensorFlow puts the odd padding pixel bottom/right. With a kernel that is 1 only at tap (0, 0),
/// a stride-2 `same` conv on a 4×4 image reads y[i, j] = x[2i, 2j] (PyTorch's padding=1 would
/// read x[2i − 1, 2j − 1] and give 0 at the top-left).
@Test func conv2dPadsBottomRightAtStride2() {
    let layer = Conv2D(inputShape: [4, 4, 1], filters: 1, kernel: 3, stride: 2)
    #expect(layer.geometry.padTop == 0 && layer.geometry.padLeft == 0)
    var params = [Float](repeating: 0, count: 10)
    params[0] = 1
    let x = (0..<16).map(Float.init)
    #expect(LayerHarness(layer: layer, batch: 1).forward(x, params) == [0, 2, 8, 10])
}

/// The transposed conv is the adjoint: tap (0, 0) of input pixel (i, j) lands on output (2i, 2j);
/// PyTorch's padding=1, output_padding=1 would put it on (2i − 1, 2j − 1).
@Test func conv2dTransposePlacementMatchesTensorFlow() {
    let layer = Conv2DTranspose(inputShape: [2, 2, 1], filters: 1, kernel: 3, stride: 2)
    var params = [Float](repeating: 0, count: 10)
    params[0] = 1
    let y = LayerHarness(layer: layer, batch: 1).forward([1, 2, 3, 4], params)
    #expect(y == [1, 0, 2, 0,
                  0, 0, 0, 0,
                  3, 0, 4, 0,
                  0, 0, 0, 0])
    // and the centre tap (1, 1) lands one pixel further down/right
    params[0] = 0; params[4] = 1
    #expect(LayerHarness(layer: layer, batch: 1).forward([1, 2, 3, 4], params)
            == [0, 0, 0, 0,
                0, 1, 0, 2,
                0, 0, 0, 0,
                0, 3, 0, 4])
}

/// ⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩ for the same kernel: the two layers share one index map.
@Test func transposedIsTheAdjointOfConv() {
    var rng = SeededGenerator(seed: 5)
    let conv = Conv2D(inputShape: [8, 8, 3], filters: 2, kernel: 3, stride: 2)
    let t = Conv2DTranspose(inputShape: [4, 4, 2], filters: 3, kernel: 3, stride: 2)
    // Conv2D kernel (K,K,C,OC) and Conv2DTranspose kernel (K,K,OC',C') with OC' = C, C' = OC: same layout.
    let kernel = randomArray(3 * 3 * 3 * 2, &rng)
    let x = randomArray(8 * 8 * 3, &rng), y = randomArray(4 * 4 * 2, &rng)
    let cx = LayerHarness(layer: conv, batch: 1).forward(x, kernel + [0, 0])
    let ty = LayerHarness(layer: t, batch: 1).forward(y, kernel + [0, 0, 0])
    let lhs = zip(cx, y).reduce(0.0) { $0 + Double($1.0 * $1.1) }
    let rhs = zip(x, ty).reduce(0.0) { $0 + Double($1.0 * $1.1) }
    #expect(abs(lhs - rhs) < 1e-4 * max(1, abs(lhs)))
}
