import Datasets
import Engine
import Foundation
import ReportModel

/// The typed value a cell hands to the cells that use it.
public enum CellValue: Sendable {
    /// How to load a dataset; the images are loaded only when a cell that needs them executes.
    case dataset(DatasetRecipe)
    case model(TrainedModel)
    case latents(Latents)
    case images(ImageCollection)
    case scores(Scores)
    /// Plots: outputs only.
    case figure
}

public struct DatasetRecipe: Codable, Hashable, Sendable {
    public var source: String       // mnist, fashion-mnist, colorized-mnist
    public var split: String
    public var limit: Int?
    public var bias: Double?
    public var background: Bool?
    public var seed: UInt64?

    public init(source: String, split: String, limit: Int? = nil, bias: Double? = nil, background: Bool? = nil, seed: UInt64? = nil) {
        self.source = source; self.split = split; self.limit = limit; self.bias = bias; self.background = background; self.seed = seed
    }

    private var kind: DatasetKind { (DatasetDirective.Source(rawValue: source) ?? .mnist).kind }
    private var parts: Split { Split(rawValue: split) ?? .train }

    /// The canonical files it reads (images and labels per split), with their checksums.
    public var dataFiles: [DataChecksum] { DatasetRecipe.checksums(source: kind, split: parts) }

    static func checksums(source kind: DatasetKind, split: Split) -> [DataChecksum] {
        (split == .all ? [.train, .test] : [split]).flatMap { part in
            [IDXKind.images, .labels].compactMap { ExpectedFile.canonical(kind, split: part, kind: $0).checksum }
        }
    }

    /// The images, checked against their canonical checksums (and tinted, for colorized-mnist).
    public func load(from dataDirectory: URL) throws -> ImageSet {
        let set = try ImageSet.load(kind, split: parts, from: dataDirectory, limit: limit)
        guard source == "colorized-mnist" else { return set }
        return try ImageSet.colorized(set, bias: bias ?? 0.9, background: background ?? false, seed: seed ?? 0)
    }
}

public struct TrainedModel: Sendable {
    public var checkpoint: Checkpoint
    public var seconds: Double
    public var threads: Int
}

public struct Latents: Sendable {
    public var dim: Int
    public var values: [Float]
    public var labels: [UInt8]
    public var colors: [UInt8]?
    public var count: Int { labels.count }
}

/// Images with an optional layout: `rows` of `columns` (row-major), labelled.
public struct ImageCollection: Sendable {
    public var height, width, channels: Int
    public var pixels: [Float]
    public var count: Int { pixels.count / max(1, height * width * channels) }
}

public struct Scores: Sendable {
    /// Per-image reconstruction error of the data, and of the comparison data if any.
    public var errors: [Double]
    public var versus: [Double]?
    public var names: [String]
}

/// A finished cell: its value, its report outputs, its metrics, and how long it took.
public struct CellResult: Sendable {
    public var value: CellValue
    public var outputs: [Output]
    public var metrics: [String: Metric]
    /// Bulk data that outputs refer to by name (image grids' pixels).
    public var tensors: [String: Pixels]
    public var seconds: Double

    /// The data files the result was computed from, for the report's provenance table.
    public var dataFiles: [DataFile] {
        guard case .dataset(let recipe) = value else { return [] }
        return recipe.dataFiles.map { DataFile(file: $0.file, sha256: $0.sha256) }
    }

    public init(value: CellValue, outputs: [Output] = [], metrics: [String: Metric] = [:],
                tensors: [String: Pixels] = [:], seconds: Double = 0) {
        self.value = value; self.outputs = outputs; self.metrics = metrics; self.tensors = tensors; self.seconds = seconds
    }
}
