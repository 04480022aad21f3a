/// The named architectures of the assignment. Each is a function of the input shape and latent size.
public enum Presets {
    public static let names = ["baseline", "deep", "dense", "residual"]

    public static func spec(_ name: String, input: [Int], latent: Int) throws(ModelError) -> ModelSpec {
        guard input.count == 3, input[0] > 0, input[1] > 0, [1, 3].contains(input[2]) else { throw .invalidInput(input) }
        guard latent >= 1 else { throw .invalidLatent(latent) }
        let (h, w, c) = (input[0], input[1], input[2])
        let conv = { (f: Int, s: Int) in LayerSpec.conv2d(filters: f, kernel: 3, stride: s, padding: .same, activation: .relu) }
        let deconv = { (f: Int, s: Int) in LayerSpec.conv2dTranspose(filters: f, kernel: 3, stride: s, padding: .same, activation: .relu) }
        let output = LayerSpec.conv2dTranspose(filters: c, kernel: 3, stride: 1, padding: .same, activation: .sigmoid)
        let head: [LayerSpec] = [.flatten, .dense(units: 16, activation: .relu), .dense(units: latent, activation: .linear)]
        func quarter() throws(ModelError) -> (Int, Int) {
            guard h % 4 == 0, w % 4 == 0 else { throw .stridesDoNotDivide(preset: name, input: input, divisor: 4) }
            return (h / 4, w / 4)
        }
        switch name {
        case "baseline":
            // The Keras VAE example turned into a plain autoencoder.
            let (qh, qw) = try quarter()
            return ModelSpec(input: input, latent: latent,
                             encoder: [conv(32, 2), conv(64, 2)] + head,
                             decoder: [.dense(units: qh * qw * 64, activation: .relu), .reshape([qh, qw, 64]),
                                       deconv(64, 2), deconv(32, 2), output])
        case "deep":
            // One more 128-filter stage on each side, kept symmetric.
            let (qh, qw) = try quarter()
            return ModelSpec(input: input, latent: latent,
                             encoder: [conv(32, 2), conv(64, 2), conv(128, 1)] + head,
                             decoder: [.dense(units: qh * qw * 128, activation: .relu), .reshape([qh, qw, 128]),
                                       deconv(128, 2), deconv(64, 2), deconv(32, 1), output])
        case "dense":
            // Fully connected: no spatial structure is assumed.
            return ModelSpec(input: input, latent: latent,
                             encoder: [.flatten, .dense(units: 512, activation: .relu), .dense(units: 128, activation: .relu),
                                       .dense(units: latent, activation: .linear)],
                             decoder: [.dense(units: 128, activation: .relu), .dense(units: 512, activation: .relu),
                                       .dense(units: h * w * c, activation: .sigmoid), .reshape(input)])
        case "residual":
            // The baseline with a residual block after each resolution change.
            let (qh, qw) = try quarter()
            return ModelSpec(input: input, latent: latent,
                             encoder: [conv(32, 2), .residual(filters: 32, stride: 1), conv(64, 2), .residual(filters: 64, stride: 1)] + head,
                             decoder: [.dense(units: qh * qw * 64, activation: .relu), .reshape([qh, qw, 64]),
                                       deconv(64, 2), .residual(filters: 64, stride: 1),
                                       deconv(32, 2), .residual(filters: 32, stride: 1), output])
        default:
            throw .unknownPreset(name)
        }
    }
}
