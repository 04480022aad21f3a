import Datasets
import Engine
import Foundation
import ReportModel

/// `score`: per-image reconstruction error of a dataset, optionally against a second one —
/// out-of-distribution data for anomaly detection (with ROC AUC), or training vs test images.
struct ScoreDirective: Directive {
    let name = "score"
    let summary = "Per-image reconstruction error, and ROC AUC against a second dataset."
    let resultKind = ResultKind.scores
    let example = "```dataset clothes\nsource: fashion-mnist\nsplit: test\n```\n\n```score anomaly\nmodel: ae\ndata: digits\nversus: clothes\nnames: [MNIST, Fashion-MNIST]\n```"

    struct Options: DirectiveOptions {
        var model = CellName("")
        var data = CellName("")
        var versus: CellName?
        var limit = 10_000
        var error: Loss?
        var show = 8
        var names: [String]?

        static let fields: [OptionField<Options>] = [
            OptionField("model", \.model, .cell([.model]), required: true, help: "The trained model cell."),
            OptionField("data", \.data, .cell([.dataset]), required: true, help: "The reference images (in-distribution)."),
            OptionField("versus", \.versus, .cell([.dataset]), help: "Images to compare with; their errors are the positives of the ROC AUC."),
            OptionField("limit", \.limit, .int(1...70_000), help: "Score at most N images of each set."),
            OptionField("error", \.error, help: "Per-image error: bce (the training loss's per-image sum) or mse (default: the model's loss)."),
            OptionField("show", \.show, .int(0...32), help: "Show N originals and reconstructions of each set."),
            OptionField("names", \.names, .list(.string, maxCount: 2), help: "Display names of data and versus (default: the cell names)."),
        ]
    }

    func execute(_ o: Options, in context: ExecutionContext) throws -> CellResult {
        let trained = context.model(o.model)
        let model = try Model(trained.checkpoint.spec)
        let params = trained.checkpoint.state.params
        let error = o.error ?? trained.checkpoint.config.loss
        let limit = o.limit, show = o.show
        var tensors: [String: Pixels] = [:], grids: [Output] = []
        let names = o.names ?? []
        // Display names: the given ones, else the cell names.
        let label = [names.first ?? o.data.name, names.count > 1 ? names[1] : o.versus?.name ?? ""]
        func score(_ cell: CellName, option: String, _ index: Int) throws -> [Double] {
            var set = try context.dataset(cell)
            try requireShape(set, model: model, option: option)
            if set.count > limit { set = set.prefix(limit) }
            let x = set.floats
            let y = model.run(.autoencoder, params: params, input: x, count: set.count, threads: context.threads)
            let n = min(show, set.count), size = set.imageSize
            if n > 0 {
                let name = "grid.\(index)"
                tensors[name] = .init(shape: [2 * n, set.height, set.width, set.channels],
                                      values: Array(x[..<(n * size)]) + Array(y[..<(n * size)]))
                grids.append(.images(ImageGrid(tensor: name, rows: 2, columns: n, height: set.height, width: set.width, channels: set.channels,
                                               title: "\(label[index]): originals and reconstructions", rowLabels: ["original", "reconstructed"],
                                               columnLabels: [], xValues: nil, yValues: nil)))
            }
            return error == .bce
                ? perImageBCE(target: x, output: y, count: set.count, channels: set.channels)
                : perImageMSE(y, x, count: set.count)
        }
        let inside = try score(o.data, option: "data", 0)
        let outside = try o.versus.map { try score($0, option: "versus", 1) }
        let s = Engine.summary(inside)
        var metrics: [String: Metric] = ["mean_error": .number(s.mean), "median_error": .number(s.median), "std_error": .number(s.std),
                                         "count": .number(Double(inside.count))]
        var rows = [[label[0], grouped(inside.count), formatFixed(s.mean, 4), formatFixed(s.median, 4), formatFixed(s.std, 4)]]
        var series: [Figure.Series] = []
        var outputs: [Output] = []
        if let outside {
            let v = Engine.summary(outside)
            let auc = rocAUC(positives: outside, negatives: inside)
            metrics["versus_mean_error"] = .number(v.mean); metrics["versus_median_error"] = .number(v.median)
            metrics["versus_count"] = .number(Double(outside.count)); metrics["auc"] = .number(auc)
            metrics["error_ratio"] = .number(v.mean / s.mean)
            rows.append([label[1], grouped(outside.count), formatFixed(v.mean, 4), formatFixed(v.median, 4), formatFixed(v.std, 4)])
            // The figure needs the curve's shape, not every threshold: keep ~200 points and both ends.
            let full = rocCurve(positives: outside, negatives: inside)
            let step = max(1, full.count / 200)
            var curve = stride(from: 0, to: full.count, by: step).map { full[$0] }
            if (full.count - 1) % step != 0 { curve.append(full[full.count - 1]) }
            series = [.init(name: "ROC (AUC \(formatFixed(auc, 3)))", x: curve.map(\.falsePositiveRate), y: curve.map(\.truePositiveRate))]
            outputs.append(.text("Reconstruction error as a detector of \(label[1]) among \(label[0]): ROC AUC \(formatFixed(auc, 4))"))
        }
        outputs.append(.table(Table(title: "Per-image reconstruction error (\(error.rawValue))", columns: ["images", "count", "mean", "median", "std"], rows: rows)))
        let all = inside + (outside ?? [])
        let range = (all.min() ?? 0)...max(all.max() ?? 1, (all.min() ?? 0) + 1e-9)
        let histograms = [(label[0], inside)] + (outside.map { [(label[1], $0)] } ?? [])
        outputs.append(.figure(Figure(kind: .histogram, title: "Reconstruction error", xLabel: "per-image \(error.rawValue)", yLabel: "images",
                                      series: try histogramSeries(histograms, range: range))))
        if !series.isEmpty {
            outputs.append(.figure(Figure(kind: .line, title: "ROC of the reconstruction error", xLabel: "false positive rate",
                                          yLabel: "true positive rate", series: series)))
        }
        return CellResult(value: .scores(Scores(errors: inside, versus: outside, names: label)),
                          outputs: outputs + grids, metrics: metrics, tensors: tensors)
    }
}
