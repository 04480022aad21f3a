import Engine
import Notebook
import ReportModel

/// Architectures as YAML layer lists, in Keras's vocabulary:
///
///     encoder:
///       - conv2d: {filters: 32, kernel: 3, strides: 2, activation: relu}
///       - flatten
///       - dense: {units: 16, activation: relu}
///       - dense: {units: 2}
///
/// Which kinds exist and what each accepts comes from the engine's `LayerKinds`.
struct LayerParser {
    let option: String
    typealias Failure = OptionResolver.Failure

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
        let name: String, nameAt: SourceLocation, params: YAMLValue?
        switch item {
        case .scalar(let s, _, let at): (name, nameAt, params) = (s, at, nil)
        case .mapping(let entries, let at):
            guard entries.count == 1 else { throw fail("a layer is one 'type: parameters' entry", at) }
            (name, nameAt, params) = (entries[0].key, entries[0].keyLocation, entries[0].value)
        default: throw fail("a layer is a type name or one 'type: parameters' entry", item.location)
        }
        guard let kind = LayerKinds.named(name) else {
            throw fail("unknown layer type '\(name)'\(didYouMean(name, among: LayerKinds.names))", nameAt)
        }
        return try layer(kind, params, at: nameAt)
    }

    private func layer<Kind: LayerKind>(_ kind: Kind.Type, _ params: YAMLValue?, at nameAt: SourceLocation) throws(Failure) -> LayerSpec {
        switch Kind.form {
        case .bare:
            return Kind.make([:])
        case .value:
            // The kind's one parameter, written as the value itself: `reshape: [7, 7, 64]`.
            let parameter = Kind.parameters[0]
            return Kind.make([parameter.name: try value(params, parameter.type, kind: Kind.name, at: nameAt)])
        case .mapping:
            let accepted = Kind.parameters.map(\.name)
            // A kind whose parameters all have defaults may be named alone: `- max_pooling2d`.
            if params == nil, !Kind.parameters.contains(where: \.required) { return Kind.make([:]) }
            guard case .mapping(let entries, let mappingAt)? = params else {
                throw fail("\(Kind.name) needs parameters, e.g. {\(accepted[0]): …}", params?.location ?? nameAt)
            }
            var given: [String: YAMLValue] = [:]
            for e in entries {
                guard accepted.contains(e.key) else {
                    throw fail("\(Kind.name) has no parameter '\(e.key)'\(didYouMean(e.key, among: accepted))", e.keyLocation)
                }
                given[e.key] = e.value
            }
            // In declaration order, so the first problem reported is the same whatever the YAML order.
            var arguments: [String: LayerArgument] = [:]
            for parameter in Kind.parameters {
                if let v = given[parameter.name] {
                    arguments[parameter.name] = try argument(v, parameter.name, parameter.type, kind: Kind.name)
                } else if parameter.required {
                    throw fail("\(Kind.name) needs '\(parameter.name)'", mappingAt)
                }
            }
            return Kind.make(arguments)
        }
    }

    /// A parameter given inside `{name: value}`.
    private func argument(_ v: YAMLValue, _ name: String, _ type: LayerParameterType, kind: String) throws(Failure) -> LayerArgument {
        switch type {
        case .size:
            guard case .scalar(let s, false, _) = v, let n = Int(s), LayerParameterType.sizeRange.contains(n) else {
                throw fail("\(kind) '\(name)' must be an integer between 1 and 4096, got \(v.shortDescription)", v.location)
            }
            return .size(n)
        case .padding:
            guard case .scalar(let s, _, _) = v, let p = Padding(rawValue: s) else {
                throw fail("\(name) must be same or valid, got \(v.shortDescription)", v.location)
            }
            return .padding(p)
        case .activation:
            guard case .scalar(let s, _, _) = v, let a = Activation(rawValue: s) else {
                throw fail("\(name) must be one of \(activationNames), got \(v.shortDescription)", v.location)
            }
            return .activation(a)
        case .sizes:
            return try value(v, type, kind: kind, at: v.location)
        }
    }

    /// A value-form kind's parameter (`reshape: [7, 7, 64]`, `activation: relu`); `v` is nil when
    /// the list says only the kind's name.
    private func value(_ v: YAMLValue?, _ type: LayerParameterType, kind: String, at nameAt: SourceLocation) throws(Failure) -> LayerArgument {
        switch type {
        case .sizes:
            guard case .sequence(let dims, let at)? = v else { throw fail("\(kind) takes a list of sizes, e.g. [7, 7, 64]", v?.location ?? nameAt) }
            let sizes = dims.compactMap { if case .scalar(let s, false, _) = $0 { Int(s) } else { nil } }
            guard sizes.count == dims.count, sizes.allSatisfy({ LayerParameterType.sizeRange.contains($0) }) else {
                throw fail("\(kind) sizes must be integers between 1 and 4096", at)
            }
            return .sizes(sizes)
        case .activation:
            guard case .scalar(let s, _, _)? = v, let a = Activation(rawValue: s) else {
                throw fail("\(kind) takes one of \(activationNames)", v?.location ?? nameAt)
            }
            return .activation(a)
        case .size, .padding:
            preconditionFailure("a value-form layer kind takes sizes or an activation, not \(type)")
        }
    }

    private var activationNames: String { Activation.allCases.map(\.rawValue).joined(separator: ", ") }
}
