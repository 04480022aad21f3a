/// Points drawn for the cluster measures: coordinates in Double, labels renumbered 0..<classes.
private struct LabelledSample {
    var coordinates: [Double] = []
    var labels: [Int] = []
    var classes = 0
    let dim: Int

    var count: Int { labels.count }

    /// At most `limit` of the points: all of them, in order, when they fit; otherwise a seeded
    /// uniform choice. The stream is shared, so one seed gives both measures the same subset.
    init(points: [Float], dim: Int, labels: [Int], limit: Int, seed: UInt64) throws(AnalysisError) {
        guard dim >= 1 else { throw .invalidDimension(dim) }
        guard points.count == labels.count * dim else {
            throw .labelCount(values: points.count, dim: dim, labels: labels.count)
        }
        guard limit >= 2 else { throw .sampleLimit(limit) }
        guard labels.count >= 2 else { throw .tooFewPoints(labels.count) }
        self.dim = dim
        var chosen = Array(0..<labels.count)
        if labels.count > limit {
            var rng = SeededGenerator(seed: seed, stream: "analysis.subsample")
            for i in 0..<limit { chosen.swapAt(i, i + rng.index(below: labels.count - i)) }
            chosen.removeSubrange(limit...)
        }
        var dense: [Int: Int] = [:]
        for i in chosen {
            coordinates.append(contentsOf: points[(i * dim)..<((i + 1) * dim)].map(Double.init))
            let label = dense[labels[i]] ?? dense.count
            dense[labels[i]] = label
            self.labels.append(label)
        }
        classes = dense.count
    }

    func squaredDistance(_ i: Int, _ j: Int) -> Double {
        var s = 0.0
        for d in 0..<dim {
            let diff = coordinates[i * dim + d] - coordinates[j * dim + d]
            s += diff * diff
        }
        return s
    }
}

/// Mean silhouette (Euclidean) over a seeded subsample of at most `limit` points, as scikit-learn
/// defines it: s = (b − a) / max(a, b) with a the mean distance to the rest of the point's cluster
/// and b the smallest mean distance to another cluster; s = 0 for a point alone in its cluster.
/// Near 1: tight, well-separated clusters; near 0: overlapping. O(limit²·dim) time, O(limit·classes) memory.
public func silhouetteScore(points: [Float], dim: Int, labels: [Int], limit: Int, seed: UInt64) throws(AnalysisError) -> Double {
    let sample = try LabelledSample(points: points, dim: dim, labels: labels, limit: limit, seed: seed)
    guard sample.classes >= 2 else { throw .singleCluster }
    let n = sample.count, classes = sample.classes
    // distanceSums[i·classes + c] = Σ distance from point i to the points of class c.
    var distanceSums = [Double](repeating: 0, count: n * classes)
    var sizes = [Int](repeating: 0, count: classes)
    for i in 0..<n {
        sizes[sample.labels[i]] += 1
        for j in (i + 1)..<n {
            let d = sample.squaredDistance(i, j).squareRoot()
            distanceSums[i * classes + sample.labels[j]] += d
            distanceSums[j * classes + sample.labels[i]] += d
        }
    }
    var total = 0.0
    for i in 0..<n {
        let own = sample.labels[i]
        guard sizes[own] > 1 else { continue }
        let a = distanceSums[i * classes + own] / Double(sizes[own] - 1)
        var b = Double.infinity
        for c in 0..<classes where c != own {
            b = min(b, distanceSums[i * classes + c] / Double(sizes[c]))
        }
        let scale = max(a, b)
        if scale > 0 { total += (b - a) / scale }  // coincident points of different clusters count 0
    }
    return total / Double(n)
}

/// Leave-one-out k-nearest-neighbour accuracy (Euclidean) over a seeded subsample of at most `limit`
/// points (the same subsample as `silhouetteScore` for the same seed): each point is classified by a
/// majority vote of its k nearest other sampled points. A tied vote goes to the tied label whose
/// nearest member is closest, i.e. the nearest neighbour's label when it is among the tied ones;
/// equally distant neighbours are ordered by sample position.
public func knnAccuracy(points: [Float], dim: Int, labels: [Int], k: Int, limit: Int, seed: UInt64) throws(AnalysisError) -> Double {
    let sample = try LabelledSample(points: points, dim: dim, labels: labels, limit: limit, seed: seed)
    let n = sample.count
    guard k >= 1, k < n else { throw .neighbours(k: k, available: n - 1) }
    var nearest: [(distance: Double, label: Int)] = []
    nearest.reserveCapacity(k + 1)
    var votes = [Int](repeating: 0, count: sample.classes)
    var correct = 0
    for i in 0..<n {
        nearest.removeAll(keepingCapacity: true)
        for j in 0..<n where j != i {
            let d = sample.squaredDistance(i, j)
            guard nearest.count < k || d < nearest[k - 1].distance else { continue }
            // Insert after equal distances, so earlier sample positions stay first.
            var at = nearest.count
            while at > 0, nearest[at - 1].distance > d { at -= 1 }
            nearest.insert((d, sample.labels[j]), at: at)
            if nearest.count > k { nearest.removeLast() }
        }
        for neighbour in nearest { votes[neighbour.label] += 1 }
        // Scanning in distance order with a strict > keeps the tied label seen first.
        var predicted = nearest[0].label
        for neighbour in nearest where votes[neighbour.label] > votes[predicted] { predicted = neighbour.label }
        if predicted == sample.labels[i] { correct += 1 }
        for neighbour in nearest { votes[neighbour.label] = 0 }
    }
    return Double(correct) / Double(n)
}
