import Engine
import Notebook
import ReportModel

/// Everything that can be wrong with a cell's options; the wording lives here and nowhere else.
public enum OptionProblem: Equatable, Sendable {
    case unknownOption(name: String, directive: String, suggestion: String?)
    case missingOption(name: String, directive: String)
    case wrongType(option: String, expected: String, got: String)
    case outOfRange(option: String, range: String, got: String)
    case notAChoice(option: String, choices: [String], got: String, suggestion: String?)
    case unknownCell(option: String, name: String, suggestion: String?)
    case laterCell(name: String, line: Int)
    case selfReference(name: String)
    case wrongKind(option: String, name: String, kind: ResultKind, expected: [ResultKind])
    case unknownProfile(option: String, name: String, suggestion: String?)
    case tooMany(option: String, max: Int)
    case duplicateIndex(option: String, index: Int)
    case invalid(option: String, reason: String)

    public var message: String {
        switch self {
        case let .unknownOption(name, directive, suggestion):
            "unknown option '\(name)' for '\(directive)'" + didYouMean(suggestion)
        case let .missingOption(name, directive):
            "'\(directive)' needs option '\(name)'"
        case let .wrongType(option, expected, got):
            "option '\(option)' expects \(expected), got \(got)"
        case let .outOfRange(option, range, got):
            "option '\(option)' must be \(range), got \(got)"
        case let .notAChoice(option, choices, got, suggestion):
            "option '\(option)' must be one of \(choices.joined(separator: ", ")), got '\(got)'" + didYouMean(suggestion)
        case let .unknownCell(option, name, suggestion):
            "option '\(option)' names unknown cell '\(name)'" + didYouMean(suggestion)
        case let .laterCell(name, line):
            "cell '\(name)' is defined later (line \(line)); a cell can only use cells above it"
        case let .selfReference(name):
            "cell '\(name)' cannot use itself"
        case let .wrongKind(option, name, kind, expected):
            "option '\(option)' needs a \(expected.map(\.rawValue).joined(separator: " or ")) cell, but '\(name)' gives \(kind.rawValue)"
        case let .unknownProfile(option, name, suggestion):
            "option '\(option)' gives a value for unknown profile '\(name)'" + didYouMean(suggestion)
        case let .tooMany(option, max):
            "option '\(option)' takes at most \(max) values"
        case let .duplicateIndex(option, index):
            "option '\(option)' gives index \(index) twice"
        case let .invalid(option, reason):
            "option '\(option)': \(reason)"
        }
    }
}

/// What the resolver needs to know about the notebook's cells to check references.
public struct CellTable: Sendable {
    public struct Entry: Sendable { public var index: Int; public var kind: ResultKind; public var line: Int }
    public var entries: [String: Entry]
    public var names: [String]

    public init(cells: [Cell], registry: DirectiveRegistry) {
        var entries: [String: Entry] = [:]
        for c in cells {
            guard let d = registry[c.directive], entries[c.name] == nil else { continue }
            entries[c.name] = Entry(index: c.index, kind: d.resultKind, line: c.location.line)
        }
        self.entries = entries
        self.names = cells.map(\.name)
    }
}

/// Converts a cell's YAML options to typed values: profile selection, type conversion, ranges,
/// references, defaults. Every problem becomes a diagnostic at the offending key or value.
public struct OptionResolver {
    public let file: String
    public let profile: Profile
    public let cells: CellTable

    public init(file: String, profile: Profile, cells: CellTable) {
        self.file = file; self.profile = profile; self.cells = cells
    }

    /// A cell's options: the values (for the cache key and references), and, when they are all
    /// valid, the directive's typed options and the presentation, each decoded once.
    public struct Resolution {
        public var values: ResolvedOptions
        public var typed: (any DirectiveOptions)?
        public var presentation: Presentation
        public var problems: [Diagnostic]
    }

    public func resolve(_ cell: Cell, _ directive: any Directive) -> Resolution {
        var values: [String: OptionValue] = [:]
        var problems: [Diagnostic] = []
        func report(_ p: OptionProblem, at location: SourceLocation) {
            problems.append(Diagnostic(file: file, location: location, severity: .error, message: p.message))
        }
        let declared = directive.options
        let specs = Dictionary(uniqueKeysWithValues: declared.map { ($0.name, $0) })
        var given = Set(cell.options.map(\.key))
        for entry in cell.options {
            guard let spec = specs[entry.key] else {
                report(.unknownOption(name: entry.key, directive: directive.name,
                                      suggestion: suggestion(for: entry.key, among: declared.map(\.name))),
                       at: entry.keyLocation)
                continue
            }
            let value: YAMLValue
            switch selectProfile(entry.value) {
            case .value(let v): value = v
            case .absent: given.remove(spec.name); continue  // not set in this profile: the default applies
            case .unknownProfile(let key, let at):
                report(.unknownProfile(option: spec.name, name: key, suggestion: suggestion(for: key, among: Profile.allCases.map(\.rawValue))), at: at)
                continue
            }
            do {
                values[spec.name] = try convert(value, spec.type, option: spec.name, cell: cell)
            } catch {
                report(error.problem, at: error.location)
            }
        }
        for spec in declared where values[spec.name] == nil && !given.contains(spec.name) {
            if let d = spec.defaultValue { values[spec.name] = d } else if spec.required {
                report(.missingOption(name: spec.name, directive: directive.name), at: cell.nameLocation)
            }
        }
        let resolved = ResolvedOptions(values: values, presentation: Set(declared.filter(\.presentation).map(\.name)))
        let presentation = Presentation(values: values)
        guard problems.isEmpty else { return Resolution(values: resolved, typed: nil, presentation: presentation, problems: problems) }
        let typed = directive.decode(values)
        for (option, reason) in directive.check(typed) {
            let at = cell.options.first { $0.key == option }?.value.location ?? cell.nameLocation
            report(.invalid(option: option, reason: reason), at: at)
        }
        return Resolution(values: resolved, typed: problems.isEmpty ? typed : nil, presentation: presentation, problems: problems)
    }

    private enum ProfileChoice { case value(YAMLValue), absent, unknownProfile(String, SourceLocation) }

    /// `{quick: 3, full: 30}` → the active profile's value (absent if it has none); a mapping
    /// that names a profile next to a lookalike (`ful`) is a mistake; anything else is itself.
    private func selectProfile(_ v: YAMLValue) -> ProfileChoice {
        guard case .mapping(let entries, _) = v, entries.contains(where: { Profile(rawValue: $0.key) != nil }) else { return .value(v) }
        if let stray = entries.first(where: { Profile(rawValue: $0.key) == nil }) { return .unknownProfile(stray.key, stray.keyLocation) }
        return entries.first { $0.key == profile.rawValue }.map { .value($0.value) } ?? .absent
    }

    struct Failure: Error { let problem: OptionProblem; let location: SourceLocation }

    private func convert(_ v: YAMLValue, _ type: OptionType, option: String, cell: Cell) throws(Failure) -> OptionValue {
        func fail(_ p: OptionProblem) -> Failure { Failure(problem: p, location: v.location) }
        func wrongType() -> Failure { fail(.wrongType(option: option, expected: type.description, got: v.shortDescription)) }
        switch type {
        case .int(let range):
            guard case .scalar(let s, false, _) = v, let n = Int(s.replacingOccurrences(of: "_", with: "")) else { throw wrongType() }
            guard range.contains(n) else { throw fail(.outOfRange(option: option, range: rangeText(range), got: s)) }
            return .int(n)
        case .number(let range):
            guard case .scalar(let s, false, _) = v, let x = Double(s), x.isFinite else { throw wrongType() }
            guard range.contains(x) else { throw fail(.outOfRange(option: option, range: rangeText(range), got: s)) }
            return .number(x)
        case .bool:
            guard case .scalar(let s, false, _) = v, ["true", "false"].contains(s.lowercased()) else { throw wrongType() }
            return .bool(s.lowercased() == "true")
        case .string:
            guard case .scalar(let s, _, _) = v else { throw wrongType() }
            return .string(s)
        case .choice(let choices):
            guard case .scalar(let s, _, _) = v else { throw wrongType() }
            guard choices.contains(s) else {
                throw fail(.notAChoice(option: option, choices: choices, got: s, suggestion: suggestion(for: s, among: choices)))
            }
            return .string(s)
        case .cell(let kinds):
            guard case .scalar(let name, _, _) = v else { throw wrongType() }
            try checkReference(name, kinds: kinds, option: option, cell: cell, at: v.location)
            return .cell(name)
        case .metricRef:
            guard case .scalar(let s, _, _) = v, let dot = s.firstIndex(of: "."), dot != s.startIndex, s.index(after: dot) != s.endIndex else {
                throw wrongType()
            }
            let name = String(s[..<dot])
            try checkReference(name, kinds: ResultKind.allCases, option: option, cell: cell, at: v.location)
            return .metric(cell: name, field: String(s[s.index(after: dot)...]))
        case let .list(element, maxCount):
            let items: [YAMLValue]
            if case .sequence(let xs, _) = v { items = xs } else { items = [v] }
            guard !items.isEmpty else { throw wrongType() }
            guard items.count <= maxCount else { throw fail(.tooMany(option: option, max: maxCount)) }
            let converted = try items.map { (item) throws(Failure) in try convert(item, element, option: option, cell: cell) }
            if case .sequence = v { return .list(converted) }
            return converted[0]
        case let .indexMap(indices, element):
            var map: [Int: OptionValue] = [:]
            switch v {
            case .mapping(let entries, _):
                for e in entries {
                    guard let i = Int(e.key) else {
                        throw Failure(problem: .wrongType(option: option, expected: "integer indices", got: "'\(e.key)'"), location: e.keyLocation)
                    }
                    guard indices.contains(i) else {
                        throw Failure(problem: .outOfRange(option: option, range: rangeText(indices), got: e.key), location: e.keyLocation)
                    }
                    map[i] = try convert(e.value, element, option: option, cell: cell)
                }
            case .sequence(let xs, _):  // a plain list gives indices 0, 1, 2, …
                guard xs.count <= indices.upperBound + 1 else { throw fail(.tooMany(option: option, max: indices.upperBound + 1)) }
                for (i, x) in xs.enumerated() { map[i] = try convert(x, element, option: option, cell: cell) }
            default:
                throw wrongType()
            }
            return .indexMap(map)
        case .layers:
            return .layers(try LayerParser(option: option).parse(v))
        }
    }

    private func checkReference(_ name: String, kinds: [ResultKind], option: String, cell: Cell, at location: SourceLocation) throws(Failure) {
        guard let target = cells.entries[name] else {
            throw Failure(problem: .unknownCell(option: option, name: name, suggestion: suggestion(for: name, among: cells.names)), location: location)
        }
        guard name != cell.name else { throw Failure(problem: .selfReference(name: name), location: location) }
        guard target.index < cell.index else { throw Failure(problem: .laterCell(name: name, line: target.line), location: location) }
        guard kinds.contains(target.kind) else {
            throw Failure(problem: .wrongKind(option: option, name: name, kind: target.kind, expected: kinds), location: location)
        }
    }
}

func rangeText<T: Comparable & CustomStringConvertible>(_ r: ClosedRange<T>) -> String {
    "between \(r.lowerBound) and \(r.upperBound)"
}

extension YAMLValue {
    /// How a wrong value is quoted back in a message.
    var shortDescription: String {
        switch self {
        case .scalar(let s, _, _): "'\(s.count > 40 ? String(s.prefix(40)) + "…" : s)'"
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .null: "nothing"
        }
    }
}
