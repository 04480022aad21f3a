import ReportModel

/// One kind of layer as a user declares it: its name in notebooks, its parameters with their
/// defaults, and how it is built on a given input. The engine builds models from it and the
/// notebook's layer lists are parsed from it, so adding a layer kind is one type conforming to
/// this protocol (beside the `Layer` it builds) plus one line in `LayerKinds.all`.
public protocol LayerKind: Codable, Hashable, Sendable {
    /// The name in notebooks' layer lists, Keras's class name in snake case ("conv2d_transpose").
    static var name: String { get }
    /// One sentence for the reference (docs/notebook-format.md).
    static var summary: String { get }
    /// The key in checkpoints' JSON and in cache keys; defaults to `name`.
    static var codingName: String { get }
    /// What a notebook may set, each bound to a property whose initial value is the default.
    static var parameters: [LayerParameter<Self>] { get }
    /// How a notebook writes the parameters; defaults to a `{name: value}` mapping.
    static var form: LayerForm { get }
    /// Flatten and reshape only relabel the values: the output activation is looked for before them.
    static var isShapeOnly: Bool { get }
    /// The activation this layer ends in, if the model may move it into the loss (from logits).
    static var activation: WritableKeyPath<Self, Activation>? { get }

    init()
    /// The layer on `input`; size checks go through `context` so their wording is shared.
    func build(_ context: LayerContext) throws(ModelError) -> any Layer
}

extension LayerKind {
    public static var codingName: String { name }
    public static var form: LayerForm { parameters.isEmpty ? .bare : .mapping }
    public static var isShapeOnly: Bool { false }
    public static var activation: WritableKeyPath<Self, Activation>? { nil }
}

/// How a layer's parameters are written in a notebook's layer list.
public enum LayerForm: Sendable, Equatable {
    /// `- flatten`: no parameters.
    case bare
    /// `- dense: {units: 16, activation: relu}`; `- max_pooling2d` alone when no parameter is required.
    case mapping
    /// `- reshape: [7, 7, 64]`: the value of the kind's one parameter.
    case value
}

/// The registry: every layer kind a notebook or a checkpoint may name.
public enum LayerKinds {
    public static let all: [any LayerKind.Type] = [
        Conv2DKind.self,
        Conv2DTransposeKind.self,
        DenseKind.self,
        FlattenKind.self,
        ReshapeKind.self,
        ActivationKind.self,
        ResidualKind.self,
        MaxPooling2DKind.self,
        UpSampling2DKind.self,
    ]

    public static var names: [String] { all.map { $0.name } }
    public static func named(_ name: String) -> (any LayerKind.Type)? { all.first { $0.name == name } }
    static func coded(_ key: String) -> (any LayerKind.Type)? { all.first { $0.codingName == key } }
}

/// The value types a layer parameter can have, with the range a notebook may give.
public enum LayerParameterType: Sendable, Equatable {
    /// An integer in 1...4096 (filters, units, kernel, strides).
    case size
    case padding
    case activation
    /// A non-empty list of sizes in 1...4096 (a target shape).
    case sizes

    public static let sizeRange = 1...4096
}

/// A parameter value as parsed from a notebook, before it is stored in its kind's property.
public enum LayerArgument: Sendable, Equatable {
    case size(Int)
    case padding(Padding)
    case activation(Activation)
    case sizes([Int])
}

extension LayerArgument: CustomStringConvertible {
    /// As a notebook writes it.
    public var description: String {
        switch self {
        case .size(let n): String(n)
        case .padding(let p): p.rawValue
        case .activation(let a): a.rawValue
        case .sizes(let s): "[" + s.map(String.init).joined(separator: ", ") + "]"
        }
    }
}

/// One parameter of a layer kind: its notebook name and type, bound to a property.
public struct LayerParameter<Kind: LayerKind>: @unchecked Sendable {
    public let name: String
    public let type: LayerParameterType
    public let required: Bool
    let assign: (inout Kind, LayerArgument) -> Void
    let read: (Kind) -> LayerArgument

    /// The value a layer of this kind has when the notebook does not set it.
    public var defaultValue: LayerArgument { read(Kind()) }

    public init(_ name: String, _ property: WritableKeyPath<Kind, Int>, required: Bool = false) {
        self.name = name; type = .size; self.required = required
        assign = { kind, value in if case .size(let n) = value { kind[keyPath: property] = n } }
        read = { .size($0[keyPath: property]) }
    }

    public init(_ name: String, _ property: WritableKeyPath<Kind, Padding>) {
        self.name = name; type = .padding; required = false
        assign = { kind, value in if case .padding(let p) = value { kind[keyPath: property] = p } }
        read = { .padding($0[keyPath: property]) }
    }

    public init(_ name: String, _ property: WritableKeyPath<Kind, Activation>, required: Bool = false) {
        self.name = name; type = .activation; self.required = required
        assign = { kind, value in if case .activation(let a) = value { kind[keyPath: property] = a } }
        read = { .activation($0[keyPath: property]) }
    }

    public init(_ name: String, _ property: WritableKeyPath<Kind, [Int]>, required: Bool = false) {
        self.name = name; type = .sizes; self.required = required
        assign = { kind, value in if case .sizes(let s) = value { kind[keyPath: property] = s } }
        read = { .sizes($0[keyPath: property]) }
    }
}

extension LayerKind {
    /// A layer of this kind from parsed arguments (by parameter name); unnamed ones keep their defaults.
    /// The parser has checked names, types and required parameters against `parameters`.
    public static func make(_ arguments: [String: LayerArgument]) -> LayerSpec {
        var kind = Self()
        for parameter in parameters {
            if let value = arguments[parameter.name] { parameter.assign(&kind, value) }
        }
        return LayerSpec(kind)
    }
}

/// The input a layer is built on, and the checks every kind shares (worded once, here).
public struct LayerContext {
    public let input: [Int]
    let part: String
    let index: Int

    public func fail(_ reason: String, hint: String? = nil) -> ModelError { .invalidLayer(part: part, index: index, reason: reason, hint: hint) }

    /// Convolutions need an image; a vector must be reshaped first.
    public func needImage(_ kind: String) throws(ModelError) {
        guard input.count == 3 else {
            throw fail("\(kind) needs an (height, width, channels) input, got \(shapeText(input))", hint: "add a reshape layer first")
        }
    }

    public func needVector(_ kind: String) throws(ModelError) {
        guard input.count == 1 else { throw fail("\(kind) needs a vector input, got \(shapeText(input))", hint: "add a flatten layer first") }
    }

    /// Sizes from a notebook or a checkpoint can be anything: each must be at least 1 and at most `limit`.
    public func bounded(_ values: [(String, Int)], atMost limit: Int = .max) throws(ModelError) {
        for (name, v) in values where v < 1 { throw fail("\(name) must be at least 1, got \(v)") }
        for (name, v) in values where v > limit { throw fail("\(name) must be at most \(grouped(limit)), got \(grouped(v))") }
    }

    /// Checked before the layer exists: its parameter offsets multiply these sizes unchecked.
    public func weights(_ shape: [Int]) throws(ModelError) {
        guard let count = elementCount(shape), count <= Model.maximumParameters else {
            throw fail("it would have more than \(grouped(Model.maximumParameters)) parameters")
        }
    }
}

/// One layer of an architecture as a user describes it: a value of one of the registered kinds.
/// Checkpoints store it as `{codingName: {parameters}}` JSON; cache keys hold its `description`.
/// Both are what the enum this replaced produced, so caches and checkpoints stay valid.
public struct LayerSpec: Hashable, Sendable, CustomStringConvertible {
    public let kind: any LayerKind

    public init(_ kind: some LayerKind) { self.kind = kind }

    public static func == (a: LayerSpec, b: LayerSpec) -> Bool { AnyHashable(a.kind) == AnyHashable(b.kind) }
    public func hash(into hasher: inout Hasher) { AnyHashable(kind).hash(into: &hasher) }

    public var name: String { type(of: kind).name }
    var isShapeOnly: Bool { type(of: kind).isShapeOnly }

    /// The activation this layer ends with, if it can be peeled off.
    var trailingActivation: Activation? {
        func read<K: LayerKind>(_ k: K) -> Activation? { K.activation.map { k[keyPath: $0] } }
        return read(kind)
    }

    func withActivation(_ a: Activation) -> LayerSpec {
        func write<K: LayerKind>(_ k: K) -> LayerSpec {
            guard let path = K.activation else { return LayerSpec(k) }
            var copy = k
            copy[keyPath: path] = a
            return LayerSpec(copy)
        }
        return write(kind)
    }

    func build(_ context: LayerContext) throws(ModelError) -> any Layer { try kind.build(context) }

    /// `conv2d(filters: 32, kernel: 3, stride: 2, padding: Engine.Padding.same, ...)`: the coding
    /// name, then the stored properties in declaration order; a value-form kind's one value unlabelled.
    public var description: String {
        let kindType = type(of: kind)
        let fields = Mirror(reflecting: kind).children.map { child in
            (kindType.form == .value ? "" : "\(child.label ?? ""): ") + String(reflecting: child.value)
        }
        return fields.isEmpty ? kindType.codingName : "\(kindType.codingName)(\(fields.joined(separator: ", ")))"
    }
}

extension LayerSpec: Codable {
    struct Key: CodingKey {
        var stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath, debugDescription: "a layer is one {kind: parameters} entry"))
        }
        guard let kindType = LayerKinds.coded(key.stringValue) else {
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath + [key], debugDescription: "unknown layer kind '\(key.stringValue)'"))
        }
        kind = try kindType.init(from: container.superDecoder(forKey: key))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try kind.encode(to: container.superEncoder(forKey: Key(stringValue: type(of: kind).codingName)))
    }
}
