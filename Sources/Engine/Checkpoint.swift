import ReportModel
import Foundation

/// A trained (or half-trained) model as safetensors: every parameter tensor under its layer name
/// (readable as-is from Python), Adam's moments as two flat tensors, and in the metadata the
/// architecture, training settings and history as JSON, so a checkpoint alone can rebuild the
/// model and resume training.
public struct Checkpoint: Sendable, Equatable {
    public var spec: ModelSpec
    public var config: TrainingConfig
    public var state: TrainingState
    /// Seed and data facts the caller wants to keep next to the weights (free-form).
    public var notes: [String: String]

    public static let format = "latentbook-checkpoint-1"

    public init(spec: ModelSpec, config: TrainingConfig, state: TrainingState, notes: [String: String] = [:]) {
        self.spec = spec; self.config = config; self.state = state; self.notes = notes
    }

    /// Whether training described by (spec, config, notes) can continue from this checkpoint:
    /// same model, data and settings; only the epoch count may differ (to train further).
    public func canContinue(spec: ModelSpec, config: TrainingConfig, notes: [String: String]) -> Bool {
        var mine = self.config
        mine.epochs = config.epochs
        return self.spec == spec && mine == config && self.notes == notes
    }

    public func safetensors() throws -> SafeTensors {
        let model = try Model(spec)
        var tensors: [String: SafeTensors.Tensor] = [:]
        for t in model.parameterTensors {
            tensors[t.name] = .init(shape: t.shape, values: Array(state.params[t.offset..<(t.offset + t.count)]))
        }
        tensors["optimizer.adam.m"] = .init(shape: [state.m.count], values: state.m)
        tensors["optimizer.adam.v"] = .init(shape: [state.v.count], values: state.v)
        var metadata = notes
        metadata["format"] = Checkpoint.format
        metadata["architecture"] = try json(spec)
        metadata["training"] = try json(config)
        metadata["history"] = try json(state.history)
        metadata["optimizer_step"] = String(state.step)
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    public init(_ file: SafeTensors) throws(CheckpointError) {
        let meta = file.metadata
        guard meta["format"] == Checkpoint.format else { throw .notACheckpoint(found: meta["format"]) }
        func decode<T: Decodable>(_ key: String, as: T.Type) throws(CheckpointError) -> T {
            guard let text = meta[key] else { throw .missingMetadata(key) }
            do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch { throw .badMetadata(key) }
        }
        let spec = try decode("architecture", as: ModelSpec.self)
        let config = try decode("training", as: TrainingConfig.self)
        let history = try decode("history", as: [EpochRecord].self)
        guard let stepText = meta["optimizer_step"], let step = Int(stepText), step >= 0 else { throw .badMetadata("optimizer_step") }
        let model: Model
        do { model = try Model(spec) } catch { throw .badArchitecture(error.description) }
        var params = [Float](repeating: 0, count: model.parameterCount)
        for t in model.parameterTensors {
            guard let tensor = file.tensors[t.name] else { throw .missingTensor(t.name) }
            guard tensor.shape == t.shape else { throw .shapeMismatch(name: t.name, found: tensor.shape, expected: t.shape) }
            params.replaceSubrange(t.offset..<(t.offset + t.count), with: tensor.values)
        }
        func moment(_ name: String) throws(CheckpointError) -> [Float] {
            guard let tensor = file.tensors[name] else { throw .missingTensor(name) }
            guard tensor.shape == [model.parameterCount] else {
                throw .shapeMismatch(name: name, found: tensor.shape, expected: [model.parameterCount])
            }
            return tensor.values
        }
        self.spec = spec
        self.config = config
        self.state = TrainingState(params: params, m: try moment("optimizer.adam.m"), v: try moment("optimizer.adam.v"),
                                   step: step, history: history)
        self.notes = meta.filter { !["format", "architecture", "training", "history", "optimizer_step"].contains($0.key) }
    }
}

public enum CheckpointError: UserError, Equatable {
    case notACheckpoint(found: String?)
    case missingMetadata(String)
    case badMetadata(String)
    case badArchitecture(String)
    case missingTensor(String)
    case shapeMismatch(name: String, found: [Int], expected: [Int])

    public var message: String {
        switch self {
        case .notACheckpoint(let found):
            "not a LatentBook checkpoint (metadata 'format' is \(found.map { "'\($0)'" } ?? "missing"), expected '\(Checkpoint.format)')"
        case .missingMetadata(let key): "checkpoint metadata has no '\(key)' entry"
        case .badMetadata(let key): "checkpoint metadata '\(key)' cannot be read"
        case .badArchitecture(let reason): "checkpoint architecture is invalid: \(reason)"
        case .missingTensor(let name): "checkpoint has no tensor '\(name)'"
        case let .shapeMismatch(name, found, expected):
            "checkpoint tensor '\(name)' has shape \(shapeText(found)) but the architecture needs \(shapeText(expected))"
        }
    }
}

private func json<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
