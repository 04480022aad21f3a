import Datasets
import Engine
import Notebook

/// A directive's options as a Swift struct. Its `fields` bind each option's name, type and help
/// to a property; a property's initial value is the option's default (an optional that starts as
/// nil has none). The resolver fills one of these per cell, once, then calls `check()`.
public protocol DirectiveOptions: Sendable {
    init()
    static var fields: [OptionField<Self>] { get }
    /// Rules that involve several options: (option, reason) pairs, worded by `OptionProblem.invalid`.
    func check() -> [(String, String)]
}

extension DirectiveOptions {
    public func check() -> [(String, String)] { [] }

    /// The declaration as `OptionSpec`s, defaults read from `init()`.
    static var specs: [OptionSpec] {
        let defaults = Self()
        return fields.map { field in
            var spec = field.spec
            spec.defaultValue = spec.required ? nil : field.read(defaults)
            return spec
        }
    }

    /// The options whose property cannot hold the given value: a field declared with one type
    /// and bound to a property of another (tested for every directive and option type).
    static func refusing(_ values: [String: OptionValue]) -> [String] {
        var options = Self()
        return fields.filter { field in values[field.spec.name].map { !field.assign(&options, $0) } ?? false }.map(\.spec.name)
    }

    /// Options from resolved values. The resolver only produces values of each field's type,
    /// so a value that does not fit is a mismatch between a field's type and its property.
    init(values: [String: OptionValue]) {
        self.init()
        for field in Self.fields {
            guard let value = values[field.spec.name] else { continue }
            guard field.assign(&self, value) else {
                preconditionFailure("option '\(field.spec.name)' is declared \(field.spec.type.description) but its property cannot hold \(value)")
            }
        }
    }
}

/// One option of a directive: its declaration and the property it fills.
public struct OptionField<Options>: @unchecked Sendable {
    public var spec: OptionSpec
    let assign: (inout Options, OptionValue) -> Bool
    let read: (Options) -> OptionValue?

    public init<Value: OptionConvertible>(_ name: String, _ property: WritableKeyPath<Options, Value>, _ type: OptionType,
                                          required: Bool = false, presentation: Bool = false, help: String) {
        spec = OptionSpec(name, type, required: required, presentation: presentation, help: help)
        assign = { options, value in
            guard let v = Value(option: value) else { return false }
            options[keyPath: property] = v
            return true
        }
        read = { $0[keyPath: property].option }
    }

    /// A choice among an enum's cases, its type derived from them.
    public init<Value: OptionChoice>(_ name: String, _ property: WritableKeyPath<Options, Value>,
                                     required: Bool = false, help: String) {
        self.init(name, property, .choice(Value.allCases.map(\.rawValue)), required: required, help: help)
    }

    public init<Value: OptionChoice>(_ name: String, _ property: WritableKeyPath<Options, Value?>, help: String) {
        self.init(name, property, .choice(Value.allCases.map(\.rawValue)), help: help)
    }
}

/// A Swift type an option's value converts to, and back (for defaults and documentation).
public protocol OptionConvertible {
    init?(option: OptionValue)
    /// nil: no value (an optional that is not set).
    var option: OptionValue? { get }
}

extension Int: OptionConvertible {
    public init?(option: OptionValue) { guard let v = option.intValue else { return nil }; self = v }
    public var option: OptionValue? { .int(self) }
}

extension Double: OptionConvertible {
    public init?(option: OptionValue) { guard let v = option.doubleValue else { return nil }; self = v }
    public var option: OptionValue? { .number(self) }
}

extension Bool: OptionConvertible {
    public init?(option: OptionValue) { guard let v = option.boolValue else { return nil }; self = v }
    public var option: OptionValue? { .bool(self) }
}

extension String: OptionConvertible {
    public init?(option: OptionValue) { guard case .string(let v) = option else { return nil }; self = v }
    public var option: OptionValue? { .string(self) }
}

extension Optional: OptionConvertible where Wrapped: OptionConvertible {
    public init?(option: OptionValue) { guard let v = Wrapped(option: option) else { return nil }; self = v }
    public var option: OptionValue? { self?.option }
}

/// One value or a list of them: a single value is a list of one.
extension Array: OptionConvertible where Element: OptionConvertible {
    public init?(option: OptionValue) {
        var items: [Element] = []
        for item in option.items {
            guard let v = Element(option: item) else { return nil }
            items.append(v)
        }
        self = items
    }
    public var option: OptionValue? { .list(compactMap(\.option)) }
}

/// `index: value` pairs.
extension Dictionary: OptionConvertible where Key == Int, Value: OptionConvertible {
    public init?(option: OptionValue) {
        guard case .indexMap(let map) = option else { return nil }
        var result: [Int: Value] = [:]
        for (i, v) in map {
            guard let value = Value(option: v) else { return nil }
            result[i] = value
        }
        self = result
    }
    public var option: OptionValue? { .indexMap(compactMapValues(\.option)) }
}

/// An option whose value is one of an enum's raw values.
public protocol OptionChoice: RawRepresentable<String>, CaseIterable, OptionConvertible, Sendable {}

extension OptionChoice {
    public init?(option: OptionValue) {
        guard case .string(let s) = option, let v = Self(rawValue: s) else { return nil }
        self = v
    }
    public var option: OptionValue? { .string(rawValue) }
}

/// The name of an earlier cell, checked by the resolver to exist above and to be of the kind asked.
public struct CellName: OptionConvertible, Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public init(_ name: String) { self.name = name }
    public init?(option: OptionValue) { guard case .cell(let name) = option else { return nil }; self.name = name }
    public var option: OptionValue? { name.isEmpty ? nil : .cell(name) }
    public var description: String { name }
}

/// `cell.field`: a metric of an earlier cell.
public struct MetricName: OptionConvertible, Hashable, Sendable {
    public var cell: String
    public var field: String
    public init?(option: OptionValue) {
        guard case let .metric(cell, field) = option else { return nil }
        self.cell = cell; self.field = field
    }
    public var option: OptionValue? { .metric(cell: cell, field: field) }
}

/// A layer list (the `encoder` and `decoder` of a custom architecture).
public struct LayerList: OptionConvertible, Hashable, Sendable {
    public var layers: [LayerSpec]
    public init?(option: OptionValue) { guard case .layers(let l) = option else { return nil }; layers = l }
    public var option: OptionValue? { .layers(layers) }
}

/// How every cell is presented: resolved once per cell by the plan, never part of its result or
/// cache key, so editing it recomputes nothing.
public struct Presentation: DirectiveOptions, Hashable {
    public var title: String?
    public var caption: String?
    public init() {}
    public static let fields: [OptionField<Presentation>] = [
        OptionField("title", \.title, .string, presentation: true, help: "Heading shown above the cell's outputs."),
        OptionField("caption", \.caption, .string, presentation: true, help: "Caption of the cell's figure or table."),
    ]
}

extension Loss: OptionChoice {}
extension Split: OptionChoice {}
