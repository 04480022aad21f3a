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
        ]

        func check() -> [(String, String)] {
            switch (arch, encoder, decoder) {
            case (.some, .some, _), (.some, _, .some): [("arch", "give either arch or encoder and decoder, not both")]
            case (nil, .some, nil): [("encoder", "a custom architecture needs decoder too")]
            case (nil, nil, .some): [("decoder", "a custom architecture needs encoder too")]
            default: []
            }
        }

        var config: TrainingConfig {
            TrainingConfig(loss: loss, epochs: epochs, batchSize: batch, optimizer: Adam(learningRate: Float(lr)))
        }

        func spec(input: [Int]) throws -> ModelSpec {
            if let encoder, let decoder { return ModelSpec(input: input, latent: latent, encoder: encoder.layers, decoder: decoder.layers) }
            return try Presets.spec(arch ?? "baseline", input: input, latent: latent)
        }
    }

    func execute(_ o: Options, in context: ExecutionContext) throws -> CellResult {
        let data = try context.dataset(o.data)
        let model = try Model(try o.spec(input: data.sampleShape))
        let training = TrainingRun(model: model, config: o.config, seed: context.seed,
                                   threads: context.threads, checkpoint: context.partialURL, mismatch: .startOver)
        let checkpoint = try training.run(
            data: data, progress: { try context.training($0, of: o.epochs) },
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
        outputs.append(.table(Table(title: "Loss per epoch", columns: ["epoch", "loss", "seconds", "images/s"],
                                    rows: history.map { [String($0.epoch), formatFixed($0.loss, 4), formatFixed($0.seconds, 2), grouped(Int($0.imagesPerSecond))] },
                                    folded: true)))
        let metrics: [String: Metric] = [
            "final_loss": .number(last.loss), "first_loss": .number(history[0].loss),
            "epochs": .number(Double(history.count)), "seconds": .number(seconds),
            "seconds_per_epoch": .number(seconds / Double(history.count)),
            "images_per_second": .number(Double(images * history.count) / max(seconds, 1e-9)),
            "parameters": .number(Double(model.parameterCount)), "latent": .number(Double(model.spec.latent)),
            "images": .number(Double(images)), "loss": .text(checkpoint.config.loss.rawValue),
        ]
        return CellResult(value: .model(TrainedModel(checkpoint: checkpoint, seconds: seconds, threads: threads)),
                          outputs: outputs, metrics: metrics)
    }
}
