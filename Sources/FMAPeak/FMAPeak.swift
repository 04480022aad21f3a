/// The machine's single-precision FMA peak, measured: twelve independent chains of 512-bit fused
/// multiply-adds per thread, enough to cover the FMA latency on the cores these machines have.
/// This module alone is compiled for AVX-512 (Package.swift); call it only where `hasAVX512`.
public enum FMAPeak {
    /// One thread running `iterations` rounds of 12 × 16-lane FMAs (2 FLOPs a lane): the time it
    /// took, the FLOPs done, and a checksum that keeps the chains from being optimized away.
    @inline(never)
    public static func run(iterations: Int, seed: Float) -> (elapsed: Duration, flops: Double, checksum: Float) {
        // c ← b + c·a converges (|a| < 1): no overflow, no denormals, one dependent FMA per chain.
        let a = SIMD16<Float>(repeating: 0.999 - seed * 1e-7), b = SIMD16<Float>(repeating: seed * 1e-3)
        var c0 = SIMD16<Float>(repeating: seed), c1 = c0 + 1, c2 = c0 + 2, c3 = c0 + 3, c4 = c0 + 4, c5 = c0 + 5
        var c6 = c0 + 6, c7 = c0 + 7, c8 = c0 + 8, c9 = c0 + 9, c10 = c0 + 10, c11 = c0 + 11
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<iterations {
            c0 = b.addingProduct(c0, a); c1 = b.addingProduct(c1, a); c2 = b.addingProduct(c2, a)
            c3 = b.addingProduct(c3, a); c4 = b.addingProduct(c4, a); c5 = b.addingProduct(c5, a)
            c6 = b.addingProduct(c6, a); c7 = b.addingProduct(c7, a); c8 = b.addingProduct(c8, a)
            c9 = b.addingProduct(c9, a); c10 = b.addingProduct(c10, a); c11 = b.addingProduct(c11, a)
        }
        let elapsed = clock.now - start
        let sum = (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).sum()
        return (elapsed, Double(iterations) * 12 * 16 * 2, sum)
    }
}
