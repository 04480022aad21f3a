import Engine
import Foundation

/// `decode`: images from latent vectors — a grid over two latent dimensions, a line for a 1-D
/// latent, samples from a Gaussian fitted to encoded latents, or given encoded latents.
struct DecodeDirective: Directive {
    let name = "decode"
    let summary = "Decode latent vectors: grids, lines, Gaussian samples or encoded latents."
    let resultKind = ResultKind.images
    let example = "```decode manifold\nmodel: ae\nfrom: grid\nrange: [-2, 2]\nn: 15\n```\n\n```decode samples\nmodel: ae\nfrom: gaussian\nlatents: z\ncount: 32\n```"
    let options: [OptionSpec] = [
        OptionSpec("model", .cell([.model]), required: true, help: "The trained model cell."),
        OptionSpec("from", .choice(["grid", "line", "gaussian", "latents"]), default: .string("grid"),
                   help: "grid: n×n over two latent dims; line: n points of a 1-D latent; gaussian: samples from a Gaussian fitted to `latents`; latents: decode `latents` as they are."),
        OptionSpec("range", .list(.number(-1e6...1e6), maxCount: 2), default: .list([.number(-2), .number(2)]),
                   help: "grid/line: the interval each varied dimension spans."),
        OptionSpec("span", .choice(["range", "latents"]), default: .string("range"),
                   help: "grid/line: vary each dimension over `range`, or over the 1st–99th percentile of `latents` (other dimensions then default to its median)."),
        OptionSpec("slices", .list(.number(0...1), maxCount: 5),
                   help: "grid with span: latents: one grid per quantile at which the other dimensions are held, e.g. [0.1, 0.5, 0.9]."),
        OptionSpec("n", .int(2...40), default: .int(15), help: "grid/line: points per varied dimension."),
        OptionSpec("dims", .list(.int(0...255), maxCount: 2), default: .list([.int(0), .int(1)]),
                   help: "grid: the two latent dimensions to vary (first along columns, second along rows)."),
        OptionSpec("fixed", .indexMap(0...255, .number(-1e6...1e6)),
                   help: "grid: values of the other latent dimensions (default 0), e.g. {2: 0.5}."),
        OptionSpec("latents", .cell([.latents]), help: "gaussian/latents: the encoded latents cell."),
        OptionSpec("count", .int(1...400), default: .int(32), help: "gaussian/latents: how many images."),
        OptionSpec("columns", .int(1...40), default: .int(8), help: "gaussian/latents: images per row."),
    ] + presentationOptions

    func check(_ o: ResolvedOptions) -> [(String, String)] {
        var problems: [(String, String)] = []
        let from = o.string("from")!
        if ["gaussian", "latents"].contains(from), o["latents"] == nil { problems.append(("from", "\(from) needs option 'latents'")) }
        if o.string("span") == "latents", o["latents"] == nil { problems.append(("span", "span: latents needs option 'latents'")) }
        if o["slices"] != nil, from != "grid" || o.string("span") != "latents" {
            problems.append(("slices", "slices needs from: grid and span: latents"))
        }
        if o["range"]?.items.count != 2 { problems.append(("range", "expects two numbers, low and high")) }
        else if let lo = o["range"]!.items[0].doubleValue, let hi = o["range"]!.items[1].doubleValue, lo >= hi {
            problems.append(("range", "low must be below high"))
        }
        if from == "grid" {
            let dims = o["dims"]!.items.compactMap(\.intValue)
            if dims.count != 2 || dims[0] == dims[1] { problems.append(("dims", "expects two different latent dimensions")) }
        }
        return problems
    }

    func execute(_ context: ExecutionContext) throws -> CellResult {
        let o = context.options
        let trained = context.model("model")
        let model = try Model(trained.checkpoint.spec)
        let dim = model.spec.latent
        let given = o["range"]!.items[0].doubleValue!...o["range"]!.items[1].doubleValue!
        let n = o.int("n")!
        // span: latents — where the encoded data actually lies, per dimension.
        var spread: [LatentSpread]? = nil
        if o.string("span") == "latents" {
            guard case .latents(let encoded)? = context.input("latents")?.value else { preconditionFailure("checked by the plan") }
            guard encoded.dim == dim else { throw DecodeError.latentSize(encoded.dim, latent: dim) }
            spread = (0..<dim).map { LatentSpread(encoded, dimension: $0) }
        }
        func range(_ d: Int) -> ClosedRange<Double> { spread?[d].range ?? given }
        func axis(_ d: Int) -> [Double] {
            let r = range(d)
            return (0..<n).map { r.lowerBound + (r.upperBound - r.lowerBound) * Double($0) / Double(n - 1) }
        }
        let over = spread == nil ? "" : " (1st to 99th percentile of '\(context.inputName("latents")!)')"
        var z: [Float], rows: Int, columns: Int, xValues: [Double]? = nil, yValues: [Double]? = nil, title: String
        var xName: String? = nil, yName: String? = nil
        // Several grids (slices) are decoded together and shown as panels of one figure.
        var panelTitles: [String]? = nil
        switch o.string("from")! {
        case "grid":
            let dims = o["dims"]!.items.map { $0.intValue! }
            guard dims.allSatisfy({ $0 < dim }) else { throw DecodeError.dimension(dims.max()!, latent: dim) }
            var explicit: [Int: Double] = [:]
            if case .indexMap(let m)? = o["fixed"] {
                for (d, v) in m { guard d < dim else { throw DecodeError.dimension(d, latent: dim) }; explicit[d] = v.doubleValue! }
            }
            let quantiles = o["slices"]?.items.compactMap(\.doubleValue) ?? [0.5]
            if o["slices"] != nil, dim < 3 { throw DecodeError.slicesNeedThreeDimensions(latent: dim) }
            z = []
            var titles: [String] = []
            for q in quantiles {
                var fixed = explicit
                if let spread {
                    for d in 0..<dim where !dims.contains(d) && explicit[d] == nil { fixed[d] = spread[d].quantile(q) }
                }
                z += try latentGrid(dim: dim, vary: (dims[0], dims[1]), range: range(dims[0]), downRange: range(dims[1]), n: n, fixed: fixed)
                let held = fixed.keys.sorted().map { "z\($0) = \(formatFixed(fixed[$0]!, 2))" }.joined(separator: ", ")
                titles.append(o["slices"] == nil ? held : "\(held) (quantile \(formatFixed(q, 2)))")
            }
            (rows, columns, xValues, yValues) = (n, n, axis(dims[0]), axis(dims[1]).reversed())
            (xName, yName) = ("z\(dims[0])", "z\(dims[1])")
            title = "Decoded grid over z\(dims[0]) (columns) and z\(dims[1]) (rows)\(over)" + (titles[0].isEmpty || o["slices"] != nil ? "" : ", " + titles[0])
            if o["slices"] != nil { panelTitles = titles }
        case "line":
            guard dim == 1 else { throw DecodeError.lineNeedsOneDimension(latent: dim) }
            z = try latentLine(range: range(0), n: n)
            (rows, columns, xValues, xName) = (1, n, axis(0), "z0")
            title = "Decoded line over z0\(over)"
        default:
            guard case .latents(let encoded)? = context.input("latents")?.value else { preconditionFailure("checked by the plan") }
            guard encoded.dim == dim else { throw DecodeError.latentSize(encoded.dim, latent: dim) }
            let count = o.int("count")!
            if o.string("from") == "gaussian" {
                var rng = SeededGenerator(seed: context.seed, stream: "gaussian")
                z = try GaussianFit(points: encoded.values, dim: dim).sample(count, rng: &rng)
                title = "Samples from a Gaussian fitted to '\(context.inputName("latents")!)'"
            } else {
                z = Array(encoded.values.prefix(count * dim))
                title = "Decoded latents of '\(context.inputName("latents")!)'"
            }
            columns = min(o.int("columns")!, z.count / dim)
            rows = (z.count / dim + columns - 1) / columns
        }
        let count = z.count / dim
        let images = model.run(.decoder, params: trained.checkpoint.state.params, input: z, count: count, threads: context.threads)
        let (h, w, c) = (model.spec.input[0], model.spec.input[1], model.spec.input[2])
        let panels = panelTitles ?? [title]
        let perPanel = count / panels.count, size = h * w * c
        var outputs: [Output] = [], tensors: [String: SafeTensors.Tensor] = [:]
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

enum DecodeError: Error, CustomStringConvertible {
    case dimension(Int, latent: Int)
    case lineNeedsOneDimension(latent: Int)
    case latentSize(Int, latent: Int)
    case slicesNeedThreeDimensions(latent: Int)

    var description: String {
        switch self {
        case let .dimension(d, latent): "latent dimension \(d) does not exist: the model's latent size is \(latent)"
        case let .lineNeedsOneDimension(latent): "from: line needs a model with latent size 1 (this one has \(latent)); use from: grid"
        case let .latentSize(got, latent): "the latents have size \(got) but the model's latent size is \(latent)"
        case let .slicesNeedThreeDimensions(latent): "slices hold the other latent dimensions fixed; this model's latent size is \(latent), so there are none"
        }
    }
}
