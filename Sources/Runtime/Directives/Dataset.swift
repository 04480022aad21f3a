import Datasets
import Engine
import Foundation

/// `dataset`: which images a notebook works on. Its result is a recipe; the images are loaded
/// (and checked against their canonical checksums) only when a cell that needs them runs.
struct DatasetDirective: Directive {
    let name = "dataset"
    let summary = "Load MNIST, Fashion-MNIST or colorized MNIST."
    let resultKind = ResultKind.dataset
    let example = "```dataset digits\nsource: mnist\nsplit: {quick: test, full: all}\nlimit: {quick: 10000}\nshow: 20\n```"
    let options: [OptionSpec] = [
        OptionSpec("source", .choice(["mnist", "fashion-mnist", "colorized-mnist"]), default: .string("mnist"),
                   help: "Which images: MNIST digits, Fashion-MNIST clothes, or MNIST digits tinted with a color tied to the class."),
        OptionSpec("split", .choice(Split.allCases.map(\.rawValue)), default: .string("train"),
                   help: "train (60,000), test (10,000) or all (70,000: train then test, as the Keras VAE example uses)."),
        OptionSpec("limit", .int(1...70_000), help: "Keep only the first N images."),
        OptionSpec("bias", .number(0...1), help: "colorized-mnist: probability that a digit takes its class's color (default 0.9)."),
        OptionSpec("background", .bool, help: "colorized-mnist: add a dim colored background (default false)."),
        OptionSpec("show", .int(0...100), default: .int(0), help: "Show the first N images as a grid."),
    ] + presentationOptions

    func check(_ o: ResolvedOptions) -> [(String, String)] {
        guard o.string("source") != "colorized-mnist" else { return [] }
        return ["bias", "background"].filter { o[$0] != nil }.map { ($0, "only applies to source colorized-mnist") }
    }

    func execute(_ context: ExecutionContext) throws -> CellResult {
        let o = context.options
        let colorized = o.string("source") == "colorized-mnist"
        let recipe = DatasetRecipe(source: o.string("source")!, split: o.string("split")!, limit: o.int("limit"),
                                   bias: colorized ? o.double("bias") ?? 0.9 : nil,
                                   background: colorized ? o.bool("background") ?? false : nil,
                                   seed: colorized ? context.seed : nil)
        let set = try context.dataset(named: context.cellName, recipe: recipe)
        var counts = [Int](repeating: 0, count: 10)
        for l in set.labels where Int(l) < 10 { counts[Int(l)] += 1 }
        var outputs: [Output] = [.text("\(grouped(set.count)) images of \(set.height)×\(set.width)×\(set.channels) "
                                       + "from \(recipe.source) \(recipe.split)\(recipe.limit.map { " (first \(grouped($0)))" } ?? "")")]
        outputs.append(.table(Table(title: "Images per class", columns: ["class"] + (0..<10).map(String.init),
                                    rows: [["images"] + counts.map(grouped)])))
        var tensors: [String: SafeTensors.Tensor] = [:]
        let show = min(o.int("show") ?? 0, set.count)
        if show > 0 {
            let pixels = set.floats(0..<show)
            tensors["grid.0"] = .init(shape: [show, set.height, set.width, set.channels], values: pixels)
            let columns = min(show, 10)
            outputs.append(.images(ImageGrid(tensor: "grid.0", rows: (show + columns - 1) / columns, columns: columns,
                                             height: set.height, width: set.width, channels: set.channels,
                                             title: "First \(show) images", rowLabels: [],
                                             columnLabels: [], xValues: nil, yValues: nil)))
        }
        return CellResult(value: .dataset(recipe), outputs: outputs,
                          metrics: ["count": .number(Double(set.count)), "height": .number(Double(set.height)),
                                    "width": .number(Double(set.width)), "channels": .number(Double(set.channels))],
                          tensors: tensors)
    }

    static func kind(_ source: String) -> DatasetKind { source == "fashion-mnist" ? .fashionMNIST : .mnist }

    /// The canonical files a recipe reads, for the cache key.
    static func checksums(source: String, split: String) -> [DataChecksum] {
        let kind = kind(source)
        let parts: [Split] = split == "all" ? [.train, .test] : [Split(rawValue: split) ?? .train]
        return parts.flatMap { part in
            [IDXKind.images, .labels].compactMap { ExpectedFile.canonical(kind, split: part, kind: $0).checksum }
        }
    }
}
