/// Counts of `values` in `bins` equal-width bins over `range` (nil: the finite values' min…max), as
/// numpy.histogram does: bins are half-open except the last, which also holds values equal to the
/// upper edge; values outside the range and non-finite values are not counted; an empty range is
/// widened by ±0.5, and with no finite values the nil range is 0…1. `edges` has bins + 1 entries.
public func histogram(_ values: [Double], bins: Int,
                      range: ClosedRange<Double>? = nil) throws(AnalysisError) -> (edges: [Double], counts: [Int]) {
    guard bins >= 1 else { throw .histogramBins(bins) }
    let finite = values.filter(\.isFinite)
    var low = range?.lowerBound ?? finite.min() ?? 0
    var high = range?.upperBound ?? finite.max() ?? 1
    guard low.isFinite, high.isFinite else { throw .histogramRange(low: low, high: high) }
    if low == high { low -= 0.5; high += 0.5 }
    let width = high - low
    let edges = (0...bins).map { i in i == bins ? high : low + width * Double(i) / Double(bins) }
    var counts = [Int](repeating: 0, count: bins)
    for v in finite where v >= low && v <= high {
        var bin = min(Int((v - low) / width * Double(bins)), bins - 1)
        // The division can round across an edge; the edges themselves decide.
        if v < edges[bin] { bin -= 1 } else if bin < bins - 1, v >= edges[bin + 1] { bin += 1 }
        counts[bin] += 1
    }
    return (edges, counts)
}

/// Mean, population standard deviation (divides by n, as numpy.std), min, max and median (the mean of
/// the two middle values for even n). All NaN for no values.
public func summary(_ values: [Double]) -> (mean: Double, std: Double, min: Double, max: Double, median: Double) {
    guard !values.isEmpty else { return (.nan, .nan, .nan, .nan, .nan) }
    let n = Double(values.count)
    let mean = values.reduce(0, +) / n
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
    let sorted = values.sorted()
    let middle = sorted.count / 2
    let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    return (mean, variance.squareRoot(), sorted[0], sorted[sorted.count - 1], median)
}
