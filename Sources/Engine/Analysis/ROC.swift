/// Area under the ROC curve: the probability that a random positive scores higher than a random
/// negative, ties counting ½ (the Mann–Whitney U statistic over nP·nN, from mid-ranks after one sort).
/// For anomaly detection, positives are out-of-distribution reconstruction errors and negatives
/// in-distribution ones. NaN when either side is empty; scores must not be NaN.
public func rocAUC(positives: [Double], negatives: [Double]) -> Double {
    guard !positives.isEmpty, !negatives.isEmpty else { return .nan }
    let scored = (positives.map { ($0, true) } + negatives.map { ($0, false) }).sorted { $0.0 < $1.0 }
    var positiveRankSum = 0.0
    var start = 0
    while start < scored.count {
        var end = start
        var tiedPositives = 0
        while end < scored.count, scored[end].0 == scored[start].0 {
            if scored[end].1 { tiedPositives += 1 }
            end += 1
        }
        // Ranks start..<end (1-based start+1...end) share their mean.
        positiveRankSum += Double(tiedPositives) * Double(start + 1 + end) / 2
        start = end
    }
    let p = Double(positives.count), n = Double(negatives.count)
    return (positiveRankSum - p * (p + 1) / 2) / (p * n)
}

/// ROC points for plotting: one per distinct score threshold t (classify "positive" when score ≥ t),
/// from (0, 0) to (1, 1) in order of decreasing threshold, so both rates never decrease. Its
/// trapezoid area equals `rocAUC`. Empty when either side is empty.
public func rocCurve(positives: [Double], negatives: [Double]) -> [(falsePositiveRate: Double, truePositiveRate: Double)] {
    guard !positives.isEmpty, !negatives.isEmpty else { return [] }
    let scored = (positives.map { ($0, true) } + negatives.map { ($0, false) }).sorted { $0.0 > $1.0 }
    let p = Double(positives.count), n = Double(negatives.count)
    var points: [(falsePositiveRate: Double, truePositiveRate: Double)] = [(0, 0)]
    var truePositives = 0, falsePositives = 0
    var i = 0
    while i < scored.count {
        let threshold = scored[i].0
        while i < scored.count, scored[i].0 == threshold {
            if scored[i].1 { truePositives += 1 } else { falsePositives += 1 }
            i += 1
        }
        points.append((Double(falsePositives) / n, Double(truePositives) / p))
    }
    return points
}
