import ReportModel

/// A position in the notebook file: 1-based line and column. Columns count Unicode scalars
/// (a tab is one column), the way libyaml counts them.
public struct SourceLocation: Hashable, Sendable, Codable, Comparable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// A problem in a notebook, printed compiler-style: `file:line:col: error: message`.
public struct Diagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }

    public var file: String
    public var location: SourceLocation
    public var severity: Severity
    public var message: String
    /// How to put it right; printed on its own line as `  hint: ...`.
    public var hint: String?

    public init(file: String, location: SourceLocation, severity: Severity, message: String, hint: String? = nil) {
        self.file = file
        self.location = location
        self.severity = severity
        self.message = message
        self.hint = hint
    }

    public var description: String {
        let line = "\(file):\(location.line):\(location.column): \(severity.rawValue): \(message)"
        return hint.map { line + "\n  hint: " + $0 } ?? line
    }
}

/// Every problem the notebook parser reports; all wording lives here.
enum Problem {
    case unterminatedFrontMatter
    case frontMatterNotMapping(found: String)
    case frontMatterFieldNotText(key: String, found: String)
    case invalidSeed(found: String)
    /// `context` is libyaml's "while parsing …" phrase and the file line it refers to.
    case malformedYAML(problem: String, context: (text: String, line: Int)?)
    case multipleYAMLDocuments
    case bodyNotMapping(found: String)
    case keyNotText(found: String)
    /// `firstLine` is nil when the first occurrence could not be told apart from the others.
    case duplicateKey(String, firstLine: Int?)
    case invalidCellName(String)
    case duplicateCellName(String, firstLine: Int)
    case textAfterCellName(String)
    case nestedCell(directive: String)
    case unknownDirective(String, suggestion: String)
    case unclosedReference
    case malformedReference(String)
    case malformedClaim(String, reason: String)
    case notUTF8(byte: UInt8)
    case binaryFile
    case emptyNotebook
    case tooLarge(bytes: Int)
    case tooManyCells(count: Int)
    case dataOutsideNotebook(String)

    var severity: Diagnostic.Severity {
        switch self {
        case .nestedCell, .unknownDirective: .warning
        default: .error
        }
    }

    var message: String {
        switch self {
        case .unterminatedFrontMatter:
            "front matter is never closed"
        case .frontMatterNotMapping(let found):
            "front matter must be a YAML mapping, found \(found)"
        case .frontMatterFieldNotText(let key, let found):
            "front matter field '\(key)' must be text, found \(found)"
        case .invalidSeed(let found):
            "seed must be a non-negative integer, found \(found)"
        case .malformedYAML(let problem, let context?):
            "malformed YAML: \(problem) (\(context.text) on line \(context.line))"
        case .malformedYAML(let problem, nil):
            "malformed YAML: \(problem)"
        case .multipleYAMLDocuments:
            "expected a single YAML document, found another one here"
        case .bodyNotMapping(let found):
            "a cell's body must be a YAML mapping of options, found \(found)"
        case .keyNotText(let found):
            "a key must be text, found \(found)"
        case .duplicateKey(let key, let firstLine?):
            "duplicate key '\(key)' (first defined on line \(firstLine))"
        case .duplicateKey(let key, nil):
            "duplicate key '\(key)'"
        case .invalidCellName(let name):
            "invalid cell name '\(name)'"
        case .duplicateCellName(let name, let firstLine):
            "duplicate cell name '\(name)' (first used on line \(firstLine))"
        case .textAfterCellName(let text):
            "unexpected text '\(text)' after the cell name"
        case .nestedCell(let directive):
            "cells must be top-level blocks; this '\(directive)' block is shown as code"
        case .unknownDirective(let word, let suggestion):
            "'\(word)' is not a cell directive, so this block is shown as code" + didYouMean(suggestion)
        case .unclosedReference:
            "inline reference is missing its closing '}}'"
        case .malformedReference(let text):
            "malformed inline reference '\(text)'"
        case let .malformedClaim(text, reason):
            "malformed claim '\(text)': \(reason)"
        case .notUTF8(let byte):
            "the notebook is not UTF-8 text: byte 0x\(hex(byte, width: 2, uppercase: true)) here is not valid UTF-8"
        case .binaryFile:
            "the notebook contains a NUL byte: this is a binary file, not Markdown"
        case .emptyNotebook:
            "the notebook is empty"
        case .tooLarge(let bytes):
            "the notebook is \(grouped(bytes)) bytes, over the limit of \(grouped(NotebookFile.maximumBytes)) (4 MiB)"
        case .dataOutsideNotebook(let path):
            "data directory '\(path)' is outside the notebook's folder"
        case .tooManyCells(let count):
            "the notebook has \(grouped(count)) cells, over the limit of \(grouped(NotebookFile.maximumCells)); none was checked"
        }
    }

    var hint: String? {
        switch self {
        case .unterminatedFrontMatter:
            "end it with a line that is just '---' (or '...')"
        case .frontMatterNotMapping, .bodyNotMapping:
            "write one 'key: value' per line"
        case .invalidCellName:
            "a name starts with a letter and has only letters, digits, '_' and '-'"
        case .textAfterCellName:
            "a cell's info string is '<directive> [name]'"
        case .multipleYAMLDocuments:
            "'---' and '...' lines separate YAML documents; remove them"
        case .nestedCell:
            "move the fenced block out of the list or quote, unindented"
        case .unclosedReference, .malformedReference:
            "write {{ cell.field }}, e.g. {{ baseline.final_loss }}"
        case .malformedClaim:
            "write {{check cell.field < other.field}}: numbers or fields compared with <, <=, >, >=, ==, joined by 'and', optionally 'within 0.5' or 'within 5%'"
        case .notUTF8:
            "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8 in.md > out.md)"
        case .binaryFile:
            "a notebook is a Markdown text file"
        case .emptyNotebook:
            "write prose and fenced cells, e.g. a ```dataset digits block; `latentbook directives` lists them"
        case .dataOutsideNotebook:
            "a relative path must stay inside the notebook's folder; to read elsewhere on purpose, give an absolute path, --data or LATENTBOOK_DATA"
        case .tooLarge, .tooManyCells:
            "split it into several notebooks; identical cells share their cached results"
        default:
            nil
        }
    }
}


/// Collects the problems found while parsing one file.
struct DiagnosticLog {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []
    /// Bytes of YAML that may still be parsed again to place repeated keys (`parseYAML`): each
    /// repeat costs a parse of its whole body, so without a bound a body of n repeated keys cost
    /// n parses (3,200 repeats, 32 KB, took 16.6 s). A quarter of the largest file keeps `check`
    /// linear and fast: repeated complex keys (`? n: [-2, 2]`, found by the fuzzer) parse at about
    /// 1 ms per KB, so a whole file's worth of reparsing took 2.2 s; this much takes 0.6 s.
    var yamlReparseBudget = NotebookFile.maximumBytes / 4

    init(file: String) { self.file = file }

    mutating func report(_ problem: Problem, at location: SourceLocation) {
        diagnostics.append(Diagnostic(file: file, location: location, severity: problem.severity,
                                      message: problem.message, hint: problem.hint))
    }

    /// In file order; problems at the same place keep the order they were found in.
    var sorted: [Diagnostic] {
        diagnostics.enumerated()
            .sorted { ($0.element.location, $0.offset) < ($1.element.location, $1.offset) }
            .map(\.element)
    }
}
