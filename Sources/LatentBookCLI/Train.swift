import ArgumentParser
import Datasets
import Engine
import Foundation
import ReportModel
import Runtime

enum DatasetChoice: String, ExpressibleByArgument, CaseIterable {
    case mnist
    case fashionMNIST = "fashion-mnist"
    case colorizedMNIST = "colorized-mnist"
}

extension Loss: ExpressibleByArgument {}
extension Split: ExpressibleByArgument {}

/// Options shared by every command that loads data.
struct DataOptions: ParsableArguments {
    @Option(help: "Dataset: mnist, fashion-mnist or colorized-mnist.")
    var dataset: DatasetChoice = .mnist
    @Option(help: "Split: train, test, or all (train then test, the Keras VAE example's 70,000 images).")
    var split: Split = .train
    @Option(help: "Use only the first N images.")
    var limit: Int?
    @Option(name: .customLong("color-bias"), help: "colorized-mnist: probability that a digit gets its class's color.")
    var colorBias: Double = 0.9
    @Option(help: "Directory holding mnist/ and fashion-mnist/ (default: $LATENTBOOK_DATA, then data/).")
    var data: String?

    func load(seed: UInt64) throws -> ImageSet {
        let colorized = dataset == .colorizedMNIST
        let recipe = DatasetRecipe(source: dataset.rawValue, split: split.rawValue, limit: limit,
                                   bias: colorized ? colorBias : nil, background: colorized ? false : nil, seed: colorized ? seed : nil)
        return try recipe.load(from: try DataDirectory.resolve(explicit: data))
    }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train an autoencoder and save a safetensors checkpoint.")

    @Option(help: "Architecture: \(Presets.names.joined(separator: ", ")).")
    var arch = "baseline"
    @Option(help: "Latent size.")
    var latent = 2
    @Option(help: "Reconstruction loss: bce or mse.")
    var loss: Loss = .bce
    @Option(help: "Epochs.")
    var epochs = 3
    @Option(help: "Batch size.")
    var batch = 128
    @Option(name: .customLong("lr"), help: "Adam learning rate.")
    var learningRate: Float = 1e-3
    @Flag(help: "Train a VAE: the encoder ends in the heads z_mean and z_log_var, z is sampled, the loss adds β · KL.")
    var variational = false
    @Option(help: "The VAE's KL weight β (default 1; needs --variational).")
    var beta: Double?
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "Random seed (weights, shuffling, colors).")
    var seed: UInt64 = 0
    @Option(help: "Threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Write the checkpoint here (rewritten after every epoch); an existing one is resumed.")
    var save: String?

    func validate() throws {
        guard latent >= 1 else { throw ValidationError("--latent must be at least 1") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--lr must be a positive number") }
        if let beta {
            guard variational else { throw ValidationError("--beta needs --variational") }
            guard beta >= 0, beta.isFinite else { throw ValidationError("--beta must be a number of at least 0") }
        }
    }

    func run() throws {
        installInterruptHandler()
        try reportingErrors {
            let data = try dataOptions.load(seed: seed)
            var spec = try Presets.spec(arch, input: data.sampleShape, latent: latent)
            spec.variational = variational
            let model = try Model(spec)
            print(model.summary)
            print("\ntraining on \(grouped(data.count)) images (\(data.name)), batch \(batch), \(threads) thread(s), seed \(seed), oneDNN \(OneDNN.isaName)")
            let config = TrainingConfig(loss: loss, epochs: epochs, batchSize: batch, optimizer: Adam(learningRate: learningRate),
                                        beta: variational ? beta ?? 1 : nil)
            // The train directive's path: checkpoint after every epoch, resume an existing one.
            let training = TrainingRun(model: model, config: config, seed: seed, threads: threads,
                                       checkpoint: save.map { URL(fileURLWithPath: $0) }, mismatch: .refuse)
            let progress = ProgressPrinter()
            let checkpoint = try training.run(data: data, progress: progress.handle,
                                                   resumed: { print("resuming \(save ?? "") after epoch \($0)") })
            let history = checkpoint.state.history
            let seconds = history.reduce(0) { $0 + $1.seconds }
            print("final \(lossText(history.last?.loss ?? .nan, history.last?.parts)) after \(history.count) epochs (\(formatFixed(seconds, 1)) s this run)")
            if let save { print("saved \(save)") }
        }
    }
}
