import Engine

extension DirectiveRegistry {
    /// Every directive's example, in order: a notebook that uses every directive.
    public var examplesNotebook: String { all.map(\.example).joined(separator: "\n\n") + "\n" }

    /// The Markdown reference of every directive and option, generated from the registry so the
    /// documentation cannot drift from the code (docs/notebook-format.md embeds it; a test checks).
    public var markdownReference: String {
        all.map { d in
            var lines = ["### `\(d.name)`", "", "\(d.summary) Result: \(d.resultKind.rawValue).", "",
                         "````markdown", d.example, "````", "",
                         "| option | type | default | |", "|---|---|---|---|"]
            for o in d.options {
                let def = o.defaultValue.map { "`\($0.display)`" } ?? (o.required ? "required" : "–")
                lines.append("| `\(o.name)` | \(o.type.description)\(o.presentation ? " (presentation)" : "") | \(def) | \(o.help) |")
            }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n\n") + "\n\n" + layerReference
    }

    /// The layer kinds `encoder` and `decoder` accept, from the engine's registry.
    var layerReference: String {
        var lines = ["### Layers", "",
                     "The layers of `encoder` and `decoder` lists, in Keras's vocabulary (`- flatten`, `- dense: {units: 16}`).", "",
                     "| layer | parameters | |", "|---|---|---|"]
        for kind in LayerKinds.all {
            lines.append("| `\(kind.name)` | \(kind.parameterReference) | \(kind.summary) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension LayerKind {
    /// `filters` (required), `kernel` = `3`, ...; a value-form kind's one value; – for none.
    static var parameterReference: String {
        if parameters.isEmpty { return "–" }
        if form == .value { return "its value: " + parameters[0].typeReference }
        return parameters.map { p in
            "`\(p.name)` " + (p.required ? "(\(p.typeReference), required)" : "= `\(p.defaultValue)`")
        }.joined(separator: ", ")
    }
}

extension LayerParameter {
    var typeReference: String {
        switch type {
        case .size: "an integer from 1 to 4096"
        case .padding: "same or valid"
        case .activation: "one of " + Activation.allCases.map(\.rawValue).joined(separator: ", ")
        case .sizes: "a list of sizes from 1 to 4096"
        }
    }
}

extension OptionValue {
    /// How a value reads in documentation and messages.
    public var display: String {
        switch self {
        case .int(let n): String(n)
        case .number(let x): x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
        case .bool(let b): String(b)
        case .string(let s), .cell(let s): s
        case .list(let xs): "[" + xs.map(\.display).joined(separator: ", ") + "]"
        case .indexMap(let m): "{" + m.keys.sorted().map { "\($0): \(m[$0]!.display)" }.joined(separator: ", ") + "}"
        case .layers(let l): "\(l.count) layers"
        case let .metric(cell, field): "\(cell).\(field)"
        }
    }
}
