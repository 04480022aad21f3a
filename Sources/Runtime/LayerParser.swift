import Engine
import Notebook

/// Architectures as YAML layer lists, in Keras's vocabulary:
///
///     encoder:
///       - conv2d: {filters: 32, kernel: 3, strides: 2, activation: relu}
///       - flatten
///       - dense: {units: 16, activation: relu}
///       - dense: {units: 2}
struct LayerParser {
    let option: String
    typealias Failure = OptionResolver.Failure

    static let kinds = ["conv2d", "conv2d_transpose", "dense", "flatten", "reshape", "activation", "residual"]

    func parse(_ v: YAMLValue) throws(Failure) -> [LayerSpec] {
        guard case .sequence(let items, _) = v, !items.isEmpty else {
            throw fail("expects a list of layers, got \(v.shortDescription)", v.location)
        }
        return try items.map { (item) throws(Failure) in try layer(item) }
    }

    private func fail(_ reason: String, _ at: SourceLocation) -> Failure {
        Failure(problem: .invalid(option: option, reason: reason), location: at)
    }

    private func layer(_ item: YAMLValue) throws(Failure) -> LayerSpec {
        let kind: String, kindAt: SourceLocation, params: YAMLValue?
        switch item {
        case .scalar(let s, _, let at): (kind, kindAt, params) = (s, at, nil)
        case .mapping(let entries, let at):
            guard entries.count == 1 else { throw fail("a layer is one 'type: parameters' entry", at) }
            (kind, kindAt, params) = (entries[0].key, entries[0].keyLocation, entries[0].value)
        default: throw fail("a layer is a type name or one 'type: parameters' entry", item.location)
        }
        guard LayerParser.kinds.contains(kind) else {
            let hint = didYouMean(kind, among: LayerParser.kinds)
            throw fail("unknown layer type '\(kind)'\(hint)", kindAt)
        }
        switch kind {
        case "flatten":
            return .flatten
        case "reshape":
            guard case .sequence(let dims, let at)? = params else { throw fail("reshape takes a list of sizes, e.g. [7, 7, 64]", params?.location ?? kindAt) }
            let sizes = dims.compactMap { if case .scalar(let s, false, _) = $0 { Int(s) } else { nil } }
            guard sizes.count == dims.count, sizes.allSatisfy({ (1...4096).contains($0) }) else { throw fail("reshape sizes must be integers between 1 and 4096", at) }
            return .reshape(sizes)
        case "activation":
            guard case .scalar(let s, _, _)? = params, let a = Activation(rawValue: s) else {
                throw fail("activation takes one of " + Activation.allCases.map(\.rawValue).joined(separator: ", "), params?.location ?? kindAt)
            }
            return .activation(a)
        default:
            let p = try Parameters(params, kind: kind, at: kindAt, parser: self)
            switch kind {
            case "conv2d":
                return .conv2d(filters: try p.int("filters"), kernel: try p.int("kernel", 3), stride: try p.int("strides", 1),
                               padding: try p.padding(), activation: try p.activation())
            case "conv2d_transpose":
                return .conv2dTranspose(filters: try p.int("filters"), kernel: try p.int("kernel", 3), stride: try p.int("strides", 1),
                                        padding: try p.padding(), activation: try p.activation())
            case "dense":
                return .dense(units: try p.int("units"), activation: try p.activation())
            default:  // residual
                return .residual(filters: try p.int("filters"), stride: try p.int("strides", 1))
            }
        }
    }

    /// A layer's `{name: value}` parameters, checked against what the layer type accepts.
    private struct Parameters {
        let values: [String: YAMLValue]
        let at: SourceLocation
        let kind: String
        let parser: LayerParser

        static let accepted: [String: [String]] = [
            "conv2d": ["filters", "kernel", "strides", "padding", "activation"],
            "conv2d_transpose": ["filters", "kernel", "strides", "padding", "activation"],
            "dense": ["units", "activation"],
            "residual": ["filters", "strides"],
        ]

        init(_ v: YAMLValue?, kind: String, at: SourceLocation, parser: LayerParser) throws(Failure) {
            self.at = v?.location ?? at; self.kind = kind; self.parser = parser
            guard case .mapping(let entries, _)? = v else {
                throw parser.fail("\(kind) needs parameters, e.g. {\(Parameters.accepted[kind]![0]): …}", v?.location ?? at)
            }
            var values: [String: YAMLValue] = [:]
            for e in entries {
                let names = Parameters.accepted[kind]!
                guard names.contains(e.key) else {
                    let hint = didYouMean(e.key, among: names)
                    throw parser.fail("\(kind) has no parameter '\(e.key)'\(hint)", e.keyLocation)
                }
                values[e.key] = e.value
            }
            self.values = values
        }

        func int(_ name: String, _ fallback: Int? = nil) throws(Failure) -> Int {
            guard let v = values[name] else {
                if let fallback { return fallback }
                throw parser.fail("\(kind) needs '\(name)'", at)
            }
            guard case .scalar(let s, false, _) = v, let n = Int(s), (1...4096).contains(n) else {
                throw parser.fail("\(kind) '\(name)' must be an integer between 1 and 4096, got \(v.shortDescription)", v.location)
            }
            return n
        }

        func padding() throws(Failure) -> Padding {
            guard let v = values["padding"] else { return .same }
            guard case .scalar(let s, _, _) = v, let p = Padding(rawValue: s) else {
                throw parser.fail("padding must be same or valid, got \(v.shortDescription)", v.location)
            }
            return p
        }

        func activation() throws(Failure) -> Activation {
            guard let v = values["activation"] else { return .linear }
            guard case .scalar(let s, _, _) = v, let a = Activation(rawValue: s) else {
                throw parser.fail("activation must be one of " + Activation.allCases.map(\.rawValue).joined(separator: ", ")
                                  + ", got \(v.shortDescription)", v.location)
            }
            return a
        }
    }
}
