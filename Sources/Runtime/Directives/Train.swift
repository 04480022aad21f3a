import Datasets
import Engine
import Foundation

/// `train`: an autoencoder trained on a dataset cell, from a preset or a layer list.
/// Checkpoints every epoch, so an interrupted run resumes at the last finished epoch.
struct TrainDirective: Directive {
    let name = "train"
    let summary = "Train an autoencoder."
    let resultKind = ResultKind.model
    let example = "```train ae\ndata: digits\narch: baseline\nlatent: 2\nloss: bce\nepochs: {quick: 5, full: 30}\nbatch: 128\ncaption: The baseline of the assignment\n```"
    let options: [OptionSpec] = [
        OptionSpec("data", .cell([.dataset]), required: true, help: "The dataset cell to train on."),
        OptionSpec("arch", .choice(Presets.names), help: "A preset architecture (default baseline): baseline, deep, dense or residual."),
        OptionSpec("encoder", .layers, help: "Instead of arch: the encoder's layers, ending in a dense layer of the latent size."),
        OptionSpec("decoder", .layers, help: "Instead of arch: the decoder's layers, ending with the input's shape."),
        OptionSpec("latent", .int(1...256), default: .int(2), help: "Latent size."),
        OptionSpec("loss", .choice(Loss.allCases.map(\.rawValue)), default: .string("bce"), help: "Reconstruction loss: bce or mse."),
        OptionSpec("epochs", .int(1...1000), default: .int(3), help: "Epochs."),
        OptionSpec("batch", .int(1...8192), default: .int(128), help: "Batch size."),
        OptionSpec("lr", .number(1e-6...1), default: .number(1e-3), help: "Adam learning rate."),
    ] + presentationOptions

    func check(_ o: ResolvedOptions) -> [(String, String)] {
        switch (o["arch"], o["encoder"], o["decoder"]) {
        case (.some, .some, _), (.some, _, .some): return [("arch", "give either arch or encoder and decoder, not both")]
        case (nil, .some, nil): return [("encoder", "a custom architecture needs decoder too")]
        case (nil, nil, .some): return [("decoder", "a custom architecture needs encoder too")]
        default: return []
        }
    }

    func execute(_ context: ExecutionContext) throws -> CellResult {
        let o = context.options
        let data = try context.dataset("data")
        let latent = o.int("latent")!
        let spec: ModelSpec
        if case .layers(let encoder)? = o["encoder"], case .layers(let decoder)? = o["decoder"] {
            spec = ModelSpec(input: data.sampleShape, latent: latent, encoder: encoder, decoder: decoder)
        } else {
            spec = try Presets.spec(o.string("arch") ?? "baseline", input: data.sampleShape, latent: latent)
        }
        let model = try Model(spec)
        let config = TrainingConfig(loss: Loss(rawValue: o.string("loss")!)!, epochs: o.int("epochs")!,
                                    batchSize: o.int("batch")!, optimizer: Adam(learningRate: Float(o.double("lr")!)))
        let notes = ["seed": String(context.seed), "data": data.name,
                     "data_sha256": data.sources.map { "\($0.file)=\($0.sha256)" }.joined(separator: ",")]
        // Before any allocation: the trainer refuses a model too large for memory.
        let trainer = try Trainer(model: model, config: config, threads: context.threads)
        var start = TrainingState.initial(model, seed: context.seed)
        if let bytes = FileManager.default.contents(atPath: context.partialURL.path) {
            do {
                let partial = try Checkpoint(SafeTensors(decoding: [UInt8](bytes)))
                if partial.canContinue(spec: spec, config: config, notes: notes) {
                    start = partial.state
                    context.log("  resuming '\(context.cellName)' after epoch \(partial.state.history.count)")
                }
            } catch {
                // Only a damaged file gets here (it is written atomically): start over, and say so.
                context.log("warning: the partial checkpoint of '\(context.cellName)' is unreadable (\(error)); training from the start")
            }
        }
        let order = EpochOrder(count: data.count, seed: context.seed)
        let state = try trainer.train(data: data, from: start, order: order.permutation(epoch:), progress: { event in
            switch event {
            case let .step(epoch, epochs, step, steps, loss, rate, eta):
                context.progress("  \(context.cellName): epoch \(epoch)/\(epochs) step \(step)/\(steps) loss \(formatFixed(loss, 4)) "
                                 + "\(grouped(Int(rate))) img/s ETA \(Int(eta.rounded()))s")
            case .epochEnd(let r):
                context.progress("")
                context.log("  \(context.cellName): epoch \(r.epoch)/\(config.epochs) loss \(formatFixed(r.loss, 4)) "
                            + "\(formatFixed(r.seconds, 1)) s \(grouped(Int(r.imagesPerSecond))) img/s")
            }
        }, epochFinished: { state in
            let checkpoint = Checkpoint(spec: spec, config: config, state: state, notes: notes)
            try AtomicFile.write(try checkpoint.safetensors().encoded(), to: context.partialURL)
        })
        return TrainDirective.result(model: model, checkpoint: Checkpoint(spec: spec, config: config, state: state, notes: notes),
                                     images: data.count, threads: context.threads)
    }

    static func result(model: Model, checkpoint: Checkpoint, images: Int, threads: Int) -> CellResult {
        let history = checkpoint.state.history
        let seconds = history.reduce(0) { $0 + $1.seconds }
        let last = history.last!
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
