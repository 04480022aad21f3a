import Foundation
import ReportModel

/// A repeated cell's replicas combined into the one result prose, claims and plots read: each
/// numeric field `f` becomes the mean, beside `f_sd` (the sample standard deviation) and `f_n`;
/// the value, tables and images are the first replica's, and the outputs say so.
enum Replicas {
    static func combine(_ results: [CellResult], seeds: [UInt64]) -> CellResult {
        precondition(results.count > 1 && results.count == seeds.count, "replicas are combined two or more at a time, with their seeds")
        let first = results[0]
        var metrics = first.metrics, varying: [String] = []
        for (field, metric) in first.metrics {
            guard case .number = metric else { continue }
            let values = results.compactMap { r -> Double? in if case .number(let x)? = r.metrics[field] { x } else { nil } }
            guard values.count == results.count else { continue }  // a field some replicas lack stays the first's
            let (mean, sd) = meanAndSpread(values)
            metrics[field] = .number(mean)
            metrics[field + Metric.spreadSuffix] = .number(sd)
            metrics[field + Metric.countSuffix] = .number(Double(values.count))
            if Set(values).count > 1 { varying.append(field) }
        }
        let n = results.count
        let shown = varying.sorted().prefix(8)
        let table = Table(title: "Per seed",
                          columns: ["seed", "replica seed"] + shown,
                          rows: results.indices.map { r in
                              [String(r + 1), String(seeds[r])] + shown.map { results[r].metrics[$0]?.display ?? "" }
                          } + [["mean ± sd", ""] + shown.map { metrics[$0]!.display(spread: metrics[$0 + Metric.spreadSuffix]) }],
                          folded: true)
        let note = Output.text("\(n) seeds: the fields are the mean over the \(n) replicas (± their standard deviation); "
                               + "the tables and images are those of the first.")
        return CellResult(value: first.value, outputs: [note, .table(table)] + first.outputs, metrics: metrics,
                          tensors: first.tensors, seconds: results.reduce(0) { $0 + $1.seconds })
    }

    /// The mean and the sample standard deviation (n − 1; 0 for one value).
    static func meanAndSpread(_ values: [Double]) -> (mean: Double, sd: Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, 0) }
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, (squares / Double(values.count - 1)).squareRoot())
    }
}
