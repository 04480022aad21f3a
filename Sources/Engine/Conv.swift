public enum Padding: String, Codable, Hashable, Sendable, CaseIterable { case same, valid }

/// The index map shared by Conv2D and Conv2DTranspose: a "big" image (a conv's input, a transposed
/// conv's output) and a "small" grid (a conv's output, a transposed conv's input) are related by
///   big = small · stride + tap − pad
/// A conv gathers big → small (im2col, then GEMM); a transposed conv is its adjoint and scatters
/// small → big (GEMM, then col2im). Using one map for both is what makes them exact adjoints.
public struct ConvGeometry: Hashable, Sendable {
    public var bigH, bigW, channels: Int  // channels of the big image (one im2col tap = `channels` floats)
    public var smallH, smallW: Int
    public var kernel, stride: Int
    public var padTop, padLeft: Int

    /// Floats per im2col row: one row per small position.
    public var rowLength: Int { kernel * kernel * channels }
    public var rowsPerImage: Int { smallH * smallW }
    public var bigCount: Int { bigH * bigW * channels }

    /// Keras/TensorFlow Conv2D: `same` → out = ⌈in/s⌉ with total padding max((out−1)s + k − in, 0)
    /// split top/left = ⌊total/2⌋ (so the extra row/column at stride 2 goes bottom/right);
    /// `valid` → out = ⌊(in − k)/s⌋ + 1, no padding.
    public static func conv(inH: Int, inW: Int, channels: Int, kernel: Int, stride: Int, padding: Padding) -> ConvGeometry {
        func axis(_ n: Int) -> (out: Int, pad: Int) {
            switch padding {
            case .same:
                let out = (n + stride - 1) / stride
                return (out, max((out - 1) * stride + kernel - n, 0) / 2)
            case .valid:
                return (n >= kernel ? (n - kernel) / stride + 1 : 0, 0)
            }
        }
        let (oh, pt) = axis(inH), (ow, pl) = axis(inW)
        return ConvGeometry(bigH: inH, bigW: inW, channels: channels, smallH: oh, smallW: ow,
                            kernel: kernel, stride: stride, padTop: pt, padLeft: pl)
    }

    /// Keras/TensorFlow Conv2DTranspose: the adjoint of the Conv2D whose input has the transposed
    /// conv's output size. `same` → out = in·s, padding ⌊max(k − s, 0)/2⌋ top/left;
    /// `valid` → out = in·s + max(k − s, 0), no padding.
    public static func transposed(inH: Int, inW: Int, filters: Int, kernel: Int, stride: Int, padding: Padding) -> ConvGeometry {
        func axis(_ n: Int) -> (out: Int, pad: Int) {
            switch padding {
            case .same: return (n * stride, max(kernel - stride, 0) / 2)
            case .valid: return (n * stride + max(kernel - stride, 0), 0)
            }
        }
        let (oh, pt) = axis(inH), (ow, pl) = axis(inW)
        return ConvGeometry(bigH: oh, bigW: ow, channels: filters, smallH: inH, smallW: inW,
                            kernel: kernel, stride: stride, padTop: pt, padLeft: pl)
    }

    /// A 1×1, stride-1, unpadded map is the identity on positions: im2col would be a plain copy.
    var isPointwise: Bool { kernel == 1 && stride == 1 && padTop == 0 && padLeft == 0 && bigH == smallH && bigW == smallW }

    // big: (bigH, bigW, C) one image → cols: (smallH·smallW, k·k·C)
    public func im2col(_ big: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>) {
        let c = channels, k = kernel, kc = k * c
        var row = cols
        for oy in 0..<smallH {
            for ox in 0..<smallW {
                var dst = row
                let ix0 = ox * stride - padLeft
                let inside = ix0 >= 0 && ix0 + k <= bigW
                for ky in 0..<k {
                    let iy = oy * stride + ky - padTop
                    if iy < 0 || iy >= bigH {
                        dst.update(repeating: 0, count: kc)
                    } else if inside {
                        // The k taps of an interior kernel row are k adjacent pixels: one copy.
                        dst.update(from: big + (iy * bigW + ix0) * c, count: kc)
                    } else {
                        for kx in 0..<k {
                            let ix = ix0 + kx
                            if ix < 0 || ix >= bigW {
                                (dst + kx * c).update(repeating: 0, count: c)
                            } else {
                                (dst + kx * c).update(from: big + (iy * bigW + ix) * c, count: c)
                            }
                        }
                    }
                    dst += kc
                }
                row += rowLength
            }
        }
    }

    // cols: (smallH·smallW, k·k·C) → big: (bigH, bigW, C) one image, overwritten:
    // big[p] = bias + Σ of the column entries that map to p, then the activation.
    // Gathering per output pixel (rather than scattering each column entry) writes every output
    // once: no zeroing pass, no read-modify-write, and bias and activation ride along for free.
    public func col2im(_ cols: UnsafePointer<Float>, _ big: UnsafeMutablePointer<Float>,
                       bias: UnsafePointer<Float>? = nil, activation: Activation = .linear) {
        let c = channels, k = kernel, perAxis = (k + stride - 1) / stride
        // A column entry's offset splits into a row part (sy·smallW·rowLength + ky·k·C) and a
        // column part (sx·rowLength + kx·C); tabulate both per big coordinate, ⌈k/s⌉ at most each.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: (bigH + bigW) * (perAxis + 1) + c) { table in
            let t = table.baseAddress!
            func tabulate(_ at: UnsafeMutablePointer<Int>, size: Int, pad: Int, smallCount: Int, scale: Int, tapScale: Int) {
                for b in 0..<size {
                    let entry = at + b * (perAxis + 1)
                    var n = 0
                    for tap in 0..<k {
                        let u = b + pad - tap
                        if u >= 0, u % stride == 0, u / stride < smallCount { n += 1; entry[n] = (u / stride) * scale + tap * tapScale }
                    }
                    entry[0] = n
                }
            }
            let rowsTable = t, colsTable = t + bigH * (perAxis + 1)
            tabulate(rowsTable, size: bigH, pad: padTop, smallCount: smallH, scale: smallW * rowLength, tapScale: k * c)
            tabulate(colsTable, size: bigW, pad: padLeft, smallCount: smallW, scale: rowLength, tapScale: c)
            let zeros = UnsafeMutableRawPointer(colsTable + bigW * (perAxis + 1)).bindMemory(to: Float.self, capacity: c)
            zeros.update(repeating: 0, count: c)
            let b = bias ?? UnsafePointer(zeros)
            for by in 0..<bigH {
                let ys = rowsTable + by * (perAxis + 1)
                for bx in 0..<bigW {
                    let xs = colsTable + bx * (perAxis + 1)
                    let dst = big + (by * bigW + bx) * c
                    var first = true
                    for i in 0..<ys[0] {
                        for j in 0..<xs[0] {
                            let src = cols + ys[1 + i] + xs[1 + j]
                            if first {
                                for q in 0..<c { dst[q] = b[q] + src[q] }
                                first = false
                            } else {
                                for q in 0..<c { dst[q] += src[q] }
                            }
                        }
                    }
                    if first { for q in 0..<c { dst[q] = b[q] } }  // a pixel no tap reaches (valid, k < s)
                    activation.apply(dst, count: c)
                }
            }
        }
    }

    /// Images per im2col chunk: the column buffer is kept near L2 size so the GEMM that reads it
    /// (and col2im that writes it) stay in cache; at least one image.
    var imagesPerChunk: Int { max(1, ConvGeometry.scratchBudget / (rowsPerImage * rowLength)) }
    var scratchCount: Int { isPointwise ? 0 : imagesPerChunk * rowsPerImage * rowLength }

    /// Floats of im2col scratch aimed for per chunk (1 MiB, half an L2 here).
    static let scratchBudget = 1 << 18
}

/// Keras Conv2D with a fused activation. x: (N,H,W,C), kernel: (KH,KW,C,OC), bias: (OC), y: (N,OH,OW,OC)
public struct Conv2D: Layer {
    public let geometry: ConvGeometry
    public let filters: Int
    public let activation: Activation

    public init(inputShape: [Int], filters: Int, kernel: Int, stride: Int = 1, padding: Padding = .same, activation: Activation = .linear) {
        precondition(inputShape.count == 3, "Conv2D needs an (H, W, C) input")
        geometry = .conv(inH: inputShape[0], inW: inputShape[1], channels: inputShape[2], kernel: kernel, stride: stride, padding: padding)
        self.filters = filters
        self.activation = activation
    }

    public var typeName: String { "Conv2D" }
    public var inputShape: [Int] { [geometry.bigH, geometry.bigW, geometry.channels] }
    public var outputShape: [Int] { [geometry.smallH, geometry.smallW, filters] }
    public var parameters: [ParameterTensor] {
        let k = geometry.kernel, c = geometry.channels
        return [ParameterTensor(name: "kernel", shape: [k, k, c, filters], offset: 0),
                ParameterTensor(name: "bias", shape: [filters], offset: k * k * c * filters)]
    }
    public var scratchCount: Int { geometry.scratchCount }
    public var forwardMACs: Int { geometry.rowsPerImage * geometry.rowLength * filters }

    public func initialize(_ params: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {
        let rf = geometry.kernel * geometry.kernel, n = rf * geometry.channels * filters
        glorotUniform(params, count: n, fanIn: rf * geometry.channels, fanOut: rf * filters, rng: &rng)
        (params + n).update(repeating: 0, count: filters)
    }

    public func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int,
                        params: UnsafePointer<Float>, memory: LayerMemory) {
        let g = geometry, rows = g.rowsPerImage, kLen = g.rowLength
        let w = params, b = params + kLen * filters
        if let k = memory.kernels.conv(g, smallChannels: filters, batch: batch),
           k.gather(big: x, weights: w, bias: b, activation: activation, small: y) { return }
        var start = 0
        while start < batch {
            let n = g.isPointwise ? batch - start : min(g.imagesPerChunk, batch - start)
            let a: UnsafePointer<Float>
            if g.isPointwise {
                a = x + start * g.bigCount
            } else {
                for i in 0..<n { g.im2col(x + (start + i) * g.bigCount, memory.scratch + i * rows * kLen) }
                a = UnsafePointer(memory.scratch)
            }
            BLAS.sgemm(m: n * rows, n: filters, k: kLen, a: a, lda: kLen, b: w, ldb: filters,
                       beta: 0, c: y + start * rows * filters, ldc: filters)
            start += n
        }
        addBias(y, rows: batch * rows, bias: b, n: filters)
        activation.apply(y, count: batch * rows * filters)
    }

    public func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, batch: Int,
                         params: UnsafePointer<Float>, dParams: UnsafeMutablePointer<Float>, memory: LayerMemory) {
        let g = geometry, rows = g.rowsPerImage, kLen = g.rowLength
        let w = params, dW = dParams, dB = dParams + kLen * filters
        activation.backward(y: y, dy: dy, rows: batch * rows, width: filters, dBias: dB)
        if let k = memory.kernels.conv(g, smallChannels: filters, batch: batch), k.canRunBackward(inputGradient: dx == nil ? nil : .scatter) {
            _ = k.weightGradient(big: x, small: dy, into: dW)
            if let dx { _ = k.scatter(small: dy, weights: w, big: dx) }
            return
        }
        var start = 0
        while start < batch {
            let n = g.isPointwise ? batch - start : min(g.imagesPerChunk, batch - start)
            let dyChunk = dy + start * rows * filters
            if g.isPointwise {
                let xChunk = x + start * g.bigCount
                BLAS.sgemm(transA: true, m: kLen, n: filters, k: n * rows, a: xChunk, lda: kLen,
                           b: dyChunk, ldb: filters, beta: 1, c: dW, ldc: filters)
                if let dx {
                    BLAS.sgemm(transB: true, m: n * rows, n: kLen, k: filters, a: dyChunk, lda: filters,
                               b: w, ldb: filters, beta: 0, c: dx + start * g.bigCount, ldc: kLen)
                }
            } else {
                let cols = memory.scratch
                for i in 0..<n { g.im2col(x + (start + i) * g.bigCount, cols + i * rows * kLen) }
                BLAS.sgemm(transA: true, m: kLen, n: filters, k: n * rows, a: cols, lda: kLen,
                           b: dyChunk, ldb: filters, beta: 1, c: dW, ldc: filters)
                if let dx {
                    BLAS.sgemm(transB: true, m: n * rows, n: kLen, k: filters, a: dyChunk, lda: filters,
                               b: w, ldb: filters, beta: 0, c: cols, ldc: kLen)
                    for i in 0..<n { g.col2im(cols + i * rows * kLen, dx + (start + i) * g.bigCount) }
                }
            }
            start += n
        }
    }
}

/// Keras Conv2DTranspose with a fused activation.
/// x: (N,H,W,C), kernel: (KH,KW,OC,C) as Keras stores it, bias: (OC), y: (N,H·s,W·s,OC) for `same`
public struct Conv2DTranspose: Layer {
    public let geometry: ConvGeometry
    public let inputChannels: Int
    public let activation: Activation

    public init(inputShape: [Int], filters: Int, kernel: Int, stride: Int = 1, padding: Padding = .same, activation: Activation = .linear) {
        precondition(inputShape.count == 3, "Conv2DTranspose needs an (H, W, C) input")
        geometry = .transposed(inH: inputShape[0], inW: inputShape[1], filters: filters, kernel: kernel, stride: stride, padding: padding)
        inputChannels = inputShape[2]
        self.activation = activation
    }

    public var filters: Int { geometry.channels }
    public var typeName: String { "Conv2DTranspose" }
    public var inputShape: [Int] { [geometry.smallH, geometry.smallW, inputChannels] }
    public var outputShape: [Int] { [geometry.bigH, geometry.bigW, filters] }
    public var parameters: [ParameterTensor] {
        let k = geometry.kernel
        return [ParameterTensor(name: "kernel", shape: [k, k, filters, inputChannels], offset: 0),
                ParameterTensor(name: "bias", shape: [filters], offset: k * k * filters * inputChannels)]
    }
    private var narrow: NarrowTransposedConv? {
        NarrowTransposedConv.applies(geometry) ? NarrowTransposedConv(g: geometry, inputChannels: inputChannels) : nil
    }
    public var scratchCount: Int { max(geometry.scratchCount, narrow?.scratchCount ?? 0, flippedConv == nil ? 0 : parameterCount) }

    /// At stride 1 (and more than `NarrowTransposedConv.maxFilters` filters): the ordinary
    /// convolution from this layer's input to its output that computes the same thing, with
    /// padding k − 1 − pad.
    private var flippedConv: ConvGeometry? {
        let g = geometry, k = g.kernel
        guard g.stride == 1, narrow == nil, g.padTop <= k - 1, g.padLeft <= k - 1 else { return nil }
        return ConvGeometry(bigH: g.smallH, bigW: g.smallW, channels: inputChannels, smallH: g.bigH, smallW: g.bigW,
                            kernel: k, stride: 1, padTop: k - 1 - g.padTop, padLeft: k - 1 - g.padLeft)
    }

    // w: (k, k, F, C) → (k, k, C, F) turned by 180°: HWIO of the flipped convolution
    private func flipKernel(_ w: UnsafePointer<Float>, into wf: UnsafeMutablePointer<Float>) {
        let k = geometry.kernel, f = filters, c = inputChannels
        for ky in 0..<k { for kx in 0..<k {
            let src = w + ((k - 1 - ky) * k + (k - 1 - kx)) * f * c, dst = wf + (ky * k + kx) * c * f
            for o in 0..<f { for i in 0..<c { dst[i * f + o] = src[o * c + i] } }
        } }
    }
    public var forwardMACs: Int { geometry.rowsPerImage * geometry.rowLength * inputChannels }

    public func initialize(_ params: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {
        let rf = geometry.kernel * geometry.kernel, n = rf * filters * inputChannels
        // Keras reads fans from the kernel's last two axes: (filters, inputChannels).
        glorotUniform(params, count: n, fanIn: rf * filters, fanOut: rf * inputChannels, rng: &rng)
        (params + n).update(repeating: 0, count: filters)
    }

    public func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int,
                        params: UnsafePointer<Float>, memory: LayerMemory) {
        let g = geometry, rows = g.rowsPerImage, kLen = g.rowLength, cIn = inputChannels
        let w = params, b = params + kLen * cIn
        if memory.kernels.convolutions == .oneDNN, let narrow {
            narrow.flip(w, into: memory.scratch)
            narrow.forward(x: x, flipped: memory.scratch, bias: b, y: y, batch: batch)
            activation.apply(y, count: batch * g.bigCount)
            return
        }
        if let flipped = flippedConv, memory.kernels.convolutions == .oneDNN,
           let k = memory.kernels.conv(flipped, smallChannels: filters, batch: batch) {
            // At stride 1 the transposed convolution is a convolution with the kernel turned by
            // 180° and its in/out axes swapped: oneDNN's forward kernels, bias and activation fused.
            let wf = memory.scratch
            flipKernel(w, into: wf)
            if k.gather(big: x, weights: wf, bias: b, activation: activation, small: y) { return }
        }
        if let k = memory.kernels.conv(g, smallChannels: cIn, batch: batch), k.scatter(small: x, weights: w, big: y) {
            biasAndActivation(y, rows: batch * g.bigH * g.bigW, bias: b, n: filters, activation: activation)
            return
        }
        var start = 0
        while start < batch {
            let n = g.isPointwise ? batch - start : min(g.imagesPerChunk, batch - start)
            let xChunk = x + start * rows * cIn
            if g.isPointwise {
                let yChunk = y + start * g.bigCount
                BLAS.sgemm(transB: true, m: n * rows, n: kLen, k: cIn, a: xChunk, lda: cIn, b: w, ldb: cIn,
                           beta: 0, c: yChunk, ldc: kLen)
                addBias(yChunk, rows: n * rows, bias: b, n: filters)
                activation.apply(yChunk, count: n * g.bigCount)
            } else {
                let cols = memory.scratch
                BLAS.sgemm(transB: true, m: n * rows, n: kLen, k: cIn, a: xChunk, lda: cIn, b: w, ldb: cIn,
                           beta: 0, c: cols, ldc: kLen)
                for i in 0..<n { g.col2im(cols + i * rows * kLen, y + (start + i) * g.bigCount, bias: b, activation: activation) }
            }
            start += n
        }
    }

    public func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, batch: Int,
                         params: UnsafePointer<Float>, dParams: UnsafeMutablePointer<Float>, memory: LayerMemory) {
        let g = geometry, rows = g.rowsPerImage, kLen = g.rowLength, cIn = inputChannels
        let w = params, dW = dParams, dB = dParams + kLen * cIn
        activation.backward(y: y, dy: dy, rows: batch * g.bigH * g.bigW, width: filters, dBias: dB)
        if let k = memory.kernels.conv(g, smallChannels: cIn, batch: batch), k.canRunBackward(inputGradient: dx == nil ? nil : .gather) {
            _ = k.weightGradient(big: dy, small: x, into: dW)
            if let dx { _ = k.gather(big: dy, weights: w, bias: nil, activation: .linear, small: dx) }
            return
        }
        var start = 0
        while start < batch {
            let n = g.isPointwise ? batch - start : min(g.imagesPerChunk, batch - start)
            let xChunk = x + start * rows * cIn
            let cols: UnsafePointer<Float>
            if g.isPointwise {
                cols = UnsafePointer(dy + start * g.bigCount)
            } else {
                for i in 0..<n { g.im2col(dy + (start + i) * g.bigCount, memory.scratch + i * rows * kLen) }
                cols = UnsafePointer(memory.scratch)
            }
            BLAS.sgemm(transA: true, m: kLen, n: cIn, k: n * rows, a: cols, lda: kLen, b: xChunk, ldb: cIn,
                       beta: 1, c: dW, ldc: cIn)
            if let dx {
                BLAS.sgemm(m: n * rows, n: cIn, k: kLen, a: cols, lda: kLen, b: w, ldb: cIn,
                           beta: 0, c: dx + start * rows * cIn, ldc: cIn)
            }
            start += n
        }
    }
}

/// What Conv2D and Conv2DTranspose are declared with: the same five parameters, the same checks.
public protocol ConvolutionKind: LayerKind {
    var filters: Int { get set }
    var kernel: Int { get set }
    var stride: Int { get set }
    var padding: Padding { get set }
    var activation: Activation { get set }
}

extension ConvolutionKind {
    public init(filters: Int, kernel: Int, stride: Int, padding: Padding, activation: Activation) {
        self.init()
        self.filters = filters; self.kernel = kernel; self.stride = stride; self.padding = padding; self.activation = activation
    }

    public static var parameters: [LayerParameter<Self>] {
        [LayerParameter("filters", \.filters, required: true), LayerParameter("kernel", \.kernel),
         LayerParameter("strides", \.stride), LayerParameter("padding", \.padding), LayerParameter("activation", \.activation)]
    }
    public static var activation: WritableKeyPath<Self, Activation>? { \.activation }

    /// The shared checks, then the kernel's shape (KH, KW, in, out) as `weights` is to bound it.
    func checked(_ context: LayerContext, kernelShape: [Int]) throws(ModelError) {
        try context.needImage(Self.name)
        try context.bounded([("filters", filters), ("kernel", kernel), ("stride", stride)], atMost: 4096)
        try context.weights(kernelShape)
    }
}

/// `conv2d: {filters: 32, kernel: 3, strides: 2, padding: same, activation: relu}`
public struct Conv2DKind: ConvolutionKind {
    public var filters = 1, kernel = 3, stride = 1
    public var padding = Padding.same
    public var activation = Activation.linear

    public init() {}
    public static let name = "conv2d"
    public static let summary = "Keras Conv2D: a convolution with a square kernel and a fused activation."

    public func build(_ context: LayerContext) throws(ModelError) -> any Layer {
        try checked(context, kernelShape: [kernel, kernel, context.input.last ?? 0, filters])
        return Conv2D(inputShape: context.input, filters: filters, kernel: kernel, stride: stride, padding: padding, activation: activation)
    }
}

/// `conv2d_transpose: {filters: 32, kernel: 3, strides: 2, padding: same, activation: relu}`
public struct Conv2DTransposeKind: ConvolutionKind {
    public var filters = 1, kernel = 3, stride = 1
    public var padding = Padding.same
    public var activation = Activation.linear

    public init() {}
    public static let name = "conv2d_transpose"
    public static let summary = "Keras Conv2DTranspose: the transposed convolution, upsampling by its strides."
    public static let codingName = "conv2dTranspose"

    public func build(_ context: LayerContext) throws(ModelError) -> any Layer {
        try checked(context, kernelShape: [kernel, kernel, filters, context.input.last ?? 0])
        return Conv2DTranspose(inputShape: context.input, filters: filters, kernel: kernel, stride: stride, padding: padding, activation: activation)
    }
}

extension LayerSpec {
    public static func conv2d(filters: Int, kernel: Int = 3, stride: Int = 1, padding: Padding = .same, activation: Activation = .linear) -> LayerSpec {
        LayerSpec(Conv2DKind(filters: filters, kernel: kernel, stride: stride, padding: padding, activation: activation))
    }
    public static func conv2dTranspose(filters: Int, kernel: Int = 3, stride: Int = 1, padding: Padding = .same, activation: Activation = .linear) -> LayerSpec {
        LayerSpec(Conv2DTransposeKind(filters: filters, kernel: kernel, stride: stride, padding: padding, activation: activation))
    }
}
