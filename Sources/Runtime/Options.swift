import Engine
import Notebook

/// What a directive's option accepts. Conversion from YAML happens here, per type, so a value
/// means what the schema says ("3" is an integer for `epochs`, a string for `title`).
public indirect enum OptionType: Sendable {
    case int(ClosedRange<Int>)
    case number(ClosedRange<Double>)
    case bool
    case string
    case choice([String])
    /// A reference to an earlier cell whose result is one of these kinds.
    case cell([ResultKind])
    /// One value or a list of them (`size: 10` or `size: [10, 15]`).
    case list(OptionType, maxCount: Int)
    /// `index: value` pairs with integer keys (e.g. fixed latent coordinates `{2: 0.5}`).
    case indexMap(ClosedRange<Int>, OptionType)
    /// A layer list describing an architecture.
    case layers
    /// A reference to a metric of an earlier cell: `cell.field`.
    case metricRef

    var description: String {
        switch self {
        case .int: "an integer"
        case .number: "a number"
        case .bool: "true or false"
        case .string: "a string"
        case .choice(let options): "one of " + options.joined(separator: ", ")
        case .cell(let kinds): "the name of an earlier " + kinds.map(\.rawValue).joined(separator: " or ") + " cell"
        case .list(let t, _): "\(t.description), or a list of them"
        case .indexMap: "a mapping from index to value"
        case .layers: "a list of layers"
        case .metricRef: "a metric reference like 'cell.field'"
        }
    }
}

public struct OptionSpec: Sendable {
    public var name: String
    public var type: OptionType
    public var defaultValue: OptionValue?
    public var required: Bool
    /// Presentation options (caption, title, sizes) change how a result looks, never the result:
    /// they stay out of the cache key.
    public var presentation: Bool
    public var help: String

    public init(_ name: String, _ type: OptionType, default defaultValue: OptionValue? = nil, required: Bool = false,
                presentation: Bool = false, help: String) {
        self.name = name; self.type = type; self.defaultValue = defaultValue
        self.required = required; self.presentation = presentation; self.help = help
    }
}

/// A converted option value.
public indirect enum OptionValue: Hashable, Sendable, Codable {
    case int(Int)
    case number(Double)
    case bool(Bool)
    case string(String)
    case cell(String)
    case list([OptionValue])
    case indexMap([Int: OptionValue])
    case layers([LayerSpec])
    case metric(cell: String, field: String)

    /// The value as a list (a single value is a list of one).
    public var items: [OptionValue] { if case .list(let v) = self { v } else { [self] } }
    public var intValue: Int? { if case .int(let v) = self { v } else { nil } }
    public var doubleValue: Double? {
        switch self {
        case .number(let v): v
        case .int(let v): Double(v)
        default: nil
        }
    }
    public var stringValue: String? {
        switch self {
        case .string(let v), .cell(let v): v
        default: nil
        }
    }
    public var boolValue: Bool? { if case .bool(let v) = self { v } else { nil } }
}

/// The options of one cell after profile resolution, conversion and defaults.
public struct ResolvedOptions: Sendable, Hashable {
    public var values: [String: OptionValue]
    /// Names of presentation options, kept apart from the cache key.
    public var presentation: Set<String>

    public subscript(_ name: String) -> OptionValue? { values[name] }
    public func int(_ name: String) -> Int? { values[name]?.intValue }
    public func double(_ name: String) -> Double? { values[name]?.doubleValue }
    public func string(_ name: String) -> String? { values[name]?.stringValue }
    public func bool(_ name: String) -> Bool? { values[name]?.boolValue }
    /// Execution options only, for the cache key.
    public var execution: [String: OptionValue] { values.filter { !presentation.contains($0.key) } }
    /// Cells this cell reads, in option order.
    public var references: [String] {
        values.keys.sorted().flatMap { key -> [String] in
            values[key]!.items.compactMap {
                switch $0 {
                case .cell(let name): name
                case .metric(let cell, _): cell
                default: nil
                }
            }
        }
    }
}

/// Profiles let one notebook hold a quick and a full setting: `epochs: {quick: 3, full: 30}`.
public enum Profile: String, Sendable, CaseIterable, Codable {
    case quick, full
}
