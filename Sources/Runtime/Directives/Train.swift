import Datasets
import Engine
import Foundation
import ReportModel

/// `train`: an autoencoder trained on a dataset cell, from a preset or a layer list.
/// Checkpoints every epoch, so an interrupted run resumes at the last finished epoch.
struct TrainDirective: Directive {
    let name = "train"
    let summary = "Train an autoencoder."
    let resultKind = ResultKind.model
    let example = "```train ae\ndata: digits\narch: baseline\nlatent: 2\nloss: bce\nepochs: {quick: 5, full: 30}\nbatch: 128\ncaption: The baseline of the assignment\n```"

    struct Options: DirectiveOptions {
        var data = CellName("")
        var arch: String?
        var encoder: LayerList?
        var decoder: LayerList?
        var latent = 2
        var loss = Loss.bce
        var epochs = 3
        var batch = 128
        var lr = 1e-3
        // Optional, so that an autoencoder's cache key is what it was before VAEs existed.
        var variational: Bool?
        var beta: Double?
        var validation: CellName?
        var seeds = 1

        static let fields: [OptionField<Options>] = [
            OptionField("data", \.data, .cell([.dataset]), required: true, help: "The dataset cell to train on."),
            OptionField("arch", \.arch, .choice(Presets.names), help: "A preset architecture (default baseline): baseline, deep, dense or residual."),
            OptionField("encoder", \.encoder, .layers, help: "Instead of arch: the encoder's layers, ending in a dense layer of the latent size."),
            OptionField("decoder", \.decoder, .layers, help: "Instead of arch: the decoder's layers, ending with the input's shape."),
            OptionField("latent", \.latent, .int(1...256), help: "Latent size."),
            OptionField("loss", \.loss, help: "Reconstruction loss: bce or mse."),
            OptionField("epochs", \.epochs, .int(1...1000), help: "Epochs."),
            OptionField("batch", \.batch, .int(1...8192), help: "Batch size."),
            OptionField("lr", \.lr, .number(1e-6...1), help: "Adam learning rate."),
            OptionField("variational", \.variational, .bool,
                        help: "A VAE (default false): the encoder ends in the heads z_mean and z_log_var, z is sampled, the loss adds β · KL."),
            OptionField("beta", \.beta, .number(0...1000), help: "A VAE's KL weight β (default 1)."),
            OptionField("validation", \.validation, .cell([.dataset]),
                        help: "A dataset cell of held-out images: their loss after every epoch (no gradient), as Keras's validation_data."),
            OptionField("seeds", \.seeds, .int(1...Plan.maximumReplicas),
                        help: "Train this many replicas, each with its own seed (the first is the cell's): every field of this cell and of the cells computed from it is then their mean, with f_sd and f_n beside it; tables and images show the first replica."),
        ]

        func check() -> [(String, String)] {
            switch (arch, encoder, decoder) {
            case (.some, .some, _), (.some, _, .some): [("arch", "give either arch or encoder and decoder, not both")]
            case (nil, .some, nil): [("encoder", "a custom architecture needs decoder too")]
            case (nil, nil, .some): [("decoder", "a custom architecture needs encoder too")]
            default: beta != nil && variational != true ? [("beta", "only applies with variational: true")] : []
            }
        }

        var isVariational: Bool { variational == true }

        var config: TrainingConfig {
            TrainingConfig(loss: loss, epochs: epochs, batchSize: batch, optimizer: Adam(learningRate: Float(lr)),
                           beta: isVariational ? beta ?? 1 : nil)
        }

        func spec(input: [Int]) throws -> ModelSpec {
            var spec = try encoder.flatMap { encoder in decoder.map { ModelSpec(input: input, latent: latent, encoder: encoder.layers, decoder: $0.layers) } }
                ?? Presets.spec(arch ?? "baseline", input: input, latent: latent)
            spec.variational = isVariational
            return spec
        }
    }

    func replicas(_ o: Options) -> Int { o.seeds }

    func execute(_ o: Options, in context: ExecutionContext) throws -> CellResult {
        let data = try context.dataset(o.data)
        let validation = try o.validation.map { try context.dataset($0) }
        let model = try Model(try o.spec(input: data.sampleShape))
        let training = TrainingRun(model: model, config: o.config, seed: context.seed,
                                   threads: context.threads, checkpoint: context.partialURL, mismatch: .startOver)
        let checkpoint = try training.run(
            data: data, validation: validation, progress: { try context.training($0, of: o.epochs) },
            resumed: { context.note("resuming '\(context.cellName)' after epoch \($0)") },
            warning: { context.warning("the partial checkpoint of '\(context.cellName)' \($0)") })
        return TrainDirective.result(model: model, checkpoint: checkpoint, images: data.count, threads: context.threads)
    }

    static func result(model: Model, checkpoint: Checkpoint, images: Int, threads: Int) -> CellResult {
        let history = checkpoint.state.history
        let seconds = history.reduce(0) { $0 + $1.seconds }
        guard let last = history.last else { preconditionFailure("training runs at least one epoch") }
        var outputs: [Output] = model.summary.tables.map { table in
            .table(Table(title: "Model: \(table.title) (\(grouped(table.totalParameters)) parameters)",
                         columns: ["Layer (type)", "Output shape", "Param #"],
                         rows: table.rows.map { ["\($0.name) (\($0.type))", "(None, " + $0.outputShape.map(String.init).joined(separator: ", ") + ")",
                                                 grouped($0.parameters)] }))
        }
        outputs.append(.text("final loss \(formatFixed(last.loss, 2)) after \(history.count) epoch\(history.count == 1 ? "" : "s") on \(grouped(images)) images: "
                             + "\(formatFixed(seconds, 1)) s, \(grouped(Int(Double(images * history.count) / max(seconds, 1e-9)))) img/s"))
        let variational = model.variational, validated = last.validationLoss != nil
        outputs.append(.table(Table(title: "Loss per epoch",
                                    columns: ["epoch", "loss"] + (variational ? ["reconstruction", "KL"] : []) + (validated ? ["validation loss"] : [])
                                        + ["seconds", "images/s"],
                                    rows: history.map { r in
                                        [String(r.epoch), formatFixed(r.loss, 4)]
                                            + (r.parts.map { [formatFixed($0.reconstruction, 4), formatFixed($0.kl, 4)] } ?? [])
                                            + (r.validationLoss.map { [formatFixed($0, 4)] } ?? [])
                                            + [formatFixed(r.seconds, 2), grouped(Int(r.imagesPerSecond))]
                                    },
                                    folded: true)))
        var metrics: [String: Metric] = [
            "final_loss": .number(last.loss), "first_loss": .number(history[0].loss),
            // Negative while the loss still falls: whether the last epoch still helped.
            "last_epoch_change": .number(history.count > 1 ? last.loss - history[history.count - 2].loss : 0),
            "epochs": .number(Double(history.count)), "seconds": .number(seconds),
            "seconds_per_epoch": .number(seconds / Double(history.count)),
            "images_per_second": .number(Double(images * history.count) / max(seconds, 1e-9)),
            "parameters": .number(Double(model.parameterCount)), "latent": .number(Double(model.spec.latent)),
            "images": .number(Double(images)), "loss": .text(checkpoint.config.loss.rawValue),
        ]
        if let validation = last.validationLoss, let first = history[0].validationLoss {
            metrics["final_val_loss"] = .number(validation)
            metrics["first_val_loss"] = .number(first)
            metrics["best_val_loss"] = .number(history.compactMap(\.validationLoss).min() ?? validation)
            metrics["best_val_epoch"] = .number(Double(history.min { ($0.validationLoss ?? .infinity) < ($1.validationLoss ?? .infinity) }?.epoch ?? last.epoch))
        }
        if let parts = last.parts, let first = history[0].parts {
            metrics["final_reconstruction"] = .number(parts.reconstruction)
            metrics["final_kl"] = .number(parts.kl)
            metrics["first_reconstruction"] = .number(first.reconstruction)
            metrics["first_kl"] = .number(first.kl)
            metrics["beta"] = .number(checkpoint.config.beta ?? 1)
        }
        return CellResult(value: .model(TrainedModel(checkpoint: checkpoint, seconds: seconds, threads: threads)),
                          outputs: outputs, metrics: metrics)
    }
}
