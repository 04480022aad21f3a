/// n×n latent vectors (`n·n × dim` Floats, row-major) for decoding into an image grid laid out as
/// Keras's `plot_latent_space` shows it: latent dimension `vary.0` runs along the columns, increasing
/// left to right; `vary.1` along the rows, from the top of its range (`downRange`, default `range`)
/// at the top to its bottom at the bottom. Every other dimension d holds `fixed[d] ?? 0`. With n = 1 the single point is the
/// middle of the range.
public func latentGrid(dim: Int, vary: (Int, Int), range: ClosedRange<Double>, downRange: ClosedRange<Double>? = nil, n: Int,
                       fixed: [Int: Double] = [:]) throws(AnalysisError) -> [Float] {
    guard dim >= 2 else { throw .gridNeedsTwoDimensions(dim) }
    let (across, down) = vary
    guard across != down, (0..<dim).contains(across), (0..<dim).contains(down) else {
        throw .gridDimensions(first: across, second: down, dim: dim)
    }
    // Sorted, so the first offending key is the one reported.
    for (d, value) in fixed.sorted(by: { $0.key < $1.key }) {
        guard (0..<dim).contains(d) else { throw .fixedDimension(d, dim: dim) }
        guard d != across, d != down else { throw .fixedAndVaried(d) }
        guard value.isFinite else { throw .fixedValue(dimension: d, value: value) }
    }
    let steps = try gridSteps(range: range, n: n)
    let downSteps = try gridSteps(range: downRange ?? range, n: n)
    var base = [Float](repeating: 0, count: dim)
    for (d, value) in fixed { base[d] = Float(value) }
    var result: [Float] = []
    result.reserveCapacity(n * n * dim)
    for row in 0..<n {
        for column in 0..<n {
            var z = base
            z[across] = steps[column]
            z[down] = downSteps[n - 1 - row]
            result.append(contentsOf: z)
        }
    }
    return result
}

/// n one-dimensional latents evenly spaced over `range`, increasing (the middle of it for n = 1).
public func latentLine(range: ClosedRange<Double>, n: Int) throws(AnalysisError) -> [Float] {
    try gridSteps(range: range, n: n)
}

/// Evenly spaced values from low to high inclusive, computed in Double so the ends are exact.
private func gridSteps(range: ClosedRange<Double>, n: Int) throws(AnalysisError) -> [Float] {
    guard (1...100).contains(n) else { throw .gridSize(n) }
    let low = range.lowerBound, high = range.upperBound
    guard low.isFinite, high.isFinite, low < high else { throw .gridRange(low: low, high: high) }
    guard n > 1 else { return [Float((low + high) / 2)] }
    return (0..<n).map { i in
        i == n - 1 ? Float(high) : Float(low + (high - low) * Double(i) / Double(n - 1))
    }
}
