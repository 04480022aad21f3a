import Engine
import Notebook

/// What a cell's result is, so references can be checked before anything runs.
public enum ResultKind: String, Sendable, Codable, CaseIterable {
    case dataset, model, latents, images, scores, figure
}

/// A directive: its options and how to execute it. Directives map to executors through the
/// registry (knitr-style); adding one is adding a type and a line in `DirectiveRegistry.standard`.
public protocol Directive: Sendable {
    var name: String { get }
    var summary: String { get }
    var resultKind: ResultKind { get }
    /// A realistic cell (or cells) for the reference; the examples of all directives, in
    /// registry order, form a notebook that checks clean (tested).
    var example: String { get }
    var options: [OptionSpec] { get }
    /// Checks that involve several options; returns (option, reason) pairs.
    func check(_ options: ResolvedOptions) -> [(String, String)]
    func execute(_ context: ExecutionContext) throws -> CellResult
}

extension Directive {
    public func check(_ options: ResolvedOptions) -> [(String, String)] { [] }
}

public struct DirectiveRegistry: Sendable {
    private let directives: [String: any Directive]
    public let names: [String]

    public init(_ directives: [any Directive]) {
        self.directives = Dictionary(uniqueKeysWithValues: directives.map { ($0.name, $0) })
        self.names = directives.map(\.name)
    }

    public subscript(_ name: String) -> (any Directive)? { directives[name] }
    public var all: [any Directive] { names.map { directives[$0]! } }

    public static let standard = DirectiveRegistry([
        DatasetDirective(), TrainDirective(), EncodeDirective(), DecodeDirective(),
        MaskDirective(), NoiseDirective(), ScoreDirective(), PlotDirective(),
    ])
}

/// Options every directive accepts for presentation. They are never baked into results: the
/// report and `run` show them from the notebook as it is now, so editing them recomputes nothing.
let presentationOptions: [OptionSpec] = [
    OptionSpec("title", .string, presentation: true, help: "Heading shown above the cell's outputs."),
    OptionSpec("caption", .string, presentation: true, help: "Caption of the cell's figure or table."),
]
