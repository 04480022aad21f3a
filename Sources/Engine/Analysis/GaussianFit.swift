/// A full-covariance Gaussian fitted to latent vectors, for generating new latents to decode.
public struct GaussianFit: Sendable {
    public let mean: [Double]
    /// Maximum-likelihood covariance (divides by the point count, so one point fits with zero covariance).
    public let covariance: [[Double]]
    /// Lower-triangular L with L·Lᵀ = covariance, plus a tiny diagonal jitter when that is not
    /// positive definite (degenerate latents: constant, collinear, or fewer points than dimensions).
    private let factor: [[Double]]

    public var dim: Int { mean.count }

    public init(points: [Float], dim: Int) throws(AnalysisError) {
        guard dim >= 1 else { throw .invalidDimension(dim) }
        guard points.count % dim == 0 else { throw .pointCount(values: points.count, dim: dim) }
        let n = points.count / dim
        guard n >= 1 else { throw .noPoints }
        var mean = [Double](repeating: 0, count: dim)
        for p in 0..<n { for d in 0..<dim { mean[d] += Double(points[p * dim + d]) } }
        for d in 0..<dim { mean[d] /= Double(n) }
        // Second pass over centred values: no cancellation when the mean is large against the spread.
        var covariance = [[Double]](repeating: [Double](repeating: 0, count: dim), count: dim)
        var centred = [Double](repeating: 0, count: dim)
        for p in 0..<n {
            for d in 0..<dim { centred[d] = Double(points[p * dim + d]) - mean[d] }
            for r in 0..<dim { for c in 0...r { covariance[r][c] += centred[r] * centred[c] } }
        }
        for r in 0..<dim {
            for c in 0...r {
                covariance[r][c] /= Double(n)
                covariance[c][r] = covariance[r][c]
            }
        }
        self.mean = mean
        self.covariance = covariance
        var (factor, positiveDefinite) = Self.cholesky(covariance)
        if !positiveDefinite {
            let trace = (0..<dim).reduce(0.0) { $0 + covariance[$1][$1] }
            var jittered = covariance
            for d in 0..<dim { jittered[d][d] += 1e-9 * trace / Double(dim) }
            factor = Self.cholesky(jittered).factor
        }
        self.factor = factor
    }

    /// `count` draws mean + L·z with z ~ N(0, I), as `count × dim` Floats (none for count ≤ 0).
    public func sample(_ count: Int, rng: inout SeededGenerator) -> [Float] {
        var result: [Float] = []
        result.reserveCapacity(max(count, 0) * dim)
        var z = [Double](repeating: 0, count: dim)
        for _ in 0..<max(count, 0) {
            for d in 0..<dim { z[d] = rng.normal() }
            for r in 0..<dim {
                var v = mean[r]
                for c in 0...r { v += factor[r][c] * z[c] }
                result.append(Float(v))
            }
        }
        return result
    }

    /// Cholesky factor of a symmetric matrix. A non-positive pivot zeroes its column (exact for a
    /// positive semi-definite matrix, whose column below a zero pivot is zero) and is reported.
    private static func cholesky(_ a: [[Double]]) -> (factor: [[Double]], positiveDefinite: Bool) {
        let n = a.count
        var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        var positiveDefinite = true
        for j in 0..<n {
            var pivot = a[j][j]
            for k in 0..<j { pivot -= l[j][k] * l[j][k] }
            guard pivot > 0 else { positiveDefinite = false; continue }
            let root = pivot.squareRoot()
            l[j][j] = root
            for i in (j + 1)..<n {
                var v = a[i][j]
                for k in 0..<j { v -= l[i][k] * l[j][k] }
                l[i][j] = v / root
            }
        }
        return (l, positiveDefinite)
    }
}
