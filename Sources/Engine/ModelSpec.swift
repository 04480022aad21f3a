import ReportModel

/// One layer of an architecture as a user describes it (the notebook exposes this as YAML;
/// checkpoints store it as JSON in their metadata).
public enum LayerSpec: Codable, Hashable, Sendable {
    case conv2d(filters: Int, kernel: Int, stride: Int, padding: Padding, activation: Activation)
    case conv2dTranspose(filters: Int, kernel: Int, stride: Int, padding: Padding, activation: Activation)
    case dense(units: Int, activation: Activation)
    case flatten
    case reshape([Int])
    case activation(Activation)
    case residual(filters: Int, stride: Int)

    var isShapeOnly: Bool {
        switch self {
        case .flatten, .reshape: true
        default: false
        }
    }

    /// The fused or stand-alone activation this layer ends with, if it can be peeled off.
    var trailingActivation: Activation? {
        switch self {
        case .conv2d(_, _, _, _, let a), .conv2dTranspose(_, _, _, _, let a), .dense(_, let a), .activation(let a): a
        case .flatten, .reshape, .residual: nil
        }
    }

    func withActivation(_ a: Activation) -> LayerSpec {
        switch self {
        case let .conv2d(f, k, s, p, _): .conv2d(filters: f, kernel: k, stride: s, padding: p, activation: a)
        case let .conv2dTranspose(f, k, s, p, _): .conv2dTranspose(filters: f, kernel: k, stride: s, padding: p, activation: a)
        case let .dense(u, _): .dense(units: u, activation: a)
        case .activation: .activation(a)
        case .flatten, .reshape, .residual: self
        }
    }
}

/// An autoencoder: an input shape (H, W, C), an encoder ending in a `latent`-sized vector and a
/// decoder mapping it back to the input shape.
public struct ModelSpec: Codable, Hashable, Sendable {
    public var input: [Int]
    public var latent: Int
    public var encoder: [LayerSpec]
    public var decoder: [LayerSpec]

    public init(input: [Int], latent: Int, encoder: [LayerSpec], decoder: [LayerSpec]) {
        self.input = input; self.latent = latent; self.encoder = encoder; self.decoder = decoder
    }
}

public enum ModelError: Error, Equatable, CustomStringConvertible {
    case unknownPreset(String)
    case invalidInput([Int])
    case invalidLatent(Int)
    case invalidLayer(part: String, index: Int, reason: String)
    case encoderOutput(got: [Int], latent: Int)
    case decoderOutput(got: [Int], expected: [Int])
    case stridesDoNotDivide(preset: String, input: [Int], divisor: Int)

    public var description: String {
        switch self {
        case .unknownPreset(let name):
            "unknown architecture '\(name)' (expected one of: \(Presets.names.joined(separator: ", ")))"
        case .invalidInput(let s):
            "input shape \(shapeText(s)) is not (height, width, channels) with 1 or 3 channels"
        case .invalidLatent(let n):
            "latent size must be at least 1, got \(n)"
        case let .invalidLayer(part, index, reason):
            "\(part) layer \(index): \(reason)"
        case let .encoderOutput(got, latent):
            "the encoder ends with shape \(shapeText(got)) but the latent size is \(latent)"
        case let .decoderOutput(got, expected):
            "the decoder ends with shape \(shapeText(got)) but must reproduce the input shape \(shapeText(expected))"
        case let .stridesDoNotDivide(preset, input, divisor):
            "architecture '\(preset)' needs an input whose height and width are multiples of \(divisor), got \(shapeText(input))"
        }
    }
}

func shapeText(_ s: [Int]) -> String { "(" + s.map(String.init).joined(separator: ", ") + ")" }

/// Number of elements of `shape`, or nil on overflow: a shape from a file or a notebook can be
/// anything, and a product that wrapped around could look right.
func elementCount(_ shape: [Int]) -> Int? {
    var count = 1
    for dim in shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: dim)
        if overflow { return nil }
        count = product
    }
    return count
}
