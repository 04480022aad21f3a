import Datasets
import Engine
import Foundation
import ReportModel

/// `dataset`: which images a notebook works on. Its result is a recipe; the images are loaded
/// (and checked against their canonical checksums) only when a cell that needs them runs.
struct DatasetDirective: Directive {
    let name = "dataset"
    let summary = "Load MNIST, Fashion-MNIST or colorized MNIST."
    let resultKind = ResultKind.dataset
    let example = "```dataset digits\nsource: mnist\nsplit: {quick: test, full: all}\nlimit: {quick: 10000}\nshow: 20\n```"

    enum Source: String, OptionChoice {
        case mnist
        case fashionMNIST = "fashion-mnist"
        case colorizedMNIST = "colorized-mnist"

        var kind: DatasetKind { self == .fashionMNIST ? .fashionMNIST : .mnist }
    }

    struct Options: DirectiveOptions {
        var source = Source.mnist
        var split = Split.train
        var limit: Int?
        var bias: Double?
        var background: Bool?
        var show = 0

        static let fields: [OptionField<Options>] = [
            OptionField("source", \.source,
                        help: "Which images: MNIST digits, Fashion-MNIST clothes, or MNIST digits tinted with a color tied to the class."),
            OptionField("split", \.split,
                        help: "train (60,000), test (10,000) or all (70,000: train then test, as the Keras VAE example uses)."),
            OptionField("limit", \.limit, .int(1...70_000), help: "Keep only the first N images."),
            OptionField("bias", \.bias, .number(0...1), help: "colorized-mnist: probability that a digit takes its class's color (default 0.9)."),
            OptionField("background", \.background, .bool, help: "colorized-mnist: add a dim colored background (default false)."),
            OptionField("show", \.show, .int(0...100), help: "Show the first N images as a grid."),
        ]

        func check() -> [(String, String)] {
            guard source != .colorizedMNIST else { return [] }
            return [("bias", bias != nil), ("background", background != nil)].filter(\.1).map { ($0.0, "only applies to source colorized-mnist") }
        }
    }

    /// The canonical files the cell reads, with their checksums: a changed file is another dataset.
    func keyParts(_ o: Options) -> [String] {
        DatasetRecipe.checksums(source: o.source.kind, split: o.split).map { "data \($0.file)=\($0.sha256)" }
    }

    func execute(_ o: Options, in context: ExecutionContext) throws -> CellResult {
        let colorized = o.source == .colorizedMNIST
        let recipe = DatasetRecipe(source: o.source.rawValue, split: o.split.rawValue, limit: o.limit,
                                   bias: colorized ? o.bias ?? 0.9 : nil,
                                   background: colorized ? o.background ?? false : nil,
                                   seed: colorized ? context.seed : nil)
        let set = try context.images(of: context.cellName, recipe: recipe)
        var counts = [Int](repeating: 0, count: 10)
        for l in set.labels where Int(l) < 10 { counts[Int(l)] += 1 }
        var outputs: [Output] = [.text("\(grouped(set.count)) images of \(set.height)×\(set.width)×\(set.channels) "
                                       + "from \(recipe.source) \(recipe.split)\(recipe.limit.map { " (first \(grouped($0)))" } ?? "")")]
        outputs.append(.table(Table(title: "Images per class", columns: ["class"] + (0..<10).map(String.init),
                                    rows: [["images"] + counts.map(grouped)])))
        var tensors: [String: Pixels] = [:]
        let show = min(o.show, set.count)
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
}
