import ReportModel
/// Invalid arguments to the analysis functions. Engine builds with preconditions off in release,
/// so everything a notebook can get wrong is reported through this type instead.
public enum AnalysisError: UserError, Equatable {
    case invalidDimension(Int)
    case pointCount(values: Int, dim: Int)
    case noPoints
    case labelCount(values: Int, dim: Int, labels: Int)
    case sampleLimit(Int)
    case tooFewPoints(Int)
    case singleCluster
    case neighbours(k: Int, available: Int)
    case gridNeedsTwoDimensions(Int)
    case gridDimensions(first: Int, second: Int, dim: Int)
    case gridSize(Int)
    case gridRange(low: Double, high: Double)
    case fixedDimension(Int, dim: Int)
    case fixedAndVaried(Int)
    case fixedValue(dimension: Int, value: Double)
    case imageShape(count: Int, height: Int, width: Int, channels: Int)
    case imageCount(values: Int, count: Int, height: Int, width: Int, channels: Int)
    case maskSize(size: Int, height: Int, width: Int)
    case maskCorner(y: Int, x: Int, size: Int, height: Int, width: Int)
    case noiseSigma(Double)
    case histogramBins(Int)
    case histogramRange(low: Double, high: Double)

    public var message: String {
        switch self {
        case .invalidDimension(let d):
            "dimension must be at least 1, got \(d)"
        case let .pointCount(values, dim):
            "\(values) values do not split into points of dimension \(dim)"
        case .noPoints:
            "need at least 1 point, got none"
        case let .labelCount(values, dim, labels):
            "\(values) values do not match \(labels) labels of dimension \(dim) (expected \(labels * dim))"
        case .sampleLimit(let n):
            "sample limit must be at least 2, got \(n)"
        case .tooFewPoints(let n):
            "need at least 2 points, got \(n)"
        case .singleCluster:
            "the silhouette needs at least 2 distinct labels among the sampled points"
        case let .neighbours(k, available):
            "k must be between 1 and \(available) (the other sampled points), got \(k)"
        case .gridNeedsTwoDimensions(let d):
            "a latent grid needs at least 2 latent dimensions, got \(d) (use a latent line for 1)"
        case let .gridDimensions(first, second, dim):
            "grid dimensions (\(first), \(second)) must be distinct and within 0..<\(dim)"
        case .gridSize(let n):
            "grid size must be between 1 and 100, got \(n)"
        case let .gridRange(low, high):
            "latent range must be finite with low < high, got \(low)...\(high)"
        case let .fixedDimension(d, dim):
            "fixed latent dimension \(d) is outside 0..<\(dim)"
        case .fixedAndVaried(let d):
            "latent dimension \(d) is both varied and fixed"
        case let .fixedValue(d, value):
            "fixed value of latent dimension \(d) must be finite, got \(value)"
        case let .imageShape(count, height, width, channels):
            "image batch needs count ≥ 0 and positive height, width and channels, got \(count)×\(height)×\(width)×\(channels)"
        case let .imageCount(values, count, height, width, channels):
            "\(values) values do not match \(count) images of \(height)×\(width)×\(channels) (expected \(count * height * width * channels))"
        case let .maskSize(size, height, width):
            "mask size must be between 1 and \(min(height, width)) for \(height)×\(width) images, got \(size)"
        case let .maskCorner(y, x, size, height, width):
            "a \(size)×\(size) mask at (y: \(y), x: \(x)) does not fit \(height)×\(width) images (y in 0...\(height - size), x in 0...\(width - size))"
        case .noiseSigma(let s):
            "noise sigma must be finite and at least 0, got \(s)"
        case .histogramBins(let n):
            "histogram needs at least 1 bin, got \(n)"
        case let .histogramRange(low, high):
            "histogram range must be finite, got \(low)...\(high)"
        }
    }
}
