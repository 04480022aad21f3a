import ReportModel

/// An autoencoder: an input shape (H, W, C), an encoder ending in a `latent`-sized vector and a
/// decoder mapping it back to the input shape.
public struct ModelSpec: Codable, Hashable, Sendable {
    public var input: [Int]
    public var latent: Int
    public var encoder: [LayerSpec]
    public var decoder: [LayerSpec]
    /// A VAE: the encoder's last layer (a dense layer of the latent size) becomes the two heads
    /// z_mean and z_log_var, and a sampled z feeds the decoder in training.
    public var variational: Bool

    public init(input: [Int], latent: Int, encoder: [LayerSpec], decoder: [LayerSpec], variational: Bool = false) {
        self.input = input; self.latent = latent; self.encoder = encoder; self.decoder = decoder; self.variational = variational
    }

    enum CodingKeys: String, CodingKey { case input, latent, encoder, decoder, variational }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        input = try c.decode([Int].self, forKey: .input)
        latent = try c.decode(Int.self, forKey: .latent)
        encoder = try c.decode([LayerSpec].self, forKey: .encoder)
        self.decoder = try c.decode([LayerSpec].self, forKey: .decoder)
        variational = try c.decodeIfPresent(Bool.self, forKey: .variational) ?? false
    }

    /// An autoencoder's JSON is what it was before VAEs existed: `variational` only when true.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(input, forKey: .input)
        try c.encode(latent, forKey: .latent)
        try c.encode(self.encoder, forKey: .encoder)
        try c.encode(decoder, forKey: .decoder)
        if variational { try c.encode(true, forKey: .variational) }
    }
}

public enum ModelError: UserError, Equatable {
    case unknownPreset(String)
    case invalidInput([Int])
    case invalidLatent(Int)
    case invalidLayer(part: String, index: Int, reason: String, hint: String? = nil)
    case encoderOutput(got: [Int], latent: Int)
    case decoderOutput(got: [Int], expected: [Int])
    case stridesDoNotDivide(preset: String, input: [Int], divisor: Int)
    case variationalHead(String)

    public var message: String {
        switch self {
        case .unknownPreset(let name):
            "unknown architecture '\(name)'\(didYouMean(name, among: Presets.names))"
        case .invalidInput(let s):
            "input shape \(shapeText(s)) is not (height, width, channels) with 1 or 3 channels"
        case .invalidLatent(let n):
            "latent size must be at least 1, got \(n)"
        case let .invalidLayer(part, index, reason, _):
            "\(part) layer \(index): \(reason)"
        case let .encoderOutput(got, latent):
            "the encoder ends with shape \(shapeText(got)) but the latent size is \(latent)"
        case let .decoderOutput(got, expected):
            "the decoder ends with shape \(shapeText(got)) but must reproduce the input shape \(shapeText(expected))"
        case .variationalHead(let found):
            "a variational encoder must end in a linear dense layer of the latent size, not \(found)"
        case let .stridesDoNotDivide(preset, input, divisor):
            "architecture '\(preset)' needs an input whose height and width are multiples of \(divisor), got \(shapeText(input))"
        }
    }

    public var hint: String? {
        switch self {
        case .unknownPreset: "the presets are " + Presets.names.joined(separator: ", ")
        case .invalidLayer(_, _, _, let hint): hint
        case .encoderOutput(_, let latent): "end the encoder with a dense layer of \(latent) units"
        case .decoderOutput(_, let expected): "end the decoder with a layer whose output is \(shapeText(expected)), e.g. a reshape or a convolution with \(expected.last ?? 1) filters"
        case .stridesDoNotDivide: "give encoder and decoder layer lists that fit the images"
        case .variationalHead: "its two copies become the heads z_mean and z_log_var; end the encoder with e.g. dense: {units: 2}"
        case .invalidInput, .invalidLatent: nil
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
