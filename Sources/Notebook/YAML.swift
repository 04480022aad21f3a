import Yams

/// A YAML value with positions, as parsed. No type guessing: scalars stay strings and the
/// runtime converts them per option type.
public indirect enum YAMLValue: Hashable, Sendable {
    /// `quoted` is true for single/double-quoted and block scalars, so `"3"` is meant as a string.
    case scalar(String, quoted: Bool, at: SourceLocation)
    case sequence([YAMLValue], at: SourceLocation)
    /// Keys in document order.
    case mapping([YAMLEntry], at: SourceLocation)
    /// An empty value, `~` or `null`.
    case null(at: SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .scalar(_, _, let at), .sequence(_, let at), .mapping(_, let at), .null(let at): at
        }
    }

    /// How diagnostics name a value that has the wrong shape.
    var summary: String {
        switch self {
        case .scalar(let text, _, _): "'\(text)'"
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .null: "nothing"
        }
    }
}

public struct YAMLEntry: Hashable, Sendable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: YAMLValue

    public init(key: String, keyLocation: SourceLocation, value: YAMLValue) {
        self.key = key
        self.keyLocation = keyLocation
        self.value = value
    }
}

/// Where a YAML text sits in the notebook: its line 1 is file line `firstLine`, and `indents[i]`
/// columns were stripped from the front of its line i + 1 (an indented fence's body).
struct YAMLPlacement {
    var firstLine: Int
    var indents: [Int] = []

    func location(line: Int, column: Int) -> SourceLocation {
        SourceLocation(line: firstLine + line - 1, column: column + (line <= indents.count ? indents[line - 1] : 0))
    }

    func location(_ mark: Mark?) -> SourceLocation {
        mark.map { location(line: $0.line, column: $0.column) } ?? location(line: 1, column: 1)
    }
}

/// Parses one YAML document; nil for an empty one or when it does not parse (reported to `log`).
/// Duplicate keys are reported at each repeat, keeping the first, up to `repeatsReported` per
/// document and while the file's re-parse budget lasts; past either, the next repeat alone is
/// reported and the document is dropped (each repeat costs one more parse of the document).
func parseYAML(_ text: String, at placement: YAMLPlacement, log: inout DiagnosticLog) -> YAMLValue? {
    // Yams refuses a mapping with a repeated key and names only the first occurrence. To report
    // the repeats where they are, disguise that first occurrence with a private-use character of
    // the same width, parse again, and restore its text when converting.
    var text = text
    var disguised: [SourceLocation: String] = [:]  // in YAML coordinates
    while true {
        do {
            // No type resolution (scalars stay strings; it would run regexes on every key for
            // Yams's duplicate check) and an explicit encoding (else Yams reads the environment).
            guard let root = try Yams.compose(yaml: text, .basic, .default, .utf8) else { return nil }
            var converter = YAMLConverter(placement: placement, disguised: disguised)
            let value = converter.convert(root)
            for (problem, location) in converter.problems { log.report(problem, at: location) }
            return value
        } catch YamlError.duplicatedKeysInMapping(let keys, let context) {
            let mark = SourceLocation(line: context.mark.line, column: context.mark.column)
            let cost = text.utf8.count
            guard let key = keys.first, cost <= log.yamlReparseBudget, disguised.count < repeatsReported,
                  let retry = disguise(text, at: mark, number: disguised.count) else {
                log.report(.duplicateKey(keys.first ?? "", firstLine: nil), at: placement.location(context.mark))
                return nil
            }
            log.yamlReparseBudget -= cost
            disguised[mark] = key
            text = retry
        } catch YamlError.composer(_, "but found another document", let mark, _) {
            log.report(.multipleYAMLDocuments, at: placement.location(mark))
            return nil
        } catch let YamlError.scanner(context, problem, mark, _),
                let YamlError.parser(context, problem, mark, _),
                let YamlError.composer(context, problem, mark, _) {
            log.report(.malformedYAML(problem: problem, context: context.map { ($0.text, placement.location($0.mark).line) }),
                       at: placement.location(mark))
            return nil
        } catch {
            log.report(.malformedYAML(problem: "\(error)", context: nil),
                       at: placement.location(line: 1, column: 1))
            return nil
        }
    }
}

/// Repeated keys reported in one document before the rest of it is dropped: a compiler's error
/// limit, which keeps a pasted-over cell from costing a parse per repeat (found by the fuzzer).
let repeatsReported = 10

/// `text` with the key starting at `mark` changed into a distinct one of the same width; nil if
/// that key does not start with a plain name character (anchors, tags, collections as keys).
private func disguise(_ text: String, at mark: SourceLocation, number: Int) -> String? {
    var scalars = Array(text.unicodeScalars)
    var line = 1
    var index = 0
    while line < mark.line, index < scalars.count {
        if scalars[index] == "\n" { line += 1 }
        index += 1
    }
    index += mark.column - 1
    if index < scalars.count, scalars[index] == "\"" || scalars[index] == "'" { index += 1 }
    guard index < scalars.count, number < 6400,
          scalars[index].properties.isAlphabetic || scalars[index].properties.numericType != nil
            || "_-.".unicodeScalars.contains(scalars[index]),
          let marker = Unicode.Scalar(0xE000 + number) else { return nil }
    scalars[index] = marker
    return String(String.UnicodeScalarView(scalars))
}

/// Copies a Yams node tree into `YAMLValue`s with file positions, finding repeated keys.
private struct YAMLConverter {
    let placement: YAMLPlacement
    let disguised: [SourceLocation: String]
    var problems: [(Problem, SourceLocation)] = []

    mutating func convert(_ node: Node) -> YAMLValue {
        let location = placement.location(node.mark)
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
                return .null(at: location)
            }
            return .scalar(scalar.string, quoted: scalar.style != .plain, at: location)
        case .sequence(let sequence):
            return .sequence(sequence.map { convert($0) }, at: location)
        case .mapping(let mapping):
            var entries: [YAMLEntry] = []
            var firstLines: [String: Int] = [:]
            for (keyNode, valueNode) in mapping {
                let keyLocation = placement.location(keyNode.mark)
                let value = convert(valueNode)
                guard case .scalar(let keyScalar) = keyNode else {
                    problems.append((.keyNotText(found: convert(keyNode).summary), keyLocation))
                    continue
                }
                let key = keyNode.mark.flatMap { disguised[SourceLocation(line: $0.line, column: $0.column)] }
                    ?? keyScalar.string
                if let firstLine = firstLines[key] {
                    problems.append((.duplicateKey(key, firstLine: firstLine), keyLocation))
                    continue
                }
                firstLines[key] = keyLocation.line
                entries.append(YAMLEntry(key: key, keyLocation: keyLocation, value: value))
            }
            return .mapping(entries, at: location)
        case .alias:
            preconditionFailure("Yams.compose resolves aliases to the nodes they name")
        }
    }
}
