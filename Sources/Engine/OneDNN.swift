import CDNNL

/// oneDNN's convolution primitives behind Swift values (its GEMM door is `BLAS`). Every C handle is created, used and
/// destroyed in this file; layers see only `ConvKernels` and Float pointers.
///
/// One convolution in the engine's terms relates a "big" image (N, bigH, bigW, bigC) and a
/// "small" grid (N, smallH, smallW, smallC) through `ConvGeometry`, with an (KH, KW, bigC, smallC)
/// kernel (HWIO, as Keras stores both Conv2D's and Conv2DTranspose's kernels). Three operations
/// cover both layer kinds:
///   gather:  small = Σ big ⋆ w (+ bias, activation)   — oneDNN convolution forward
///   scatter: big   = Σ small ⋆ wᵀ                      — oneDNN convolution backward-data
///   weightGradient: dW += big ⋆ small                   — oneDNN convolution backward-weights
/// Conv2D's forward is a gather and its dx a scatter; Conv2DTranspose's forward is a scatter and
/// its dx a gather; both take dW from weightGradient with their own big and small.
public enum OneDNN {
    /// "2.6.3": the library actually loaded.
    public static var version: String {
        let v = dnnl_version().pointee
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// The widest instruction set oneDNN's kernels use here.
    public static var isaName: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx512_core_amx: "AVX-512 + AMX"
        case dnnl_cpu_isa_avx512_core_bf16: "AVX-512 (core, VNNI, BF16)"
        case dnnl_cpu_isa_avx512_core_vnni: "AVX-512 (core, VNNI)"
        case dnnl_cpu_isa_avx512_core: "AVX-512 (core)"
        case dnnl_cpu_isa_avx2_vnni: "AVX2 + VNNI"
        case dnnl_cpu_isa_avx2: "AVX2"
        case dnnl_cpu_isa_avx: "AVX"
        case dnnl_cpu_isa_sse41: "SSE4.1"
        default: "unknown"
        }
    }

    /// The CPU engine, created once; engines are safe to share between threads.
    nonisolated(unsafe) static let engine: dnnl_engine_t = {
        var e: dnnl_engine_t?
        check(dnnl_engine_create(&e, dnnl_cpu, 0), "engine")
        return e!
    }()

    /// Primitive attributes with one post-op (an eltwise activation, or a sum for accumulation),
    /// handed to `body` and destroyed after it.
    static func withAttributes<R>(postOp: ((dnnl_post_ops_t?) -> dnnl_status_t)?, _ body: (dnnl_primitive_attr_t?) -> R) -> R {
        var attr: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attr), "attribute")
        defer { dnnl_primitive_attr_destroy(attr) }
        if let postOp {
            var ops: dnnl_post_ops_t?
            check(dnnl_post_ops_create(&ops), "post-ops")
            defer { dnnl_post_ops_destroy(ops) }
            check(postOp(ops), "post-op")
            check(dnnl_primitive_attr_set_post_ops(attr, ops), "post-ops")
        }
        return body(attr)
    }

    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
        precondition(status == dnnl_success, "oneDNN \(what()) failed with status \(status.rawValue)")
    }

    /// A dense f32 descriptor; dims in oneDNN's logical order (N, C, H, W or O, I, H, W).
    static func descriptor(_ dims: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let d = dims.map { dnnl_dim_t($0) }
        check(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, dnnl_f32, tag), "memory descriptor \(dims)")
        return md
    }
}

/// A primitive and its descriptor; destroyed with the value.
private final class Primitive {
    let pd: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t

    /// nil when oneDNN has no implementation for this descriptor (the caller falls back).
    init?(_ opDesc: UnsafeRawPointer, attr: dnnl_primitive_attr_t? = nil, hint: Primitive? = nil) {
        var pd: dnnl_primitive_desc_t?
        guard dnnl_primitive_desc_create(&pd, opDesc, attr, OneDNN.engine, hint?.pd) == dnnl_success, let pd else { return nil }
        var p: dnnl_primitive_t?
        guard dnnl_primitive_create(&p, pd) == dnnl_success, let p else { dnnl_primitive_desc_destroy(pd); return nil }
        self.pd = pd
        primitive = p
    }

    /// A reorder between two layouts, optionally accumulating into the destination.
    init(reorder from: dnnl_memory_desc_t, to: dnnl_memory_desc_t, accumulate: Bool = false) {
        var from = from, to = to, pd: dnnl_primitive_desc_t?
        OneDNN.withAttributes(postOp: accumulate ? { dnnl_post_ops_append_sum($0, 1) } : nil) { attr in
            OneDNN.check(dnnl_reorder_primitive_desc_create(&pd, &from, OneDNN.engine, &to, OneDNN.engine, attr), "reorder")
        }
        var p: dnnl_primitive_t?
        OneDNN.check(dnnl_primitive_create(&p, pd), "reorder primitive")
        self.pd = pd!
        primitive = p!
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(pd)
    }

    func descriptor(_ query: dnnl_query_t) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(pd, query, 0).pointee
    }

    /// The implementation oneDNN chose, e.g. "jit:avx512_core".
    var implementation: String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else { return "?" }
        return String(cString: name)
    }

    func run(_ stream: dnnl_stream_t, _ args: [(Int32, Memory)]) {
        let list = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
        OneDNN.check(dnnl_primitive_execute(primitive, stream, Int32(list.count), list), "execute")
    }
}

/// A memory object whose data pointer is set anew before each use (the engine owns the buffers).
private final class Memory {
    let handle: dnnl_memory_t
    let desc: dnnl_memory_desc_t

    init(_ desc: dnnl_memory_desc_t) {
        var md = desc, m: dnnl_memory_t?
        OneDNN.check(dnnl_memory_create(&m, &md, OneDNN.engine, nil), "memory")
        handle = m!
        self.desc = desc
    }
    deinit { dnnl_memory_destroy(handle) }

    var floats: Int { dnnl_memory_desc_get_size([desc]) / MemoryLayout<Float>.size }

    @discardableResult
    func bind(_ p: UnsafeRawPointer) -> Memory {
        OneDNN.check(dnnl_memory_set_data_handle(handle, UnsafeMutableRawPointer(mutating: p)), "data handle")
        return self
    }
}

/// Floats owned by a primitive (reordered weights, a blocked weight gradient).
private final class Buffer {
    let pointer: UnsafeMutablePointer<Float>
    init(_ count: Int) {
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }
    deinit { pointer.deallocate() }
}

/// Weights held in oneDNN's preferred layout for one primitive: reordered from HWIO on each use.
private final class BlockedWeights {
    let plain: Memory, blocked: Memory, reorder: Primitive?, buffer: Buffer?

    init(plain: dnnl_memory_desc_t, preferred: dnnl_memory_desc_t) {
        self.plain = Memory(plain)
        var a = plain, b = preferred
        let same = dnnl_memory_desc_equal(&a, &b) != 0
        blocked = same ? self.plain : Memory(preferred)
        reorder = same ? nil : Primitive(reorder: plain, to: preferred)
        buffer = same ? nil : Buffer(blocked.floats)
        if let buffer { blocked.bind(buffer.pointer) }
    }

    /// The memory to pass as the primitive's weights, holding `w`.
    func load(_ w: UnsafePointer<Float>, _ stream: dnnl_stream_t) -> Memory {
        plain.bind(w)
        reorder?.run(stream, [(DNNL_ARG_FROM, plain), (DNNL_ARG_TO, blocked)])
        return blocked
    }
}

/// What a gather fuses after the convolution.
private struct GatherFusion: Hashable {
    var bias: Bool
    var activation: Activation
}

private final class Gather {
    let primitive: Primitive, weights: BlockedWeights, src: Memory, dst: Memory, bias: Memory?
    init(_ p: Primitive, plainWeights: dnnl_memory_desc_t, bias: dnnl_memory_desc_t?) {
        primitive = p
        weights = BlockedWeights(plain: plainWeights, preferred: p.descriptor(dnnl_query_weights_md))
        src = Memory(p.descriptor(dnnl_query_src_md))
        dst = Memory(p.descriptor(dnnl_query_dst_md))
        self.bias = bias.map(Memory.init)
    }
}

private final class Scatter {
    let primitive: Primitive, weights: BlockedWeights, diffDst: Memory, diffSrc: Memory
    init(_ p: Primitive, plainWeights: dnnl_memory_desc_t) {
        primitive = p
        weights = BlockedWeights(plain: plainWeights, preferred: p.descriptor(dnnl_query_weights_md))
        diffDst = Memory(p.descriptor(dnnl_query_diff_dst_md))
        diffSrc = Memory(p.descriptor(dnnl_query_diff_src_md))
    }
}

private final class WeightGradient {
    let primitive: Primitive, accumulate: Primitive, src: Memory, diffDst: Memory, blocked: Memory, plain: Memory
    let buffer: Buffer
    init(_ p: Primitive, plainWeights: dnnl_memory_desc_t) {
        primitive = p
        blocked = Memory(p.descriptor(dnnl_query_diff_weights_md))
        buffer = Buffer(blocked.floats)
        blocked.bind(buffer.pointer)
        accumulate = Primitive(reorder: blocked.desc, to: plainWeights, accumulate: true)
        src = Memory(p.descriptor(dnnl_query_src_md))
        diffDst = Memory(p.descriptor(dnnl_query_diff_dst_md))
        plain = Memory(plainWeights)
    }
}

/// The primitives of one convolution at one batch size, created on first use in the thread
/// that uses them (oneDNN fixes its thread split when a primitive is created).
final class ConvKernels {
    let geometry: ConvGeometry
    let smallChannels: Int
    let batch: Int
    private let stream: dnnl_stream_t
    private var big, small, weightsAny, plainWeights, biasDesc: dnnl_memory_desc_t
    private let strides, padL, padR: [dnnl_dim_t]
    private lazy var hint: Primitive? = makeForward(GatherFusion(bias: false, activation: .linear))
    private var gathers: [GatherFusion: Gather] = [:]
    private var unsupported: Set<GatherFusion> = []
    private lazy var scatterKernel: Scatter? = makeScatter()
    private lazy var gradientKernel: WeightGradient? = makeWeightGradient()

    /// nil when oneDNN cannot express this geometry (negative padding: a `valid` transposed
    /// convolution whose kernel is smaller than its stride); the caller uses its im2col path.
    init?(geometry g: ConvGeometry, smallChannels: Int, batch: Int, stream: dnnl_stream_t) {
        let padB = (g.smallH - 1) * g.stride + g.kernel - g.bigH - g.padTop
        let padRight = (g.smallW - 1) * g.stride + g.kernel - g.bigW - g.padLeft
        guard padB >= 0, padRight >= 0, g.padTop >= 0, g.padLeft >= 0 else { return nil }
        geometry = g
        self.smallChannels = smallChannels
        self.batch = batch
        self.stream = stream
        big = OneDNN.descriptor([batch, g.channels, g.bigH, g.bigW], dnnl_nhwc)
        small = OneDNN.descriptor([batch, smallChannels, g.smallH, g.smallW], dnnl_nhwc)
        plainWeights = OneDNN.descriptor([smallChannels, g.channels, g.kernel, g.kernel], dnnl_hwio)
        weightsAny = OneDNN.descriptor([smallChannels, g.channels, g.kernel, g.kernel], dnnl_format_tag_any)
        biasDesc = OneDNN.descriptor([smallChannels], dnnl_x)
        strides = [dnnl_dim_t(g.stride), dnnl_dim_t(g.stride)]
        padL = [dnnl_dim_t(g.padTop), dnnl_dim_t(g.padLeft)]
        padR = [dnnl_dim_t(padB), dnnl_dim_t(padRight)]
    }

    private func makeForward(_ fusion: GatherFusion) -> Primitive? {
        var d = dnnl_convolution_desc_t()
        let status = fusion.bias
            ? dnnl_convolution_forward_desc_init(&d, dnnl_forward_training, dnnl_convolution_direct, &big, &weightsAny,
                                                 &biasDesc, &small, strides, padL, padR)
            : dnnl_convolution_forward_desc_init(&d, dnnl_forward_training, dnnl_convolution_direct, &big, &weightsAny,
                                                 nil, &small, strides, padL, padR)
        guard status == dnnl_success else { return nil }
        let eltwise = fusion.activation.dnnlEltwise.map { alg, alpha in { (ops: dnnl_post_ops_t?) in dnnl_post_ops_append_eltwise(ops, 1, alg, alpha, 0) } }
        return OneDNN.withAttributes(postOp: eltwise) { Primitive(&d, attr: $0) }
    }

    private func makeScatter() -> Scatter? {
        guard let hint else { return nil }
        var d = dnnl_convolution_desc_t()
        guard dnnl_convolution_backward_data_desc_init(&d, dnnl_convolution_direct, &big, &weightsAny, &small,
                                                       strides, padL, padR) == dnnl_success,
              let p = Primitive(&d, hint: hint) else { return nil }
        return Scatter(p, plainWeights: plainWeights)
    }

    private func makeWeightGradient() -> WeightGradient? {
        guard let hint else { return nil }
        var d = dnnl_convolution_desc_t()
        guard dnnl_convolution_backward_weights_desc_init(&d, dnnl_convolution_direct, &big, &weightsAny, nil, &small,
                                                          strides, padL, padR) == dnnl_success,
              let p = Primitive(&d, hint: hint) else { return nil }
        return WeightGradient(p, plainWeights: plainWeights)
    }

    /// Whether a backward pass can run wholly on oneDNN: the weight gradient, and the input
    /// gradient as a scatter (Conv2D) or a linear gather (Conv2DTranspose) where one is wanted.
    /// Asked before either runs, so that a half-done backward never falls back and counts dW twice.
    func canRunBackward(inputGradient: InputGradient?) -> Bool {
        guard gradientKernel != nil else { return false }
        switch inputGradient {
        case nil: return true
        case .scatter: return scatterKernel != nil
        case .gather: return (gathers[GatherFusion(bias: false, activation: .linear)] ?? makeGather(GatherFusion(bias: false, activation: .linear))) != nil
        }
    }

    enum InputGradient { case scatter, gather }

    // big: (batch, bigH, bigW, bigC), w: HWIO, bias: (smallC) → small: (batch, smallH, smallW, smallC)
    /// false when oneDNN has no implementation; nothing was written then.
    func gather(big x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                activation: Activation, small y: UnsafeMutablePointer<Float>) -> Bool {
        let fusion = GatherFusion(bias: bias != nil, activation: activation)
        guard let g = gathers[fusion] ?? makeGather(fusion) else { return false }
        var args = [(DNNL_ARG_SRC, g.src.bind(x)), (DNNL_ARG_WEIGHTS, g.weights.load(w, stream)), (DNNL_ARG_DST, g.dst.bind(y))]
        if let bias, let b = g.bias { args.append((DNNL_ARG_BIAS, b.bind(bias))) }
        g.primitive.run(stream, args)
        return true
    }

    private func makeGather(_ fusion: GatherFusion) -> Gather? {
        guard !unsupported.contains(fusion), let p = makeForward(fusion) else { unsupported.insert(fusion); return nil }
        let g = Gather(p, plainWeights: plainWeights, bias: fusion.bias ? biasDesc : nil)
        gathers[fusion] = g
        return g
    }

    // small: (batch, smallH, smallW, smallC), w: HWIO → big: (batch, bigH, bigW, bigC), overwritten
    func scatter(small dy: UnsafePointer<Float>, weights w: UnsafePointer<Float>, big dx: UnsafeMutablePointer<Float>) -> Bool {
        guard let s = scatterKernel else { return false }
        s.primitive.run(stream, [(DNNL_ARG_DIFF_DST, s.diffDst.bind(dy)), (DNNL_ARG_WEIGHTS, s.weights.load(w, stream)),
                                 (DNNL_ARG_DIFF_SRC, s.diffSrc.bind(dx))])
        return true
    }

    // big: (batch, bigH, bigW, bigC), small: (batch, smallH, smallW, smallC) → dW: HWIO, accumulated
    func weightGradient(big x: UnsafePointer<Float>, small dy: UnsafePointer<Float>, into dW: UnsafeMutablePointer<Float>) -> Bool {
        guard let k = gradientKernel else { return false }
        k.primitive.run(stream, [(DNNL_ARG_SRC, k.src.bind(x)), (DNNL_ARG_DIFF_DST, k.diffDst.bind(dy)),
                                 (DNNL_ARG_DIFF_WEIGHTS, k.blocked)])
        k.accumulate.run(stream, [(DNNL_ARG_FROM, k.blocked), (DNNL_ARG_TO, k.plain.bind(dW))])
        return true
    }

    /// The implementations oneDNN chose, named by the oneDNN primitive (a transposed layer's
    /// forward is "conv bwd-data", its dx "conv fwd"), for the benchmark's per-layer table.
    var implementations: String {
        var parts = gathers.map { "conv fwd\($0.key.bias ? "+bias" : "")\($0.key.activation == .linear ? "" : "+" + $0.key.activation.rawValue) \($0.value.primitive.implementation)" }.sorted()
        if let s = scatterKernel { parts.append("conv bwd-data \(s.primitive.implementation)") }
        if let g = gradientKernel { parts.append("conv bwd-weights \(g.primitive.implementation)") }
        return parts.joined(separator: ", ")
    }
}

/// How convolutions are computed.
public enum ConvAlgorithm: String, Sendable, CaseIterable {
    /// oneDNN's convolution primitives (im2col + GEMM where oneDNN cannot express a geometry).
    case oneDNN
    /// The engine's own im2col/col2im with GEMM: kept as the second fast path the tests compare.
    case im2col
}

/// The oneDNN primitives one thread has created, by convolution and batch size; and the stream
/// they run on. One per workspace: a thread's primitives are never used by another at once.
public final class KernelCache: @unchecked Sendable {
    public let convolutions: ConvAlgorithm
    private var stream: dnnl_stream_t?
    private var convs: [ConvKey: ConvKernels?] = [:]

    private struct ConvKey: Hashable {
        var geometry: ConvGeometry
        var smallChannels: Int
        var batch: Int
    }

    public init(convolutions: ConvAlgorithm = .oneDNN) {
        self.convolutions = convolutions
    }

    deinit {
        convs.removeAll()
        if let stream { dnnl_stream_destroy(stream) }
    }

    /// oneDNN's kernels for this convolution, or nil where the im2col path is to be used.
    func conv(_ geometry: ConvGeometry, smallChannels: Int, batch: Int) -> ConvKernels? {
        guard convolutions == .oneDNN else { return nil }
        let key = ConvKey(geometry: geometry, smallChannels: smallChannels, batch: batch)
        if let found = convs[key] { return found }
        if stream == nil {
            var s: dnnl_stream_t?
            OneDNN.check(dnnl_stream_create(&s, OneDNN.engine, UInt32(dnnl_stream_default_flags.rawValue)), "stream")
            stream = s
        }
        let made = ConvKernels(geometry: geometry, smallChannels: smallChannels, batch: batch, stream: stream!)
        convs[key] = made
        return made
    }

    /// Each convolution's chosen implementations, for the benchmark.
    public var implementations: [String] {
        convs.values.compactMap { $0 }.map { k in
            let g = k.geometry
            return "\(g.bigH)×\(g.bigW)×\(g.channels) ↔ \(g.smallH)×\(g.smallW)×\(k.smallChannels) k\(g.kernel) s\(g.stride) ×\(k.batch): \(k.implementations)"
        }.sorted()
    }
}

extension Activation {
    /// The oneDNN eltwise post-op computing this activation, if any (linear needs none).
    var dnnlEltwise: (dnnl_alg_kind_t, Float)? {
        switch self {
        case .linear: nil
        case .relu: (dnnl_eltwise_relu, 0)
        case .leakyRelu: (dnnl_eltwise_relu, Activation.leakySlope)
        case .sigmoid: (dnnl_eltwise_logistic, 0)
        case .tanh: (dnnl_eltwise_tanh, 0)
        }
    }
}
