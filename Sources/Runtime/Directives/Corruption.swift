import Datasets
import Engine
import Foundation
import ReportModel

/// What `mask` and `noise` share: pick images, corrupt them at each level, reconstruct them,
/// show original / corrupted / reconstructed rows, and measure the error over more images —
/// at the shown levels and along an optional sweep.
struct CorruptionStudy {
    let levelName: String             // "size", "σ"
    let corruptedLabel: (Double) -> String
    let metricSuffix: (Double) -> String
    /// Corrupts `count` images (flat NHWC) at a level.
    let corrupt: (_ images: [Float], _ count: Int, _ level: Double, _ rng: inout SeededGenerator) throws -> [Float]

    func run(_ o: CorruptionOptions, _ context: ExecutionContext, levels: [Double], sweep: [Double]) throws -> CellResult {
        let trained = context.model(o.model)
        let model = try Model(trained.checkpoint.spec)
        let data = try context.dataset(o.data)
        try requireShape(data, model: model, option: "data")
        let params = trained.checkpoint.state.params
        let (h, w, c) = (data.height, data.width, data.channels)
        var pick = SeededGenerator(seed: context.seed, stream: "select")
        let order = Array(0..<data.count).shuffled(using: &pick)
        func reconstruct(_ x: [Float], _ n: Int) -> [Float] {
            model.run(.autoencoder, params: params, input: x, count: n, threads: context.threads)
        }

        // Shown examples: 3 rows per level.
        let shown = min(o.count, data.count)
        let originals = data.floats(order[..<shown])
        var pixels: [Float] = [], rowLabels: [String] = []
        for level in levels {
            // One stream for every level: the same noise pattern (or hole position) at each level,
            // so rows differ only by the level.
            var rng = SeededGenerator(seed: context.seed, stream: "corrupt-shown")
            let corrupted = try corrupt(originals, shown, level, &rng)
            pixels += originals + corrupted + reconstruct(corrupted, shown)
            rowLabels += ["original", corruptedLabel(level), "reconstructed"]
        }

        // Measured errors over `evaluate` images, for the shown levels and the sweep.
        let evaluated = min(o.evaluate, data.count)
        let truth = data.floats(order[..<evaluated])
        var rows: [[String]] = [], metrics: [String: Metric] = ["evaluated": .number(Double(evaluated))]
        var inputSeries: [Double] = [], outputSeries: [Double] = []
        let allLevels = Array(Set(levels + sweep)).sorted()
        for level in allLevels {
            var rng = SeededGenerator(seed: context.seed, stream: "corrupt-evaluated")
            let corrupted = try corrupt(truth, evaluated, level, &rng)
            let inputError = mean(perImageMSE(corrupted, truth, count: evaluated))
            let outputError = mean(perImageMSE(reconstruct(corrupted, evaluated), truth, count: evaluated))
            inputSeries.append(inputError); outputSeries.append(outputError)
            rows.append([formatLevel(level), formatFixed(inputError, 5), formatFixed(outputError, 5),
                         formatFixed(psnr(mse: inputError), 2), formatFixed(psnr(mse: outputError), 2)])
            metrics["input_mse_" + metricSuffix(level)] = .number(inputError)
            metrics["mse_" + metricSuffix(level)] = .number(outputError)
        }
        let clean = mean(perImageMSE(reconstruct(truth, evaluated), truth, count: evaluated))
        metrics["clean_mse"] = .number(clean)

        var outputs: [Output] = [
            .images(ImageGrid(tensor: "grid.0", rows: rowLabels.count, columns: shown, height: h, width: w, channels: c,
                              title: "Original, \(levelName == "size" ? "masked" : "noisy") and reconstructed images of '\(o.data.name)'",
                              rowLabels: rowLabels, columnLabels: [], xValues: nil, yValues: nil)),
            .table(Table(title: "Mean squared error against the clean images (\(grouped(evaluated)) images; clean reconstruction: \(formatFixed(clean, 5)))",
                         columns: [levelName, "corrupted input MSE", "reconstruction MSE", "input PSNR (dB)", "reconstruction PSNR (dB)"], rows: rows)),
        ]
        if allLevels.count > 2 {
            outputs.append(.figure(Figure(kind: .line, title: "Error against \(levelName)", xLabel: levelName, yLabel: "mean squared error",
                                          series: [.init(name: "corrupted input", x: allLevels, y: inputSeries),
                                                   .init(name: "reconstruction", x: allLevels, y: outputSeries)])))
        }
        return CellResult(value: .images(ImageCollection(height: h, width: w, channels: c, pixels: pixels)),
                          outputs: outputs, metrics: metrics,
                          tensors: ["grid.0": .init(shape: [rowLabels.count * shown, h, w, c], values: pixels)])
    }

    /// Shortest form: 10, 0.05, 0.4.
    func formatLevel(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? grouped(Int(x)) : "\(x)" }
}

func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }

/// The options `mask` and `noise` share.
struct CorruptionOptions: Sendable {
    var model = CellName("")
    var data = CellName("")
    var count = 8
    var evaluate = 1000

    static func fields<Options>(_ shared: WritableKeyPath<Options, CorruptionOptions>) -> [OptionField<Options>] {
        [
            OptionField("model", shared.appending(path: \.model), .cell([.model]), required: true, help: "The trained model cell."),
            OptionField("data", shared.appending(path: \.data), .cell([.dataset]), required: true, help: "The images to corrupt (usually a test set)."),
            OptionField("count", shared.appending(path: \.count), .int(1...32), help: "Images shown per level (picked at random with the cell's seed)."),
            OptionField("evaluate", shared.appending(path: \.evaluate), .int(1...10_000), help: "Images the errors are measured on."),
        ]
    }
}

/// `mask`: inpainting — square holes cut into images, then reconstructed.
struct MaskDirective: Directive {
    let name = "mask"
    let summary = "Inpainting: cut square holes and reconstruct."
    let resultKind = ResultKind.images
    let example = "```mask inpainting\nmodel: ae\ndata: digits\nsize: [10, 15]\nsweep: [2, 4, 6, 8, 12, 18, 22]\ncount: 8\n```"

    struct Options: DirectiveOptions {
        var shared = CorruptionOptions()
        var size = [10, 15]
        var sweep: [Int]?
        var position: [Int]?
        var fill = 0.0

        static let fields: [OptionField<Options>] = CorruptionOptions.fields(\.shared) + [
            OptionField("size", \.size, .list(.int(1...64), maxCount: 8), help: "Side of the square hole, in pixels; one row of examples per size."),
            OptionField("sweep", \.sweep, .list(.int(1...64), maxCount: 64), help: "More sizes at which only the error is measured (plotted against size)."),
            OptionField("position", \.position, .list(.int(0...255), maxCount: 2), help: "Top-left corner [y, x] of every hole (default: random, inside the image)."),
            OptionField("fill", \.fill, .number(0...1), help: "Value written into the hole."),
        ]

        func check() -> [(String, String)] {
            if let position, position.count != 2 { return [("position", "expects [y, x]")] }
            return []
        }
    }

    func execute(_ o: Options, in context: ExecutionContext) throws -> CellResult {
        let position = o.position.map { MaskPositions.fixed(y: $0[0], x: $0[1]) } ?? .random
        let fill = Float(o.fill)
        let data = try context.dataset(o.shared.data)
        let study = CorruptionStudy(levelName: "size", corruptedLabel: { "masked \(Int($0))×\(Int($0))" }, metricSuffix: { String(Int($0)) }) {
            images, count, level, rng in
            try squareMask(images: images, count: count, height: data.height, width: data.width, channels: data.channels,
                           size: Int(level), positions: position, fill: fill, rng: &rng).masked
        }
        return try study.run(o.shared, context, levels: o.size.map(Double.init), sweep: (o.sweep ?? []).map(Double.init))
    }
}

/// `noise`: denoising — Gaussian noise added, then reconstructed.
struct NoiseDirective: Directive {
    let name = "noise"
    let summary = "Denoising: add Gaussian noise and reconstruct."
    let resultKind = ResultKind.images
    let example = "```noise denoising\nmodel: ae\ndata: digits\nsigma: [0.1, 0.4]\nsweep: [0.05, 0.2, 0.3, 0.6, 0.8]\nclip: true\n```"

    struct Options: DirectiveOptions {
        var shared = CorruptionOptions()
        var sigma = [0.1, 0.4]
        var sweep: [Double]?
        var clip = true

        static let fields: [OptionField<Options>] = CorruptionOptions.fields(\.shared) + [
            OptionField("sigma", \.sigma, .list(.number(0...10), maxCount: 8), help: "Noise standard deviation; one row of examples per value."),
            OptionField("sweep", \.sweep, .list(.number(0...10), maxCount: 64), help: "More σ at which only the error is measured (plotted against σ)."),
            OptionField("clip", \.clip, .bool, help: "Clip noisy pixels to [0, 1]."),
        ]
    }

    func execute(_ o: Options, in context: ExecutionContext) throws -> CellResult {
        let clip = o.clip
        let study = CorruptionStudy(levelName: "σ", corruptedLabel: { "noisy σ = \(formatFixed($0, 2))" },
                                    metricSuffix: { formatFixed($0, 2) }) { images, _, level, rng in
            try gaussianNoise(images: images, sigma: level, clip: clip, rng: &rng)
        }
        return try study.run(o.shared, context, levels: o.sigma, sweep: o.sweep ?? [])
    }
}
