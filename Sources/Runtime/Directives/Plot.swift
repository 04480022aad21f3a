import Datasets
import Engine
import Foundation
import ReportModel

/// `plot`: figures over earlier results — loss curves overlaid, latent scatter plots (1-D strip,
/// 2-D, 3-D as three projections), error histograms, bar charts of metrics, time per epoch.
struct PlotDirective: Directive {
    let name = "plot"
    let summary = "Plot earlier results: loss curves, latent scatter, histograms, bars."
    let resultKind = ResultKind.figure
    let combinesReplicas = true
    let example = "```plot latent-space\nkind: scatter\nsources: [z]\ntitle: Test digits in the latent plane\n```\n\n```plot bars\nkind: bar\nvalues: [ae.final_loss]\nlabels: [baseline]\n```"

    enum Kind: String, OptionChoice { case loss, time, scatter, histogram, bar }
    enum Coloring: String, OptionChoice { case label, color }

    struct Options: DirectiveOptions {
        var kind = Kind.loss
        var sources: [CellName]?
        var values: [MetricName]?
        var color = Coloring.label
        var points = 5000
        var labels: [String]?
        var xlabel: String?
        var ylabel: String?
        var log: Bool?
        var bins: Int?
        var range: [Double]?
        var parts: Bool?

        static let fields: [OptionField<Options>] = [
            OptionField("kind", \.kind, required: true,
                        help: "loss / time: per-epoch loss or seconds of model cells; scatter: latents; histogram: scores; bar: metrics."),
            OptionField("sources", \.sources, .list(.cell([.model, .latents, .scores]), maxCount: 16), help: "The cells to plot."),
            OptionField("values", \.values, .list(.metricRef, maxCount: 32), help: "bar: the metrics to show, as cell.field."),
            OptionField("color", \.color, help: "scatter: color points by digit label or by tint color."),
            OptionField("points", \.points, .int(10...20_000), help: "scatter: at most this many points (a seeded sample)."),
            OptionField("labels", \.labels, .list(.string, maxCount: 32), help: "Series or bar names (default: cell names)."),
            OptionField("xlabel", \.xlabel, .string, help: "x-axis label."),
            OptionField("ylabel", \.ylabel, .string, help: "y-axis label."),
            OptionField("log", \.log, .bool, help: "Logarithmic y axis."),
            OptionField("bins", \.bins, .int(5...200), help: "histogram: number of bins (default 50)."),
            OptionField("range", \.range, .list(.number(-1e12...1e12), maxCount: 2),
                        help: "histogram: the interval binned, [low, high] (default: all values); the legend counts values outside it."),
            OptionField("parts", \.parts, .bool, help: "loss: also each VAE's reconstruction and KL terms per epoch."),
        ]

        func check() -> [(String, String)] {
            if kind == .bar { return values == nil ? [("kind", "bar needs option 'values'")] : [] }
            guard let sources else { return [("kind", "\(kind.rawValue) needs option 'sources'")] }
            if kind == .scatter, sources.count != 1 { return [("sources", "scatter takes one latents cell")] }
            if parts != nil, kind != .loss { return [("parts", "parts applies to kind: loss only")] }
            for (option, given) in [("bins", bins != nil), ("range", range != nil)] where given && kind != .histogram {
                return [(option, "\(option) applies to kind: histogram only")]
            }
            if let range {
                if range.count != 2 { return [("range", "expects two numbers, low and high")] }
                if range[0] >= range[1] { return [("range", "low must be below high")] }
            }
            return []
        }
    }

    func execute(_ o: Options, in context: ExecutionContext) throws -> CellResult {
        let sources = o.sources ?? []
        let labels = o.labels ?? []
        let logY = o.log ?? false
        func label(_ i: Int, _ fallback: String) -> String { i < labels.count ? labels[i] : fallback }
        var figures: [Figure] = []
        switch o.kind {
        case .loss, .time:
            var series: [Figure.Series] = []
            for (i, cell) in sources.enumerated() {
                let histories = try context.replicaValues(of: cell).map { value in
                    guard case .model(let m) = value else { throw PlotError.wrongSource(cell.name, "a model") }
                    return m.checkpoint.state.history
                }
                guard let h = histories.first else { throw PlotError.wrongSource(cell.name, "a model") }
                let x = h.map { Double($0.epoch) }
                let name = label(i, cell.name)
                // Per epoch over the seeds: the mean, and the spread drawn as a band (nil for one seed).
                func curve(_ value: (EpochRecord) -> Double?) -> (mean: [Double], spread: [Double]?)? {
                    let columns = histories.map { $0.compactMap(value) }
                    guard columns.allSatisfy({ $0.count == h.count }) else { return nil }
                    let stats = h.indices.map { e in Replicas.meanAndSpread(columns.map { $0[e] }) }
                    return (stats.map(\.mean), histories.count > 1 ? stats.map(\.sd) : nil)
                }
                let main = series.count
                if let c = curve({ o.kind == .loss ? $0.loss : $0.seconds }) {
                    series.append(.init(name: name, x: x, y: c.mean, spread: c.spread))
                }
                // Held-out loss: dashed, in its training curve's color.
                if o.kind == .loss, h.allSatisfy({ $0.validationLoss != nil }), let c = curve(\.validationLoss) {
                    series.append(.init(name: "\(name) (validation)", x: x, y: c.mean, dashed: true, color: main, spread: c.spread))
                }
                if o.parts == true, h.allSatisfy({ $0.parts != nil }),
                   let r = curve({ $0.parts?.reconstruction }), let k = curve({ $0.parts?.kl }) {
                    series += [.init(name: "\(name) reconstruction", x: x, y: r.mean, spread: r.spread),
                               .init(name: "\(name) KL", x: x, y: k.mean, spread: k.spread)]
                }
            }
            figures = [Figure(kind: .line, title: "", xLabel: o.xlabel ?? "epoch",
                              yLabel: o.ylabel ?? (o.kind == .loss ? "loss" : "seconds per epoch"), series: series, logY: logY)]
        case .scatter:
            let source = sources[0], name = source.name
            guard case .latents(let z) = context.value(of: source) else { throw PlotError.wrongSource(name, "a latents") }
            let byColor = o.color == .color
            guard let groupOf = byColor ? z.colors : z.labels else { throw PlotError.noColors(name) }
            let groups = groupOf.map(Int.init)
            var rng = SeededGenerator(seed: context.seed, stream: "points")
            let picked = Array(Array(0..<z.count).shuffled(using: &rng).prefix(o.points)).sorted()
            func coordinate(_ d: Int) -> [Double] { picked.map { Double(z.values[$0 * z.dim + d]) } }
            let names = byColor ? ImageSet.paletteNames : (0..<10).map(String.init)
            let g = picked.map { groups[$0] }
            switch z.dim {
            case 1:
                figures = [Figure(kind: .strip, title: "", xLabel: "z0", yLabel: byColor ? "color" : "digit",
                                  series: [.init(name: name, x: coordinate(0), y: g.map(Double.init), groups: g)], groupNames: names)]
            case 2:
                figures = [Figure(kind: .scatter, title: "", xLabel: "z0", yLabel: "z1",
                                  series: [.init(name: name, x: coordinate(0), y: coordinate(1), groups: g)], groupNames: names)]
            default:
                // Higher dimensions: every pair of the first three, the projections a reader can compare.
                figures = [(0, 1), (0, 2), (1, 2)].map { a, b in
                    Figure(kind: .scatter, title: "z\(a) against z\(b)", xLabel: "z\(a)", yLabel: "z\(b)",
                           series: [.init(name: name, x: coordinate(a), y: coordinate(b), groups: g)], groupNames: names)
                }
            }
        case .histogram:
            var all: [(String, [Double])] = []
            for (i, cell) in sources.enumerated() {
                let name = cell.name
                guard case .scores(let s) = context.value(of: cell) else { throw PlotError.wrongSource(name, "a scores") }
                all.append((label(i, s.names.first ?? name), s.errors))
                if let v = s.versus { all.append((s.names.count > 1 ? s.names[1] : "\(name) versus", v)) }
            }
            let values = all.flatMap(\.1)
            var range = (values.min() ?? 0)...max(values.max() ?? 1, (values.min() ?? 0) + 1e-9)
            if let given = o.range, given.count == 2 {
                range = given[0]...given[1]
                // Values outside are not drawn; say how many, so nothing disappears silently.
                all = all.map { name, v in
                    let outside = v.filter { !range.contains($0) }.count
                    return (outside == 0 ? name : "\(name) (\(grouped(outside)) outside the range)", v)
                }
            }
            figures = [Figure(kind: .histogram, title: "", xLabel: o.xlabel ?? "per-image error", yLabel: o.ylabel ?? "images",
                              series: try histogramSeries(all, range: range, bins: o.bins ?? 50), logY: logY)]
        case .bar:
            var values: [Double] = [], spreads: [Double] = [], names: [String] = []
            for (i, ref) in (o.values ?? []).enumerated() {
                guard case .number(let x)? = context.metric(ref) else { throw PlotError.noMetric(ref.cell, ref.field) }
                values.append(x); names.append(label(i, "\(ref.cell).\(ref.field)"))
                spreads.append(context.metricSpread(ref) ?? 0)
            }
            // Repeated cells: the bar is the mean, the error bar ± one standard deviation.
            let spread = spreads.contains { $0 > 0 } ? spreads : nil
            figures = [Figure(kind: .bar, title: "", xLabel: o.xlabel ?? "", yLabel: o.ylabel ?? "",
                              series: [.init(name: "values", x: Array(0..<values.count).map(Double.init), y: values, spread: spread)],
                              groupNames: names, logY: logY)]
        }
        var outputs = figures.map { Output.figure($0) }
        // Say what a repeated cell contributes: curves and bars its mean and spread, points and
        // errors its first replica.
        let repeated = (sources.map(\.name) + (o.values ?? []).map(\.cell)).filter { name in
            context.replicaValues(of: CellName(name)).count > 1
        }.map { "'\($0)'" }
        if !repeated.isEmpty {
            var seen: Set<String> = []
            let list = repeated.filter { seen.insert($0).inserted }.joined(separator: ", ")
            switch o.kind {
            case .scatter, .histogram: outputs.append(.text("From the first seed of \(list)."))
            case .loss, .time, .bar: outputs.append(.text("Means over the seeds of \(list), ± one standard deviation (the band, or the error bars)."))
            }
        }
        return CellResult(value: .figure, outputs: outputs)
    }
}

enum PlotError: UserError {
    case wrongSource(String, String)
    case noColors(String)
    case noMetric(String, String)

    var message: String {
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
