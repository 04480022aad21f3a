import Engine
import Foundation
import Testing

/// The message of the error `body` throws, nil when it does not throw.
private func message(_ body: () throws(AnalysisError) -> Void) -> String? {
    do { try body(); return nil } catch { return error.description }
}

// MARK: ROC

private func bruteForceAUC(_ positives: [Double], _ negatives: [Double]) -> Double {
    var wins = 0.0
    for p in positives { for n in negatives { wins += p > n ? 1 : p == n ? 0.5 : 0 } }
    return wins / Double(positives.count * negatives.count)
}

private func trapezoidArea(_ curve: [(falsePositiveRate: Double, truePositiveRate: Double)]) -> Double {
    zip(curve, curve.dropFirst()).reduce(0) {
        $0 + ($1.1.falsePositiveRate - $1.0.falsePositiveRate) * ($1.0.truePositiveRate + $1.1.truePositiveRate) / 2
    }
}

@Test func aucMatchesPairCountWithTies() {
    var rng = SeededGenerator(seed: 11)
    for (p, n, shift) in [(1, 1, 0.0), (7, 3, 0.2), (50, 80, 0.5), (300, 200, 1.0), (123, 457, -0.3)] {
        // One decimal place, so many scores tie within and across the two sets.
        let positives = (0..<p).map { _ in ((rng.normal() + shift) * 10).rounded() / 10 }
        let negatives = (0..<n).map { _ in (rng.normal() * 10).rounded() / 10 }
        let auc = rocAUC(positives: positives, negatives: negatives)
        #expect(abs(auc - bruteForceAUC(positives, negatives)) < 1e-12)
        #expect(abs(auc - trapezoidArea(rocCurve(positives: positives, negatives: negatives))) < 1e-12)
    }
}

@Test func aucExactCases() {
    #expect(rocAUC(positives: [3, 4, 5], negatives: [0, 1, 2]) == 1)
    #expect(rocAUC(positives: [0, 1], negatives: [2, 3, 4]) == 0)
    #expect(rocAUC(positives: [2, 2], negatives: [2, 2, 2]) == 0.5)
    #expect(rocAUC(positives: [1, 3], negatives: [2]) == 0.5)
    #expect(rocAUC(positives: [], negatives: [1]).isNaN)
    #expect(rocAUC(positives: [1], negatives: []).isNaN)
}

@Test func rocCurvePoints() {
    let curve = rocCurve(positives: [3, 2], negatives: [1, 2])
    #expect(curve.map(\.falsePositiveRate) == [0, 0, 0.5, 1])
    #expect(curve.map(\.truePositiveRate) == [0, 0.5, 1, 1])
    #expect(rocCurve(positives: [], negatives: [1]).isEmpty)

    var rng = SeededGenerator(seed: 5)
    let positives = (0..<200).map { _ in (rng.normal() * 4).rounded() + 1 }
    let negatives = (0..<300).map { _ in (rng.normal() * 4).rounded() }
    let random = rocCurve(positives: positives, negatives: negatives)
    #expect(random.first! == (0, 0))
    #expect(random.last! == (1, 1))
    #expect(zip(random, random.dropFirst()).allSatisfy {
        $1.falsePositiveRate >= $0.falsePositiveRate && $1.truePositiveRate >= $0.truePositiveRate
    })
    // One point per distinct threshold, after the origin.
    #expect(random.count == Set(positives + negatives).count + 1)
}

// MARK: Cluster measures

/// `perClass` points around each of `classes` centres 10·c·(1, …, 1), spread `spread`.
private func blobs(classes: Int, perClass: Int, dim: Int, spread: Double, seed: UInt64) -> (points: [Float], labels: [Int]) {
    var rng = SeededGenerator(seed: seed)
    var points: [Float] = [], labels: [Int] = []
    for i in 0..<(classes * perClass) {
        let c = i % classes
        labels.append(c)
        for _ in 0..<dim { points.append(Float(10 * Double(c) + spread * rng.normal())) }
    }
    return (points, labels)
}

private func bruteForceSilhouette(_ points: [Float], dim: Int, labels: [Int]) -> Double {
    let n = labels.count
    func distance(_ i: Int, _ j: Int) -> Double {
        (0..<dim).reduce(0.0) { $0 + pow(Double(points[i * dim + $1]) - Double(points[j * dim + $1]), 2) }.squareRoot()
    }
    var total = 0.0
    for i in 0..<n {
        let own = (0..<n).filter { $0 != i && labels[$0] == labels[i] }
        guard !own.isEmpty else { continue }
        let a = own.map { distance(i, $0) }.reduce(0, +) / Double(own.count)
        let b = Set(labels).subtracting([labels[i]]).map { c in
            let members = (0..<n).filter { labels[$0] == c }
            return members.map { distance(i, $0) }.reduce(0, +) / Double(members.count)
        }.min()!
        total += (b - a) / max(a, b)
    }
    return total / Double(n)
}

@Test(arguments: [1, 2, 3, 16])
func separatedBlobsScoreHigh(dim: Int) throws {
    let (points, labels) = blobs(classes: 4, perClass: 150, dim: dim, spread: 0.8, seed: UInt64(dim))
    let s = try silhouetteScore(points: points, dim: dim, labels: labels, limit: 400, seed: 1)
    let knn = try knnAccuracy(points: points, dim: dim, labels: labels, k: 5, limit: 400, seed: 1)
    #expect(s > 0.7)
    #expect(knn > 0.99)
}

@Test(arguments: [1, 3])
func randomLabelsScoreChance(dim: Int) throws {
    var rng = SeededGenerator(seed: 9)
    let classes = 4, n = 1200
    let points = (0..<(n * dim)).map { _ in Float(rng.normal()) }
    let labels = (0..<n).map { _ in rng.index(below: classes) }
    let s = try silhouetteScore(points: points, dim: dim, labels: labels, limit: 1000, seed: 3)
    let knn = try knnAccuracy(points: points, dim: dim, labels: labels, k: 7, limit: 1000, seed: 3)
    #expect(abs(s) < 0.1)
    #expect(abs(knn - 1 / Double(classes)) < 0.06)
}

@Test func silhouetteMatchesDirectComputation() throws {
    var rng = SeededGenerator(seed: 21)
    for dim in [1, 2, 3, 5] {
        let n = 31
        let points = (0..<(n * dim)).map { _ in Float(rng.normal()) }
        // Arbitrary label values, including a singleton cluster (label 99).
        var labels = (0..<n).map { _ in [-3, 7, 12][rng.index(below: 3)] }
        labels[4] = 99
        let s = try silhouetteScore(points: points, dim: dim, labels: labels, limit: n, seed: 0)
        #expect(abs(s - bruteForceSilhouette(points, dim: dim, labels: labels)) < 1e-9)
    }
}

@Test func knnBreaksTiesByNearestNeighbour() throws {
    // k = 2 in 1-D. Point 0 sees 1 (label 1, distance 1) and −2 (label 0, distance 2): a tie, won by
    // the nearer label 1 (correct); point 1 likewise; point −2 sees two label-1 points (wrong).
    let accuracy = try knnAccuracy(points: [0, 1, -2], dim: 1, labels: [1, 1, 0], k: 2, limit: 10, seed: 0)
    #expect(abs(accuracy - 2.0 / 3) < 1e-12)
    // k = 1 is the nearest neighbour alone.
    #expect(try knnAccuracy(points: [0, 1, 5, 6], dim: 1, labels: [0, 0, 1, 1], k: 1, limit: 10, seed: 0) == 1)
}

@Test func clusterMeasuresAreDeterministicPerSeed() throws {
    let (points, labels) = blobs(classes: 3, perClass: 200, dim: 2, spread: 6, seed: 4)
    func measures(_ seed: UInt64) throws -> [Double] {
        [try silhouetteScore(points: points, dim: 2, labels: labels, limit: 100, seed: seed),
         try knnAccuracy(points: points, dim: 2, labels: labels, k: 3, limit: 100, seed: seed)]
    }
    #expect(try measures(1) == measures(1))
    #expect(try measures(1) != measures(2))
    // Without subsampling the seed does not matter.
    #expect(try silhouetteScore(points: points, dim: 2, labels: labels, limit: 600, seed: 1)
            == silhouetteScore(points: points, dim: 2, labels: labels, limit: 10_000, seed: 2))
}

@Test func clusterMeasureErrors() {
    let points: [Float] = [0, 0, 1, 1, 2, 2], labels = [0, 1, 0]
    let cases: [(String, () throws(AnalysisError) -> Void)] = [
        ("dimension must be at least 1, got 0",
         { () throws(AnalysisError) in _ = try silhouetteScore(points: points, dim: 0, labels: labels, limit: 10, seed: 0) }),
        ("6 values do not match 3 labels of dimension 3 (expected 9)",
         { () throws(AnalysisError) in _ = try silhouetteScore(points: points, dim: 3, labels: labels, limit: 10, seed: 0) }),
        ("sample limit must be at least 2, got 1",
         { () throws(AnalysisError) in _ = try knnAccuracy(points: points, dim: 2, labels: labels, k: 1, limit: 1, seed: 0) }),
        ("need at least 2 points, got 1",
         { () throws(AnalysisError) in _ = try silhouetteScore(points: [1], dim: 1, labels: [0], limit: 10, seed: 0) }),
        ("the silhouette needs at least 2 distinct labels among the sampled points",
         { () throws(AnalysisError) in _ = try silhouetteScore(points: points, dim: 2, labels: [4, 4, 4], limit: 10, seed: 0) }),
        ("k must be between 1 and 2 (the other sampled points), got 3",
         { () throws(AnalysisError) in _ = try knnAccuracy(points: points, dim: 2, labels: labels, k: 3, limit: 10, seed: 0) }),
        ("k must be between 1 and 1 (the other sampled points), got 0",
         { () throws(AnalysisError) in _ = try knnAccuracy(points: points, dim: 2, labels: labels, k: 0, limit: 2, seed: 0) }),
    ]
    for (expected, body) in cases { #expect(message(body) == expected) }
}

// MARK: GaussianFit

@Test func gaussianFitRecoversMoments() throws {
    let mean = [1.0, -2.0, 0.5]
    let l = [[1.0, 0, 0], [0.5, 0.8, 0], [-0.3, 0.2, 0.4]]
    let covariance = (0..<3).map { r in (0..<3).map { c in (0..<3).reduce(0.0) { $0 + l[r][$1] * l[c][$1] } } }
    var rng = SeededGenerator(seed: 2)
    var points: [Float] = []
    for _ in 0..<50_000 {
        let z = (0..<3).map { _ in rng.normal() }
        for r in 0..<3 { points.append(Float(mean[r] + (0...r).reduce(0.0) { $0 + l[r][$1] * z[$1] })) }
    }
    let fit = try GaussianFit(points: points, dim: 3)
    #expect(fit.dim == 3)
    for r in 0..<3 {
        #expect(abs(fit.mean[r] - mean[r]) < 0.02)
        for c in 0..<3 { #expect(abs(fit.covariance[r][c] - covariance[r][c]) < 0.02) }
        #expect(fit.covariance[r] == (0..<3).map { fit.covariance[$0][r] })
    }
    // Samples of the fit have the fit's moments.
    var sampler = SeededGenerator(seed: 3)
    let samples = fit.sample(50_000, rng: &sampler)
    #expect(samples.count == 150_000)
    let refit = try GaussianFit(points: samples, dim: 3)
    for r in 0..<3 {
        #expect(abs(refit.mean[r] - fit.mean[r]) < 0.02)
        for c in 0..<3 { #expect(abs(refit.covariance[r][c] - fit.covariance[r][c]) < 0.02) }
    }
}

@Test func gaussianFitHandlesDegenerateData() throws {
    var rng = SeededGenerator(seed: 8)
    // All points equal: zero covariance, every sample is the point.
    let same = try GaussianFit(points: Array(repeating: [0.25, -1, 3], count: 20).flatMap { $0 }, dim: 3)
    #expect(same.mean == [0.25, -1, 3])
    #expect(same.covariance.allSatisfy { $0.allSatisfy { $0 == 0 } })
    #expect(same.sample(10, rng: &rng) == Array(repeating: [0.25, -1, 3], count: 10).flatMap { $0 })

    // Collinear points (t, 2t, −t): samples stay finite and (nearly) on the line.
    let line = (0..<100).flatMap { i -> [Float] in let t = Float(i) / 10; return [t, 2 * t, -t] }
    let collinear = try GaussianFit(points: line, dim: 3)
    let drawn = collinear.sample(500, rng: &rng)
    #expect(drawn.allSatisfy { $0.isFinite })
    for i in 0..<500 {
        let x = Double(drawn[3 * i]) - collinear.mean[0], y = Double(drawn[3 * i + 1]) - collinear.mean[1]
        let z = Double(drawn[3 * i + 2]) - collinear.mean[2]
        #expect(abs(y - 2 * x) < 5e-3 && abs(z + x) < 5e-3)
    }

    // One point, fewer points than dimensions, and dim 1.
    #expect(try GaussianFit(points: [1, 2], dim: 2).sample(3, rng: &rng) == [1, 2, 1, 2, 1, 2])
    #expect(try GaussianFit(points: [0, 1, 2, 3, 1, 0], dim: 3).sample(100, rng: &rng).allSatisfy { $0.isFinite })
    let one = try GaussianFit(points: [1, 3], dim: 1)
    #expect(one.mean == [2] && one.covariance == [[1]])
    let oneSamples = one.sample(20_000, rng: &rng).map(Double.init)
    let s = summary(oneSamples)
    #expect(abs(s.mean - 2) < 0.03 && abs(s.std - 1) < 0.03)
    #expect(one.sample(0, rng: &rng).isEmpty)
}

@Test func gaussianFitErrors() {
    #expect(message { () throws(AnalysisError) in _ = try GaussianFit(points: [], dim: 2) } == "need at least 1 point, got none")
    #expect(message { () throws(AnalysisError) in _ = try GaussianFit(points: [1, 2, 3], dim: 2) }
            == "3 values do not split into points of dimension 2")
    #expect(message { () throws(AnalysisError) in _ = try GaussianFit(points: [1], dim: 0) } == "dimension must be at least 1, got 0")
}

// MARK: Latent grids

@Test func latentGridSmallCase() throws {
    let z = try latentGrid(dim: 3, vary: (0, 2), range: -1...1, n: 3, fixed: [1: 0.5])
    #expect(z == [
        -1, 0.5, 1,    0, 0.5, 1,    1, 0.5, 1,
        -1, 0.5, 0,    0, 0.5, 0,    1, 0.5, 0,
        -1, 0.5, -1,   0, 0.5, -1,   1, 0.5, -1,
    ])
}

@Test func latentGridRowsMayHaveTheirOwnRange() throws {
    let z = try latentGrid(dim: 2, vary: (0, 1), range: 0...2, downRange: 10...30, n: 3)
    #expect(z == [0, 30, 1, 30, 2, 30,  0, 20, 1, 20, 2, 20,  0, 10, 1, 10, 2, 10])
}

@Test func latentGridOrientation() throws {
    let n = 5
    let z = try latentGrid(dim: 2, vary: (0, 1), range: -3...3, n: n)
    func at(_ row: Int, _ column: Int) -> [Float] { Array(z[((row * n + column) * 2)..<((row * n + column) * 2 + 2)]) }
    #expect(z.count == n * n * 2)
    #expect(at(0, 0) == [-3, 3])
    #expect(at(0, n - 1) == [3, 3])
    #expect(at(n - 1, 0) == [-3, -3])
    #expect(at(2, 1) == [-1.5, 0])
    // The first varied dimension always runs along the columns.
    let swapped = try latentGrid(dim: 4, vary: (3, 1), range: 0...1, n: 2, fixed: [0: 7])
    #expect(Array(swapped[0..<8]) == [7, 1, 0, 0, 7, 1, 0, 1])
    #expect(try latentGrid(dim: 2, vary: (0, 1), range: 1...2, n: 1) == [1.5, 1.5])
    #expect(try latentLine(range: -2...2, n: 5) == [-2, -1, 0, 1, 2])
    #expect(try latentLine(range: -2...4, n: 1) == [1])
}

@Test func latentGridErrors() {
    func grid(dim: Int = 3, vary: (Int, Int) = (0, 1), range: ClosedRange<Double> = -1...1, n: Int = 4,
              fixed: [Int: Double] = [:]) -> String? {
        message { () throws(AnalysisError) in _ = try latentGrid(dim: dim, vary: vary, range: range, n: n, fixed: fixed) }
    }
    #expect(grid() == nil)
    #expect(grid(dim: 1, vary: (0, 0)) == "a latent grid needs at least 2 latent dimensions, got 1 (use a latent line for 1)")
    #expect(grid(vary: (1, 1)) == "grid dimensions (1, 1) must be distinct and within 0..<3")
    #expect(grid(vary: (0, 3)) == "grid dimensions (0, 3) must be distinct and within 0..<3")
    #expect(grid(vary: (-1, 2)) == "grid dimensions (-1, 2) must be distinct and within 0..<3")
    #expect(grid(n: 0) == "grid size must be between 1 and 100, got 0")
    #expect(grid(n: 101) == "grid size must be between 1 and 100, got 101")
    #expect(grid(range: 1...1) == "latent range must be finite with low < high, got 1.0...1.0")
    #expect(grid(range: -Double.infinity...0) == "latent range must be finite with low < high, got -inf...0.0")
    #expect(grid(fixed: [2: 1, 5: 1]) == "fixed latent dimension 5 is outside 0..<3")
    #expect(grid(fixed: [1: 0.5]) == "latent dimension 1 is both varied and fixed")
    #expect(grid(fixed: [2: .nan]) == "fixed value of latent dimension 2 must be finite, got nan")
    #expect(message { () throws(AnalysisError) in _ = try latentLine(range: 0...1, n: 200) }
            == "grid size must be between 1 and 100, got 200")
    #expect(message { () throws(AnalysisError) in _ = try latentLine(range: 2...2, n: 3) }
            == "latent range must be finite with low < high, got 2.0...2.0")
}

// MARK: Corruption

@Test func squareMaskCoversSquares() throws {
    let (count, height, width, channels, size) = (20, 28, 24, 3, 7)
    var data = SeededGenerator(seed: 1)
    let images = (0..<(count * height * width * channels)).map { _ in data.uniform(0.1, 0.9) }
    var rng = SeededGenerator(seed: 2)
    let (masked, corners) = try squareMask(images: images, count: count, height: height, width: width,
                                           channels: channels, size: size, positions: .random, rng: &rng)
    #expect(corners.count == count)
    let imageSize = height * width * channels
    for (image, corner) in corners.enumerated() {
        #expect((0...(height - size)).contains(corner.y) && (0...(width - size)).contains(corner.x))
        var changed = 0
        for y in 0..<height {
            for x in 0..<width {
                let inside = (corner.y..<(corner.y + size)).contains(y) && (corner.x..<(corner.x + size)).contains(x)
                for c in 0..<channels {
                    let i = image * imageSize + (y * width + x) * channels + c
                    if masked[i] != images[i] { changed += 1 }
                    #expect(masked[i] == (inside ? 0 : images[i]))
                }
            }
        }
        #expect(changed == size * size * channels)
    }
    // Corners vary between images, and the same seed repeats them.
    #expect(Set(corners.map { $0.y * width + $0.x }).count > 1)
    var again = SeededGenerator(seed: 2)
    let repeated = try squareMask(images: images, count: count, height: height, width: width,
                                  channels: channels, size: size, positions: .random, rng: &again)
    #expect(repeated.masked == masked && repeated.corners.map(\.y) == corners.map(\.y)
            && repeated.corners.map(\.x) == corners.map(\.x))
    var other = SeededGenerator(seed: 3)
    let different = try squareMask(images: images, count: count, height: height, width: width,
                                   channels: channels, size: size, positions: .random, rng: &other)
    #expect(different.masked != masked)
}

@Test func squareMaskFixedPlacement() throws {
    var rng = SeededGenerator(seed: 0)
    let images = [Float](repeating: 1, count: 2 * 4 * 5)
    let (masked, corners) = try squareMask(images: images, count: 2, height: 4, width: 5, channels: 1, size: 2,
                                           positions: .fixed(y: 1, x: 3), fill: 0.5, rng: &rng)
    let one: [Float] = [
        1, 1, 1, 1, 1,
        1, 1, 1, 0.5, 0.5,
        1, 1, 1, 0.5, 0.5,
        1, 1, 1, 1, 1,
    ]
    #expect(masked == one + one)
    #expect(corners.map(\.y) == [1, 1] && corners.map(\.x) == [3, 3])
    // The whole image is allowed.
    let full = try squareMask(images: [0.2, 0.4, 0.6, 0.8], count: 1, height: 2, width: 2, channels: 1, size: 2,
                              positions: .random, rng: &rng)
    #expect(full.masked == [0, 0, 0, 0] && full.corners.map(\.y) == [0])
}

@Test func squareMaskErrors() {
    var rng = SeededGenerator(seed: 0)
    let images = [Float](repeating: 0.5, count: 2 * 4 * 6 * 1)
    func mask(count: Int = 2, height: Int = 4, width: Int = 6, channels: Int = 1, size: Int = 2,
              positions: MaskPositions = .random) -> String? {
        message { () throws(AnalysisError) in
            _ = try squareMask(images: images, count: count, height: height, width: width, channels: channels,
                               size: size, positions: positions, rng: &rng)
        }
    }
    #expect(mask() == nil)
    #expect(mask(positions: .fixed(y: 2, x: 4)) == nil)
    #expect(mask(height: 0) == "image batch needs count ≥ 0 and positive height, width and channels, got 2×0×6×1")
    #expect(mask(count: -1) == "image batch needs count ≥ 0 and positive height, width and channels, got -1×4×6×1")
    #expect(mask(channels: 3) == "48 values do not match 2 images of 4×6×3 (expected 144)")
    #expect(mask(size: 0) == "mask size must be between 1 and 4 for 4×6 images, got 0")
    #expect(mask(size: 5) == "mask size must be between 1 and 4 for 4×6 images, got 5")
    #expect(mask(positions: .fixed(y: 3, x: 0))
            == "a 2×2 mask at (y: 3, x: 0) does not fit 4×6 images (y in 0...2, x in 0...4)")
    #expect(mask(positions: .fixed(y: 0, x: -1))
            == "a 2×2 mask at (y: 0, x: -1) does not fit 4×6 images (y in 0...2, x in 0...4)")
}

@Test func gaussianNoiseLevels() throws {
    var data = SeededGenerator(seed: 4)
    let images = (0..<10_000).map { _ in data.nextUnitFloat() }
    var rng = SeededGenerator(seed: 5)
    #expect(try gaussianNoise(images: images, sigma: 0, clip: true, rng: &rng) == images)
    let clipped = try gaussianNoise(images: images, sigma: 1, clip: true, rng: &rng)
    #expect(clipped.allSatisfy { (0...1).contains($0) })
    #expect(clipped.contains(0) && clipped.contains(1))

    let flat = [Float](repeating: 0.5, count: 100_000)
    let noisy = try gaussianNoise(images: flat, sigma: 0.3, clip: false, rng: &rng)
    let s = summary(noisy.map(Double.init))
    #expect(abs(s.mean - 0.5) < 0.005 && abs(s.std - 0.3) < 0.005)
    #expect(s.min < 0 && s.max > 1)

    var a = SeededGenerator(seed: 6), b = SeededGenerator(seed: 6)
    #expect(try gaussianNoise(images: images, sigma: 0.2, clip: true, rng: &a)
            == gaussianNoise(images: images, sigma: 0.2, clip: true, rng: &b))
}

@Test func gaussianNoiseErrors() {
    var rng = SeededGenerator(seed: 0)
    for (sigma, expected) in [(-0.1, "noise sigma must be finite and at least 0, got -0.1"),
                              (.infinity, "noise sigma must be finite and at least 0, got inf"),
                              (.nan, "noise sigma must be finite and at least 0, got nan")] {
        #expect(message { () throws(AnalysisError) in _ = try gaussianNoise(images: [0.5], sigma: sigma, clip: true, rng: &rng) }
                == expected)
    }
}

// MARK: Per-image metrics

@Test func perImageErrors() {
    #expect(perImageMSE([0, 1, 0.5, 0.5], [0, 0, 0, 1], count: 2) == [0.5, 0.25])
    #expect(perImageMSE([], [], count: 0).isEmpty)

    let p9 = Double(Float(0.9)), p1 = Double(Float(0.1))
    let target: [Float] = [1, 0, 1, 0], output: [Float] = [0.5, 0.5, 0.9, 0.1]
    // One image of 1×2 pixels with 2 channels: the sum over values halved.
    let oneImage = perImageBCE(target: target, output: output, count: 1, channels: 2)
    #expect(abs(oneImage[0] - (2 * log(2) - log(p9) - log(1 - p1)) / 2) < 1e-12)
    // Two single-channel images of 2 pixels: summed over pixels.
    let twoImages = perImageBCE(target: target, output: output, count: 2, channels: 1)
    #expect(abs(twoImages[0] - 2 * log(2)) < 1e-12)
    #expect(abs(twoImages[1] + log(p9) + log(1 - p1)) < 1e-12)
    // p is clipped to [1e-7, 1 − 1e-7].
    let clipped = perImageBCE(target: [1, 0, 1], output: [0, 1, 1], count: 3, channels: 1)
    #expect(abs(clipped[0] + log(1e-7)) < 1e-9 && abs(clipped[1] + log(1e-7)) < 1e-9)
    #expect(abs(clipped[2] - 1e-7) < 1e-12)
}

@Test func perImageBCEMatchesTrainingLoss() {
    var rng = SeededGenerator(seed: 12)
    let (count, perImage, channels) = (3, 2 * 2 * 3, 3)
    let logits = (0..<(count * perImage)).map { _ in rng.uniform(-4, 4) }
    let target = (0..<(count * perImage)).map { _ in rng.nextUnitFloat() }
    let probabilities = logits.map { 1 / (1 + exp(-$0)) }
    var training = [Double](repeating: 0, count: count)
    logits.withUnsafeBufferPointer { z in
        target.withUnsafeBufferPointer { t in
            training.withUnsafeMutableBufferPointer { r in
                Loss.bce.perSample(logits: z.baseAddress!, target: t.baseAddress!, batch: count, perSample: perImage,
                                   channels: channels, output: .sigmoid, into: r.baseAddress!)
            }
        }
    }
    let analysis = perImageBCE(target: target, output: probabilities, count: count, channels: channels)
    for (a, b) in zip(analysis, training) { #expect(abs(a - b) < 1e-5 * b) }
}

@Test func psnrValues() {
    #expect(psnr(mse: 0) == .infinity)
    #expect(psnr(mse: 1) == 0)
    #expect(abs(psnr(mse: 0.01) - 20) < 1e-12)
    #expect(abs(psnr(mse: 0.001) - 30) < 1e-12)
}

// MARK: Histogram and summary

@Test func histogramBins() throws {
    let empty = try histogram([], bins: 4)
    #expect(empty.edges == [0, 0.25, 0.5, 0.75, 1] && empty.counts == [0, 0, 0, 0])
    let single = try histogram([2], bins: 4)
    #expect(single.edges == [1.5, 1.75, 2, 2.25, 2.5] && single.counts == [0, 0, 1, 0])
    // The maximum lands in the last bin.
    let ramp = try histogram([0, 1, 2, 3, 4], bins: 4)
    #expect(ramp.edges == [0, 1, 2, 3, 4] && ramp.counts == [1, 1, 1, 2])
    // Values outside a given range, and non-finite values, are left out.
    let ranged = try histogram([-1, 0, 1, 2, 3, .nan, .infinity], bins: 2, range: 0...2)
    #expect(ranged.edges == [0, 1, 2] && ranged.counts == [1, 2])
    // Values exactly on edges go to the bin the edge opens.
    let tenths = try histogram((0...10).map { Double($0) / 10 }, bins: 10, range: 0...1)
    #expect(tenths.counts == [1, 1, 1, 1, 1, 1, 1, 1, 1, 2])
    #expect(try histogram([5, 5, 5], bins: 1).counts == [3])

    #expect(message { () throws(AnalysisError) in _ = try histogram([1], bins: 0) } == "histogram needs at least 1 bin, got 0")
    #expect(message { () throws(AnalysisError) in _ = try histogram([1], bins: 3, range: 0...Double.infinity) }
            == "histogram range must be finite, got 0.0...inf")
}

@Test func summaryStatistics() {
    let even = summary([3, 1, 2, 4])
    #expect(even.mean == 2.5 && even.min == 1 && even.max == 4 && even.median == 2.5)
    #expect(abs(even.std - 1.25.squareRoot()) < 1e-15)
    let odd = summary([5, -1, 2])
    #expect(odd.median == 2 && odd.min == -1 && odd.max == 5 && odd.mean == 2)
    let one = summary([7])
    #expect(one.mean == 7 && one.std == 0 && one.median == 7)
    let none = summary([])
    #expect(none.mean.isNaN && none.std.isNaN && none.min.isNaN && none.max.isNaN && none.median.isNaN)
}
