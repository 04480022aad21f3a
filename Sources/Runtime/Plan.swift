import Crypto
import Datasets
import Engine
import Foundation
import Notebook
import ReportModel

/// A notebook checked and keyed, before anything runs: what `check` reports and `cells` lists.
public struct Plan: Sendable {
    public struct Step: Sendable {
        public var cell: Cell
        public var directive: (any Directive)?
        /// The option values, defaults included: what the cache key and the references are made of.
        public var options: ResolvedOptions
        /// The directive's typed options; nil when the cell has problems.
        public var typed: (any DirectiveOptions)?
        public var presentation: Presentation
        public var seed: UInt64
        /// The content key; nil when the cell or one of its inputs is invalid.
        public var key: String?
        public var problems: [Diagnostic]
    }
    public var notebook: Notebook
    /// The profile its options were resolved for.
    public let profile: Profile
    public var steps: [Step]
    /// Every diagnostic: parse errors (including lookalike directives) and option errors, sorted by position.
    public var diagnostics: [Diagnostic]
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    public func step(named name: String) -> Step? { steps.first { $0.cell.name == name } }

    public init(source: String, file: String, profile: Profile, registry: DirectiveRegistry = .standard) {
        let (notebook, parseProblems) = Notebook.parse(source, file: file, directives: Set(registry.names))
        self.notebook = notebook
        self.profile = profile
        let table = CellTable(cells: notebook.cells, registry: registry)
        let resolver = OptionResolver(file: file, profile: profile, cells: table)
        let notebookSeed = notebook.frontMatter.seed ?? 0
        var diagnostics = parseProblems
        var keys: [String: String] = [:]
        var steps: [Step] = []
        // Over the limit the parser has said so; checking every cell would only take long.
        let checked = notebook.cells.count <= NotebookFile.maximumCells
        // Grouped once: each cell looks up its own body's lines instead of scanning them all.
        let parseErrorsByLine = Dictionary(grouping: parseProblems.filter { $0.severity == .error }, by: \.location.line)
        for cell in notebook.cells where checked {
            let seed = Plan.cellSeed(notebook: notebookSeed, cell: cell.name)
            guard let directive = registry[cell.directive] else { continue }  // the parser only makes cells of known directives
            let resolution = resolver.resolve(cell, directive)
            let options = resolution.values
            var problems = resolution.problems
            // A body the parser could not read has no options to check: its error (on a body line or,
            // for a YAML error at its end, the closing fence) says it all.
            let bodyLines = cell.bodyLocation.line ... cell.bodyLocation.line + cell.body.reduce(0) { $0 + ($1 == "\n" ? 1 : 0) }
            let bodyErrors = bodyLines.flatMap { parseErrorsByLine[$0] ?? [] }
            if !bodyErrors.isEmpty { problems = bodyErrors } else { diagnostics += problems }
            var key: String?
            let typed = problems.isEmpty ? resolution.typed : nil
            if let typed {
                let inputs = options.references.map { ($0, keys[$0]) }
                if inputs.allSatisfy({ $0.1 != nil }) {
                    key = Plan.key(directive: directive.name, options: options, seed: seed,
                                   inputs: inputs.compactMap { name, key in key.map { (name, $0) } },
                                   extra: directive.keyParts(erased: typed))
                }
            }
            if let key { keys[cell.name] = key }
            steps.append(Step(cell: cell, directive: directive, options: options, typed: typed, presentation: resolution.presentation,
                              seed: seed, key: key, problems: problems))
        }
        for ref in notebook.references where checked && table.entries[ref.cell] == nil {
            let hint = didYouMean(ref.cell, among: table.names)
            diagnostics.append(Diagnostic(file: file, location: ref.location, severity: .error,
                                          message: "reference to unknown cell '\(ref.cell)'\(hint)"))
        }
        let cellNames = Set(table.names)
        for citation in notebook.citations where checked && citation.target(among: cellNames) == nil {
            let hint = didYouMean(citation.name, among: table.names) { "@fig-\($0)" }
            diagnostics.append(Diagnostic(file: file, location: citation.location, severity: .error,
                                          message: "citation of unknown figure '@fig-\(citation.name)'\(hint)",
                                          hint: "'@fig-name' cites the figure of the cell named 'name'"))
        }
        self.steps = steps
        self.diagnostics = diagnostics.sorted { ($0.location, $0.message) < ($1.location, $1.message) }
    }

    /// Each cell's seed comes from the notebook seed and the cell's name alone, so adding or
    /// moving a cell never changes another cell's numbers.
    static func cellSeed(notebook: UInt64, cell: String) -> UInt64 {
        let digest = SHA256.hash(data: Data("latentbook-seed/\(notebook)/\(cell)".utf8))
        return digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The cache key: everything that affects a result, listed explicitly (knitr-style) —
    /// key format, engine version, directive, execution options, seed, the keys of the cells it
    /// reads, and what the directive adds (a dataset: the checksums of the files it loads).
    /// Presentation options are left out.
    static func key(directive: String, options: ResolvedOptions, seed: UInt64, inputs: [(String, String)], extra: [String]) -> String {
        var lines = ["latentbook-cache-key 2", "engine \(engineVersion)", "directive \(directive)", "seed \(seed)"]
        for (name, value) in options.execution.sorted(by: { $0.key < $1.key }) { lines.append("option \(name)=\(value.canonical)") }
        for (name, key) in inputs.sorted(by: { $0.0 < $1.0 }) { lines.append("input \(name)=\(key)") }
        lines += extra
        return hex(SHA256.hash(data: Data(lines.joined(separator: "\n").utf8)))
    }
}

extension OptionValue {
    /// A deterministic text form for cache keys (dictionaries sorted, numbers in shortest form).
    var canonical: String {
        switch self {
        case .int(let n): "i:\(n)"
        case .number(let x): "n:\(x)"
        case .bool(let b): "b:\(b)"
        case .string(let s): "s:\(s.debugDescription)"
        case .cell(let c): "c:\(c)"
        case .list(let xs): "[" + xs.map(\.canonical).joined(separator: ",") + "]"
        case .indexMap(let m): "{" + m.keys.sorted().map { "\($0)=\(m[$0]!.canonical)" }.joined(separator: ",") + "}"
        case .layers(let layers):
            "L:" + layers.map { String(describing: $0) }.joined(separator: ";")
        case let .metric(cell, field): "m:\(cell).\(field)"
        }
    }
}
