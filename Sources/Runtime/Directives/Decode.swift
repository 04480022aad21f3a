import Engine
import Foundation
import ReportModel

/// `decode`: images from latent vectors — a grid over two latent dimensions, a line for a 1-D
/// latent, samples from a Gaussian fitted to encoded latents, or given encoded latents.
struct DecodeDirective: Directive {
    let name = "decode"
    let summary = "Decode latent vectors: grids, lines, Gaussian samples or encoded latents."
    let resultKind = ResultKind.images
    let example = "```decode manifold\nmodel: ae\nfrom: grid\nrange: [-2, 2]\nn: 15\n```\n\n```decode samples\nmodel: ae\nfrom: gaussian\nlatents: z\ncount: 32\n```"

    enum Source: String, OptionChoice { case grid, line, gaussian, latents, prior }
    enum Span: String, OptionChoice { case range, latents }

    struct Options: DirectiveOptions {
        var model = CellName("")
        var from = Source.grid
        var range = [-2.0, 2.0]
        var span = Span.range
        var slices: [Double]?
        var n = 15
        var dims = [0, 1]
        var fixed: [Int: Double]?
        var latents: CellName?
        var count = 32
        var columns = 8

        static let fields: [OptionField<Options>] = [
            OptionField("model", \.model, .cell([.model]), required: true, help: "The trained model cell."),
            OptionField("from", \.from,
                        help: "grid: n×n over two latent dims; line: n points of a 1-D latent; gaussian: samples from a Gaussian fitted to `latents`; latents: decode `latents` as they are; prior: samples from N(0, I), a VAE's prior."),
            OptionField("range", \.range, .list(.number(-1e6...1e6), maxCount: 2), help: "grid/line: the interval each varied dimension spans."),
            OptionField("span", \.span,
                        help: "grid/line: vary each dimension over `range`, or over the 1st–99th percentile of `latents` (other dimensions then default to its median)."),
            OptionField("slices", \.slices, .list(.number(0...1), maxCount: 5),
                        help: "grid with span: latents: one grid per quantile at which the other dimensions are held, e.g. [0.1, 0.5, 0.9]."),
            OptionField("n", \.n, .int(2...40), help: "grid/line: points per varied dimension."),
            OptionField("dims", \.dims, .list(.int(0...255), maxCount: 2),
                        help: "grid: the two latent dimensions to vary (first along columns, second along rows)."),
            OptionField("fixed", \.fixed, .indexMap(0...255, .number(-1e6...1e6)),
                        help: "grid: values of the other latent dimensions (default 0), e.g. {2: 0.5}."),
            OptionField("latents", \.latents, .cell([.latents]), help: "gaussian/latents: the encoded latents cell."),
            OptionField("count", \.count, .int(1...400), help: "gaussian/latents/prior: how many images."),
            OptionField("columns", \.columns, .int(1...40), help: "gaussian/latents/prior: images per row."),
        ]

        func check() -> [(String, String)] {
            var problems: [(String, String)] = []
            if [.gaussian, .latents].contains(from), latents == nil { problems.append(("from", "\(from.rawValue) needs option 'latents'")) }
            if span == .latents, latents == nil { problems.append(("span", "span: latents needs option 'latents'")) }
            if slices != nil, from != .grid || span != .latents {
                problems.append(("slices", "slices needs from: grid and span: latents"))
            }
            if range.count != 2 { problems.append(("range", "expects two numbers, low and high")) }
            else if range[0] >= range[1] { problems.append(("range", "low must be below high")) }
            if from == .grid, dims.count != 2 || dims[0] == dims[1] { problems.append(("dims", "expects two different latent dimensions")) }
            return problems
        }
    }

    func execute(_ o: Options, in context: ExecutionContext) throws -> CellResult {
        let trained = context.model(o.model)
        let model = try Model(trained.checkpoint.spec)
        let dim = model.spec.latent
        let given = o.range[0]...o.range[1]
        let n = o.n
        // span: latents — where the encoded data actually lies, per dimension.
        var spread: [LatentSpread]? = nil
        if o.span == .latents, let name = o.latents {
            let encoded = context.latents(name)
            guard encoded.dim == dim else { throw DecodeError.latentSize(encoded.dim, latent: dim) }
            spread = (0..<dim).map { LatentSpread(encoded, dimension: $0) }
        }
        func range(_ d: Int) -> ClosedRange<Double> { spread?[d].range ?? given }
        func axis(_ d: Int) -> [Double] {
            let r = range(d)
            return (0..<n).map { r.lowerBound + (r.upperBound - r.lowerBound) * Double($0) / Double(n - 1) }
        }
        let latentsName = o.latents?.name ?? ""
        let over = spread == nil ? "" : " (1st to 99th percentile of '\(latentsName)')"
        var z: [Float], rows: Int, columns: Int, xValues: [Double]? = nil, yValues: [Double]? = nil, title: String
        var xName: String? = nil, yName: String? = nil
        // Several grids (slices) are decoded together and shown as panels of one figure.
        var panelTitles: [String]? = nil
        switch o.from {
        case .grid:
            let dims = o.dims
            if let largest = dims.max(), largest >= dim { throw DecodeError.dimension(largest, latent: dim) }
            let explicit = o.fixed ?? [:]
            if let outside = explicit.keys.sorted().first(where: { $0 >= dim }) { throw DecodeError.dimension(outside, latent: dim) }
            let quantiles = o.slices ?? [0.5]
            if o.slices != nil, dim < 3 { throw DecodeError.slicesNeedThreeDimensions(latent: dim) }
            z = []
            var titles: [String] = []
            for q in quantiles {
                var fixed = explicit
                if let spread {
                    for d in 0..<dim where !dims.contains(d) && explicit[d] == nil { fixed[d] = spread[d].quantile(q) }
                }
                z += try latentGrid(dim: dim, vary: (dims[0], dims[1]), range: range(dims[0]), downRange: range(dims[1]), n: n, fixed: fixed)
                let held = fixed.sorted { $0.key < $1.key }.map { "z\($0.key) = \(formatFixed($0.value, 2))" }.joined(separator: ", ")
                titles.append(o.slices == nil ? held : "\(held) (quantile \(formatFixed(q, 2)))")
            }
            (rows, columns, xValues, yValues) = (n, n, axis(dims[0]), axis(dims[1]).reversed())
            (xName, yName) = ("z\(dims[0])", "z\(dims[1])")
            title = "Decoded grid over z\(dims[0]) (columns) and z\(dims[1]) (rows)\(over)" + (titles[0].isEmpty || o.slices != nil ? "" : ", " + titles[0])
            if o.slices != nil { panelTitles = titles }
        case .line:
            guard dim == 1 else { throw DecodeError.lineNeedsOneDimension(latent: dim) }
            z = try latentLine(range: range(0), n: n)
            (rows, columns, xValues, xName) = (1, n, axis(0), "z0")
            title = "Decoded line over z0\(over)"
        case .gaussian, .latents:
            guard let name = o.latents else { preconditionFailure("checked by Options.check") }
            let encoded = context.latents(name)
            guard encoded.dim == dim else { throw DecodeError.latentSize(encoded.dim, latent: dim) }
            if o.from == .gaussian {
                var rng = SeededGenerator(seed: context.seed, stream: "gaussian")
                z = try GaussianFit(points: encoded.values, dim: dim).sample(o.count, rng: &rng)
                title = "Samples from a Gaussian fitted to '\(name)'"
            } else {
                z = Array(encoded.values.prefix(o.count * dim))
                title = "Decoded latents of '\(name)'"
            }
            columns = min(o.columns, z.count / dim)
            rows = (z.count / dim + columns - 1) / columns
        case .prior:
            var rng = SeededGenerator(seed: context.seed, stream: "prior")
            z = (0..<(o.count * dim)).map { _ in Float(rng.normal()) }
            title = "Samples from the prior N(0, I)"
            columns = min(o.columns, o.count)
            rows = (o.count + columns - 1) / columns
        }
        let count = z.count / dim
        let images = model.run(.decoder, params: trained.checkpoint.state.params, input: z, count: count, threads: context.threads)
        let (h, w, c) = (model.spec.input[0], model.spec.input[1], model.spec.input[2])
        let panels = panelTitles ?? [title]
        let perPanel = count / panels.count, size = h * w * c
        var outputs: [Output] = [], tensors: [String: Pixels] = [:]
        for (k, panelTitle) in panels.enumerated() {
            let name = "grid.\(k)"
            outputs.append(.images(ImageGrid(tensor: name, rows: rows, columns: columns, height: h, width: w, channels: c,
                                             title: panelTitle, xValues: xValues, yValues: yValues, xName: xName, yName: yName)))
            tensors[name] = .init(shape: [perPanel, h, w, c], values: Array(images[(k * perPanel * size)..<((k + 1) * perPanel * size)]))
        }
        return CellResult(value: .images(ImageCollection(height: h, width: w, channels: c, pixels: images)),
                          outputs: outputs, metrics: ["count": .number(Double(count))], tensors: tensors)
    }
}

/// Where one latent dimension's encoded values lie.
private struct LatentSpread {
    let sorted: [Double]

    init(_ latents: Latents, dimension d: Int) {
        sorted = stride(from: d, to: latents.values.count, by: latents.dim).map { Double(latents.values[$0]) }.sorted()
    }

    /// The nearest-rank quantile; 0 without values.
    func quantile(_ q: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((q * Double(sorted.count - 1)).rounded()))]
    }

    /// 1st to 99th percentile, widened to ±1 around a single value.
    var range: ClosedRange<Double> {
        let lo = quantile(0.01), hi = quantile(0.99)
        return lo < hi ? lo...hi : (lo - 1)...(lo + 1)
    }
}

enum DecodeError: UserError {
    case dimension(Int, latent: Int)
    case lineNeedsOneDimension(latent: Int)
    case latentSize(Int, latent: Int)
    case slicesNeedThreeDimensions(latent: Int)

    var message: String {
        switch self {
        case let .dimension(d, latent): "latent dimension \(d) does not exist: the model's latent size is \(latent)"
        case let .lineNeedsOneDimension(latent): "from: line needs a model with latent size 1 (this one has \(latent)); use from: grid"
        case let .latentSize(got, latent): "the latents have size \(got) but the model's latent size is \(latent)"
        case let .slicesNeedThreeDimensions(latent): "slices hold the other latent dimensions fixed; this model's latent size is \(latent), so there are none"
        }
    }
}
