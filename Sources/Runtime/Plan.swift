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
        /// How many times it runs (repeated seeds), and each run's seed and key: the first
        /// replica is the cell with its own seed, cached as the cell without repeats is.
        public var replicas: Int = 1
        public var replicaSeeds: [UInt64] = []
        public var replicaKeys: [String] = []
    }

    /// The most replicas a cell may have (`seeds`): each is a full training.
    public static let maximumReplicas = 20
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
        // Per cell: the key of its first replica (the key it has without repeats), and its replicas.
        var baseKeys: [String: String] = [:]
        var replicaCounts: [String: Int] = [:]
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
            var typed = problems.isEmpty ? resolution.typed : nil
            var replicas = 1
            if let t = typed {
                switch Plan.replicas(of: cell, own: directive.replicas(erased: t), combines: directive.combinesReplicas,
                                     inputs: options.references, counts: replicaCounts, file: file) {
                case .success(let n): replicas = n
                case .failure(let problem): problems.append(problem); diagnostics.append(problem); typed = nil
                }
            }
            var step = Step(cell: cell, directive: directive, options: options, typed: typed, presentation: resolution.presentation,
                            seed: seed, key: nil, problems: problems)
            if let typed {
                // A cell run per replica reads its inputs' replicas (keyed by their first); one that
                // combines them reads them all (keyed by their whole set).
                let inputs = options.references.map { ($0, directive.combinesReplicas ? keys[$0] : baseKeys[$0]) }
                if inputs.allSatisfy({ $0.1 != nil }) {
                    let base = Plan.key(directive: directive.name, options: options, seed: seed,
                                        inputs: inputs.compactMap { name, key in key.map { (name, $0) } },
                                        extra: directive.keyParts(erased: typed))
                    step.replicas = replicas
                    step.replicaSeeds = (0..<replicas).map { Plan.replicaSeed(seed, $0) }
                    step.replicaKeys = (0..<replicas).map { $0 == 0 ? base : Plan.derivedKey(base, "replica \($0)") }
                    key = replicas == 1 ? base : Plan.derivedKey(base, "replicas \(replicas)")
                    baseKeys[cell.name] = base
                    replicaCounts[cell.name] = replicas
                }
            }
            if let key { keys[cell.name] = key }
            step.key = key
            steps.append(step)
        }
        for ref in notebook.allReferences where checked && table.entries[ref.cell] == nil {
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

    /// A cell's replica count: its own (`seeds`), or that of the repeated cells it reads, which
    /// must agree; a cell that combines replicas runs once.
    static func replicas(of cell: Cell, own: Int, combines: Bool, inputs: [String], counts: [String: Int],
                         file: String) -> Result<Int, Diagnostic> {
        if combines { return .success(1) }
        let repeated = inputs.compactMap { name in counts[name].flatMap { $0 > 1 ? (name, $0) : nil } }
        let found = (own > 1 ? [(cell.name, own)] : []) + repeated
        guard let first = found.first else { return .success(1) }
        if let other = found.first(where: { $0.1 != first.1 }) {
            let which = { (name: String, n: Int) in name == cell.name ? "its own seeds: \(n)" : "'\(name)' has \(n) seeds" }
            return .failure(Diagnostic(file: file, location: cell.nameLocation, severity: .error,
                                       message: "cell '\(cell.name)' mixes repeated seeds: \(which(first.0, first.1)), \(which(other.0, other.1))",
                                       hint: "a cell computed from repeated cells runs once per seed; give those cells the same 'seeds'"))
        }
        return .success(first.1)
    }

    /// Replica `r`'s seed: the cell's own for the first, so `seeds: 1` is the cell as it was.
    static func replicaSeed(_ seed: UInt64, _ replica: Int) -> UInt64 {
        replica == 0 ? seed : cellSeed(notebook: seed, cell: "replica-\(replica)")
    }

    static func derivedKey(_ key: String, _ what: String) -> String {
        hex(SHA256.hash(data: Data("\(key)\n\(what)".utf8)))
    }

    /// The cache key: everything that affects a result, listed explicitly (knitr-style) —
    /// key format, engine version, directive, execution options, seed, the keys of the cells it
    /// reads, and what the directive adds (a dataset: the checksums of the files it loads).
    /// Presentation options are left out.
    static func key(directive: String, options: ResolvedOptions, seed: UInt64, inputs: [(String, String)], extra: [String]) -> String {
        var lines = ["latentbook-cache-key 2", "engine \(engineVersion)", "directive \(directive)", "seed \(seed)"]
        // `seeds` is not in it: each replica is keyed from this key and its index (`replicaKeys`),
        // so adding seeds reuses the ones already trained.
        for (name, value) in options.execution.sorted(by: { $0.key < $1.key }) where name != "seeds" {
            lines.append("option \(name)=\(value.canonical)")
        }
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
