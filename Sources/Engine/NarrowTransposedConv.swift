/// The forward pass of a stride-1 transposed convolution onto very few channels (the decoders'
/// image layer: 32 → 1 or 3 channels). oneDNN's backward-data kernels and im2col + GEMM both
/// vectorize over output channels and run it at 12–16 GFLOP/s; here each output value is a dot
/// product over k·C contiguous inputs per kernel row, which vectorizes over the input channels.
/// (Its backward runs well on oneDNN: weights gradient and a forward convolution for dx.)
///
/// In the geometry's terms the big image (bigH, bigW, F) is the output, the small grid
/// (smallH, smallW, C) the input, and at stride 1: small = big + pad − tap. For a kernel row ky
/// the taps kx = 0…k−1 read the small pixels sx = bx + padLeft − kx: k adjacent pixels, that is
/// k·C adjacent floats, in reverse tap order. `flipped` stores the kernel in that order.
struct NarrowTransposedConv {
    let g: ConvGeometry
    let inputChannels: Int

    static let maxFilters = 4

    static func applies(_ g: ConvGeometry) -> Bool { g.stride == 1 && g.channels <= maxFilters }

    var filters: Int { g.channels }

    // w: (k, k, F, C) as Keras stores it → flipped: (F, k, k, C) with kx reversed
    func flip(_ w: UnsafePointer<Float>, into flipped: UnsafeMutablePointer<Float>) {
        let k = g.kernel, c = inputChannels, f = filters
        for o in 0..<f { for ky in 0..<k { for kx in 0..<k {
            let src = w + ((ky * k + kx) * f + o) * c
            let dst = flipped + ((o * k + ky) * k + (k - 1 - kx)) * c
            dst.update(from: src, count: c)
        } } }
    }

    /// The small pixels [lo, hi) that output column bx reads in one kernel row, and the first
    /// flipped tap they meet.
    @inline(__always) private func window(_ bx: Int) -> (lo: Int, hi: Int, tap: Int) {
        let first = bx + g.padLeft - (g.kernel - 1)
        let lo = max(first, 0), hi = min(bx + g.padLeft + 1, g.smallW)
        return (lo, hi, lo - first)
    }

    // x: (N, smallH, smallW, C), flipped: (F, k, k, C), bias: (F) → y: (N, bigH, bigW, F), overwritten
    func forward(x: UnsafePointer<Float>, flipped: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                 y: UnsafeMutablePointer<Float>, batch: Int) {
        let k = g.kernel, c = inputChannels, f = filters
        for n in 0..<batch {
            let xn = x + n * g.smallH * g.smallW * c
            for by in 0..<g.bigH {
                for bx in 0..<g.bigW {
                    let (lo, hi, tap) = window(bx)
                    let out = y + ((n * g.bigH + by) * g.bigW + bx) * f
                    for o in 0..<f {
                        var sum: Float = 0
                        for ky in 0..<k {
                            let sy = by + g.padTop - ky
                            guard sy >= 0, sy < g.smallH, hi > lo else { continue }
                            sum += dot(xn + (sy * g.smallW + lo) * c, flipped + ((o * k + ky) * k + tap) * c, (hi - lo) * c)
                        }
                        out[o] = sum + bias[o]
                    }
                }
            }
        }
    }

    /// Floats of scratch: the flipped kernel.
    var scratchCount: Int { g.kernel * g.kernel * filters * inputChannels }
}

/// Σ a[i]·b[i] over n floats, in a fixed order: sixteen partial sums, then a fixed tree.
@inline(__always) func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>()
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while i + 16 <= n {
        acc += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        i += 16
    }
    var sum = acc.sum()
    while i < n { sum += a[i] * b[i]; i += 1 }
    return sum
}
