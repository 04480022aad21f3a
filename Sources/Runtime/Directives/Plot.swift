import Datasets
import Engine
import Foundation

/// `plot`: figures over earlier results — loss curves overlaid, latent scatter plots (1-D strip,
/// 2-D, 3-D as three projections), error histograms, bar charts of metrics, time per epoch.
struct PlotDirective: Directive {
    let name = "plot"
    let summary = "Plot earlier results: loss curves, latent scatter, histograms, bars."
    let resultKind = ResultKind.figure
    let example = "```plot latent-space\nkind: scatter\nsources: [z]\ntitle: Test digits in the latent plane\n```\n\n```plot bars\nkind: bar\nvalues: [ae.final_loss]\nlabels: [baseline]\n```"
    let options: [OptionSpec] = [
        OptionSpec("kind", .choice(["loss", "time", "scatter", "histogram", "bar"]), required: true,
                   help: "loss / time: per-epoch loss or seconds of model cells; scatter: latents; histogram: scores; bar: metrics."),
        OptionSpec("sources", .list(.cell([.model, .latents, .scores]), maxCount: 16), help: "The cells to plot."),
        OptionSpec("values", .list(.metricRef, maxCount: 32), help: "bar: the metrics to show, as cell.field."),
        OptionSpec("color", .choice(["label", "color"]), default: .string("label"), help: "scatter: color points by digit label or by tint color."),
        OptionSpec("points", .int(10...20_000), default: .int(5000), help: "scatter: at most this many points (a seeded sample)."),
        OptionSpec("labels", .list(.string, maxCount: 32), help: "Series or bar names (default: cell names)."),
        OptionSpec("xlabel", .string, help: "x-axis label."),
        OptionSpec("ylabel", .string, help: "y-axis label."),
        OptionSpec("log", .bool, help: "Logarithmic y axis."),
        OptionSpec("bins", .int(5...200), help: "histogram: number of bins (default 50)."),
        OptionSpec("range", .list(.number(-1e12...1e12), maxCount: 2),
                   help: "histogram: the interval binned, [low, high] (default: all values); the legend counts values outside it."),
    ] + presentationOptions

    func check(_ o: ResolvedOptions) -> [(String, String)] {
        let kind = o.string("kind")!
        if kind == "bar" { return o["values"] == nil ? [("kind", "bar needs option 'values'")] : [] }
        if o["sources"] == nil { return [("kind", "\(kind) needs option 'sources'")] }
        if kind == "scatter", o["sources"]!.items.count != 1 { return [("sources", "scatter takes one latents cell")] }
        for option in ["bins", "range"] where o[option] != nil && kind != "histogram" {
            return [(option, "\(option) applies to kind: histogram only")]
        }
        if let range = o["range"]?.items.compactMap(\.doubleValue) {
            if range.count != 2 { return [("range", "expects two numbers, low and high")] }
            if range[0] >= range[1] { return [("range", "low must be below high")] }
        }
        return []
    }

    func execute(_ context: ExecutionContext) throws -> CellResult {
        let o = context.options
        let kind = o.string("kind")!
        let sources = o["sources"]?.items.compactMap(\.stringValue) ?? []
        let labels = o["labels"]?.items.compactMap(\.stringValue) ?? []
        func label(_ i: Int, _ fallback: String) -> String { i < labels.count ? labels[i] : fallback }
        var figures: [Figure] = []
        switch kind {
        case "loss", "time":
            let series = try sources.enumerated().map { i, name -> Figure.Series in
                guard case .model(let m)? = context.interpreterResult(name)?.value else { throw PlotError.wrongSource(name, "a model") }
                let h = m.checkpoint.state.history
                return .init(name: label(i, name), x: h.map { Double($0.epoch) }, y: h.map { kind == "loss" ? $0.loss : $0.seconds })
            }
            figures = [Figure(kind: .line, title: "", xLabel: o.string("xlabel") ?? "epoch",
                              yLabel: o.string("ylabel") ?? (kind == "loss" ? "loss" : "seconds per epoch"), series: series, logY: o.bool("log") ?? false)]
        case "scatter":
            guard case .latents(let z)? = context.interpreterResult(sources[0])?.value else { throw PlotError.wrongSource(sources[0], "a latents") }
            let byColor = o.string("color") == "color"
            guard !byColor || z.colors != nil else { throw PlotError.noColors(sources[0]) }
            let groups = (byColor ? z.colors! : z.labels).map(Int.init)
            var rng = SeededGenerator(seed: context.seed, stream: "points")
            let picked = Array(Array(0..<z.count).shuffled(using: &rng).prefix(o.int("points")!)).sorted()
            func coordinate(_ d: Int) -> [Double] { picked.map { Double(z.values[$0 * z.dim + d]) } }
            let names = byColor ? ImageSet.paletteNames : (0..<10).map(String.init)
            let g = picked.map { groups[$0] }
            switch z.dim {
            case 1:
                figures = [Figure(kind: .strip, title: "", xLabel: "z0", yLabel: byColor ? "color" : "digit",
                                  series: [.init(name: sources[0], x: coordinate(0), y: g.map(Double.init), groups: g)], groupNames: names)]
            case 2:
                figures = [Figure(kind: .scatter, title: "", xLabel: "z0", yLabel: "z1",
                                  series: [.init(name: sources[0], x: coordinate(0), y: coordinate(1), groups: g)], groupNames: names)]
            default:
                // Higher dimensions: every pair of the first three, the projections a reader can compare.
                figures = [(0, 1), (0, 2), (1, 2)].map { a, b in
                    Figure(kind: .scatter, title: "z\(a) against z\(b)", xLabel: "z\(a)", yLabel: "z\(b)",
                           series: [.init(name: sources[0], x: coordinate(a), y: coordinate(b), groups: g)], groupNames: names)
                }
            }
        case "histogram":
            var all: [(String, [Double])] = []
            for (i, name) in sources.enumerated() {
                guard case .scores(let s)? = context.interpreterResult(name)?.value else { throw PlotError.wrongSource(name, "a scores") }
                all.append((label(i, s.names.first ?? name), s.errors))
                if let v = s.versus { all.append((s.names.count > 1 ? s.names[1] : "\(name) versus", v)) }
            }
            let values = all.flatMap(\.1)
            var range = (values.min() ?? 0)...max(values.max() ?? 1, (values.min() ?? 0) + 1e-9)
            if let given = o["range"]?.items.compactMap(\.doubleValue), given.count == 2 {
                range = given[0]...given[1]
                // Values outside are not drawn; say how many, so nothing disappears silently.
                all = all.map { name, v in
                    let outside = v.filter { !range.contains($0) }.count
                    return (outside == 0 ? name : "\(name) (\(grouped(outside)) outside the range)", v)
                }
            }
            figures = [Figure(kind: .histogram, title: "", xLabel: o.string("xlabel") ?? "per-image error", yLabel: o.string("ylabel") ?? "images",
                              series: try histogramSeries(all, range: range, bins: o.int("bins") ?? 50), logY: o.bool("log") ?? false)]
        default:  // bar
            let refs = o["values"]!.items
            var values: [Double] = [], names: [String] = []
            for (i, ref) in refs.enumerated() {
                guard case let .metric(cell, field) = ref else { continue }
                guard case .number(let x)? = context.metric(cell: cell, field: field) else { throw PlotError.noMetric(cell, field) }
                values.append(x); names.append(label(i, "\(cell).\(field)"))
            }
            figures = [Figure(kind: .bar, title: "", xLabel: o.string("xlabel") ?? "", yLabel: o.string("ylabel") ?? "",
                              series: [.init(name: "values", x: Array(0..<values.count).map(Double.init), y: values)], groupNames: names,
                              logY: o.bool("log") ?? false)]
        }
        return CellResult(value: .figure, outputs: figures.map { .figure($0) })
    }
}

enum PlotError: Error, CustomStringConvertible {
    case wrongSource(String, String)
    case noColors(String)
    case noMetric(String, String)

    var description: String {
        switch self {
        case let .wrongSource(name, kind): "'\(name)' is not \(kind) cell"
        case let .noColors(name): "'\(name)' has no colors to plot: encode a colorized-mnist dataset, or use color: label"
        case let .noMetric(cell, field): "cell '\(cell)' has no numeric metric '\(field)'"
        }
    }
}

/// One histogram series per named set, over a shared range so they overlay.
func histogramSeries(_ sets: [(String, [Double])], range: ClosedRange<Double>, bins: Int = 50) throws -> [Figure.Series] {
    try sets.map { name, values in
        let h = try histogram(values, bins: bins, range: range)
        return Figure.Series(name: name, x: h.edges, y: h.counts.map(Double.init))
    }
}
