import Engine
import Foundation
import ReportModel

/// A cell result on disk is one safetensors payload (inside a store entry):
/// - metadata `latentbook.result`: JSON with the kind, outputs, metrics, seconds and the value's
///   small fields;
/// - tensors: the value's arrays (`value.latents`, `value.labels`, `value.images`, `value.errors`,
///   …) and the outputs' pixels (`grid.0`, …).
/// A model result is additionally a complete checkpoint (`encoder.0.kernel`, …, with the
/// checkpoint metadata), so `Checkpoint(SafeTensors(decoding:))` and Python's safetensors read it.
enum ResultCodec {
    static let metadataKey = "latentbook.result"

    private struct Header: Codable {
        var kind: ResultKind
        var outputs: [Output]
        var metrics: [String: Metric]
        var seconds: Double
        var dataset: DatasetRecipe?
        var latentDim: Int?
        var hasColors: Bool?
        var imageShape: [Int]?
        var scoreNames: [String]?
        var threads: Int?
    }

    static func encode(_ r: CellResult) throws -> [UInt8] {
        var file = SafeTensors(tensors: r.tensors.mapValues { SafeTensors.Tensor(shape: $0.shape, values: $0.values) })
        var header = Header(kind: .figure, outputs: r.outputs, metrics: r.metrics, seconds: r.seconds)
        func put(_ name: String, _ values: [Float]) { file.tensors[name] = .init(shape: [values.count], values: values) }
        switch r.value {
        case .dataset(let recipe):
            header.kind = .dataset; header.dataset = recipe
        case .model(let m):
            header.kind = .model; header.threads = m.threads
            let checkpoint = try m.checkpoint.safetensors()
            file.tensors.merge(checkpoint.tensors) { a, _ in a }
            file.metadata = checkpoint.metadata
        case .latents(let z):
            header.kind = .latents; header.latentDim = z.dim; header.hasColors = z.colors != nil
            put("value.latents", z.values)
            put("value.labels", z.labels.map(Float.init))
            if let c = z.colors { put("value.colors", c.map(Float.init)) }
        case .images(let im):
            header.kind = .images; header.imageShape = [im.height, im.width, im.channels]
            put("value.images", im.pixels)
        case .scores(let s):
            header.kind = .scores; header.scoreNames = s.names
            put("value.errors", s.errors.map(Float.init))
            if let v = s.versus { put("value.versus", v.map(Float.init)) }
        case .figure:
            header.kind = .figure
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        file.metadata[metadataKey] = String(decoding: try encoder.encode(header), as: UTF8.self)
        return file.encoded()
    }

    struct Corrupt: Error, CustomStringConvertible { let description: String }

    static func decode(_ bytes: [UInt8]) throws -> CellResult {
        let file = try SafeTensors(decoding: bytes)
        guard let json = file.metadata[metadataKey],
              let header = try? JSONDecoder().decode(Header.self, from: Data(json.utf8)) else {
            throw Corrupt(description: "cache entry has no readable result header")
        }
        func tensor(_ name: String) throws -> [Float] {
            guard let t = file.tensors[name] else { throw Corrupt(description: "cache entry lacks tensor '\(name)'") }
            return t.values
        }
        let value: CellValue
        switch header.kind {
        case .dataset:
            guard let recipe = header.dataset else { throw Corrupt(description: "cache entry lacks its dataset recipe") }
            value = .dataset(recipe)
        case .model:
            value = .model(TrainedModel(checkpoint: try Checkpoint(file), seconds: header.seconds, threads: header.threads ?? 0))
        case .latents:
            value = .latents(Latents(dim: header.latentDim ?? 1, values: try tensor("value.latents"),
                                     labels: try tensor("value.labels").map { UInt8($0) },
                                     colors: header.hasColors == true ? try tensor("value.colors").map { UInt8($0) } : nil))
        case .images:
            let s = header.imageShape ?? [0, 0, 0]
            value = .images(ImageCollection(height: s[0], width: s[1], channels: s[2], pixels: try tensor("value.images")))
        case .scores:
            value = .scores(Scores(errors: try tensor("value.errors").map(Double.init),
                                   versus: file.tensors["value.versus"].map { $0.values.map(Double.init) },
                                   names: header.scoreNames ?? []))
        case .figure:
            value = .figure
        }
        let outputTensors = file.tensors.filter { $0.key.hasPrefix("grid.") }.mapValues { Pixels(shape: $0.shape, values: $0.values) }
        return CellResult(value: value, outputs: header.outputs, metrics: header.metrics, tensors: outputTensors, seconds: header.seconds)
    }
}
