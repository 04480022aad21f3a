import Engine
import Notebook

/// What a cell's result is, so references can be checked before anything runs.
public enum ResultKind: String, Sendable, Codable, CaseIterable {
    case dataset, model, latents, images, scores, figure
}

/// A directive: its typed options and how to execute it. Directives map to executors through the
/// registry (knitr-style); adding one is adding a type and a line in `DirectiveRegistry.standard`.
public protocol Directive: Sendable {
    associatedtype Options: DirectiveOptions
    var name: String { get }
    var summary: String { get }
    var resultKind: ResultKind { get }
    /// A realistic cell (or cells) for the reference; the examples of all directives, in
    /// registry order, form a notebook that checks clean (tested).
    var example: String { get }
    /// What besides its options, seed and inputs decides the result (the files a dataset reads),
    /// as lines of the cache key.
    func keyParts(_ options: Options) -> [String]
    /// How many times the cell runs, each with its own seed (`train`'s `seeds`); the cells
    /// computed from it run as often, each replica from the same replica of its inputs.
    func replicas(_ options: Options) -> Int
    /// A cell that reads all replicas of its inputs at once (a plot's mean and spread) instead of
    /// running once per replica.
    var combinesReplicas: Bool { get }
    func execute(_ options: Options, in context: ExecutionContext) throws -> CellResult
}

extension Directive {
    public func keyParts(_ options: Options) -> [String] { [] }
    public func replicas(_ options: Options) -> Int { 1 }
    public var combinesReplicas: Bool { false }

    /// Every option a cell of this directive accepts: its own, then the presentation options.
    public var options: [OptionSpec] { Options.specs + Presentation.specs }

    /// The options whose Swift property cannot hold these values (a declaration mistake).
    public func propertiesRefusing(_ values: [String: OptionValue]) -> [String] {
        Options.refusing(values) + Presentation.refusing(values)
    }

    // The plan keeps options type-erased (a notebook mixes directives); these open them again.
    func decode(_ values: [String: OptionValue]) -> any DirectiveOptions { Options(values: values) }

    func check(_ options: any DirectiveOptions) -> [(String, String)] { typed(options).check() }

    func keyParts(erased options: any DirectiveOptions) -> [String] { keyParts(typed(options)) }

    func replicas(erased options: any DirectiveOptions) -> Int { replicas(typed(options)) }

    func execute(erased options: any DirectiveOptions, in context: ExecutionContext) throws -> CellResult {
        try execute(typed(options), in: context)
    }

    private func typed(_ options: any DirectiveOptions) -> Options {
        guard let o = options as? Options else { preconditionFailure("the plan decodes a cell's options with its own directive") }
        return o
    }
}

public struct DirectiveRegistry: Sendable {
    private let directives: [String: any Directive]
    public let names: [String]

    public init(_ directives: [any Directive]) {
        self.directives = Dictionary(uniqueKeysWithValues: directives.map { ($0.name, $0) })
        self.names = directives.map(\.name)
    }

    public subscript(_ name: String) -> (any Directive)? { directives[name] }
    public var all: [any Directive] { names.compactMap { directives[$0] } }

    public static let standard = DirectiveRegistry([
        DatasetDirective(), TrainDirective(), EncodeDirective(), DecodeDirective(),
        MaskDirective(), NoiseDirective(), ScoreDirective(), PlotDirective(),
    ])
}
