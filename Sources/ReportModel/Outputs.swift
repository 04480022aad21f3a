import Foundation

/// What a run produces for a reader, as data: outputs (text, tables, figures, image grids) and
/// metrics. Runtime makes them, Render draws them, JSON carries them; nothing here computes.

/// One value a prose reference (`{{cell.field}}`) or a bar chart can cite; in JSON a plain
/// number or string.
public enum Metric: Codable, Hashable, Sendable {
    case number(Double)
    case text(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let x = try? c.decode(Double.self) { self = .number(x) } else { self = .text(try c.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let x) where x.isFinite: try c.encode(x)
        case .number(let x): try c.encode(String(x))  // JSON has no NaN or infinity
        case .text(let s): try c.encode(s)
        }
    }

    /// How a metric reads in prose: integers grouped, other numbers to 4 significant digits.
    public var display: String {
        switch self {
        case .text(let s): return s
        case .number(let x):
            if x.isNaN { return "n/a" }
            if x == x.rounded(), abs(x) < 1e15 { return grouped(Int(x)) }
            return formatFixed(x, Metric.decimals(x))
        }
    }

    /// Digits after the point for 4 significant digits (the magnitude is the digits before the
    /// point, or minus the zeros after it: 0.04558 has −1).
    static func decimals(_ x: Double) -> Int {
        guard x != 0, x.isFinite else { return 0 }
        return max(0, 4 - (Int(floor(log10(abs(x)))) + 1))
    }

    /// The fields a repeated cell (`seeds: N`) adds beside each numeric field `f`: `f_sd`, `f_n`.
    public static let spreadSuffix = "_sd", countSuffix = "_n"

    /// A mean with its spread (repeated seeds) as prose shows it: "152.3 ± 1.2", the spread to
    /// the mean's decimals; without a spread, or one of 0 (every seed gave the same: a parameter
    /// count), `display`.
    public func display(spread: Metric?) -> String {
        guard case .number(let mean) = self, case .number(let sd)? = spread, mean.isFinite, sd.isFinite, sd > 0 else { return display }
        let digits = mean == mean.rounded() ? 0 : Metric.decimals(mean)
        return "\(display) ± \(formatFixed(sd, min(digits, max(0, Metric.decimals(sd) - 2))))"
    }
}

public enum Output: Codable, Hashable, Sendable {
    case text(String)
    case table(Table)
    case figure(Figure)
    case images(ImageGrid)

    // In JSON one key naming the kind: {"table": {...}}, {"text": "..."}.
    private enum Kind: String, CodingKey { case text, table, figure, images }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Kind.self)
        guard c.allKeys.count == 1, let kind = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "an output has exactly one of text, table, figure, images"))
        }
        switch kind {
        case .text: self = .text(try c.decode(String.self, forKey: kind))
        case .table: self = .table(try c.decode(Table.self, forKey: kind))
        case .figure: self = .figure(try c.decode(Figure.self, forKey: kind))
        case .images: self = .images(try c.decode(ImageGrid.self, forKey: kind))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Kind.self)
        switch self {
        case .text(let text): try c.encode(text, forKey: .text)
        case .table(let table): try c.encode(table, forKey: .table)
        case .figure(let figure): try c.encode(figure, forKey: .figure)
        case .images(let grid): try c.encode(grid, forKey: .images)
        }
    }
}

public struct Table: Codable, Hashable, Sendable {
    public var title: String?
    public var columns: [String]
    public var rows: [[String]]
    /// Long tables (per-epoch logs) are shown folded.
    public var folded: Bool

    public init(title: String? = nil, columns: [String], rows: [[String]], folded: Bool = false) {
        self.title = title; self.columns = columns; self.rows = rows; self.folded = folded
    }
}

public struct Figure: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable { case line, scatter, histogram, bar, strip }
    /// A series of points; for histograms `x` holds the bin edges, one more than the counts in `y`.
    public struct Series: Codable, Hashable, Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        /// Per-point class (scatter coloring), parallel to x/y.
        public var groups: [Int]?
        /// Line charts: drawn dashed (held-out values beside a training curve), in the color of
        /// series `color` (default: its own position).
        public var dashed: Bool?
        public var color: Int?
        /// Line and bar charts over repeated seeds: `y` is the mean and this the standard
        /// deviation per point, drawn as a band around the line or as error bars.
        public var spread: [Double]?
        public init(name: String, x: [Double], y: [Double], groups: [Int]? = nil, dashed: Bool? = nil, color: Int? = nil,
                    spread: [Double]? = nil) {
            self.name = name; self.x = x; self.y = y; self.groups = groups; self.dashed = dashed; self.color = color
            self.spread = spread
        }
    }
    public var kind: Kind
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Names of scatter groups (digits, colors), indexed by `groups` values.
    public var groupNames: [String]?
    public var logY: Bool

    public init(kind: Kind, title: String, xLabel: String, yLabel: String, series: [Series], groupNames: [String]? = nil, logY: Bool = false) {
        self.kind = kind; self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.series = series; self.groupNames = groupNames; self.logY = logY
    }
}

public struct ImageGrid: Codable, Hashable, Sendable {
    /// Name of the tensor in the cell result holding `rows × columns` images, row-major.
    public var tensor: String
    public var rows, columns: Int
    public var height, width, channels: Int
    public var title: String
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// Latent coordinates along the axes of a decoded manifold, if it is one.
    public var xValues: [Double]?
    public var yValues: [Double]?
    /// The latent dimensions those axes vary ("z1", "z3").
    public var xName: String?
    public var yName: String?

    public init(tensor: String, rows: Int, columns: Int, height: Int, width: Int, channels: Int, title: String,
                rowLabels: [String] = [], columnLabels: [String] = [], xValues: [Double]? = nil, yValues: [Double]? = nil,
                xName: String? = nil, yName: String? = nil) {
        self.tensor = tensor; self.rows = rows; self.columns = columns
        self.height = height; self.width = width; self.channels = channels; self.title = title
        self.rowLabels = rowLabels; self.columnLabels = columnLabels; self.xValues = xValues; self.yValues = yValues
        self.xName = xName; self.yName = yName
    }
}

/// An image grid's pixels: `shape` [count, height, width, channels], values in [0, 1], NHWC.
public struct Pixels: Hashable, Sendable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape; self.values = values
    }
}

/// A data file a result was computed from, with the SHA-256 of its uncompressed bytes.
public struct DataFile: Codable, Hashable, Sendable {
    public var file: String
    public var sha256: String

    public init(file: String, sha256: String) { self.file = file; self.sha256 = sha256 }
}
