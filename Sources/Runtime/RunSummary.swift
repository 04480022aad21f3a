import Engine
import Foundation
import Notebook
import ReportModel

/// The version a report names: the engine's, which is part of every cache key.
public let latentBookVersion = engineVersion

/// What `latentbook run` writes as `<notebook>.json`: per cell its key, status, time, metrics and
/// outputs (image pixels stay in the cache), and the prose references with their values — so the
/// numbers never require another run.
public struct RunSummary: Codable, Sendable {
    public struct CellEntry: Codable, Sendable {
        public var index: Int
        public var name: String
        public var directive: String
        public var line: Int
        public var key: String?
        public var status: CellRecord.Status
        public var seconds: Double
        /// Time the result originally took to compute (differs from `seconds` for cached cells).
        public var computeSeconds: Double?
        public var seed: UInt64
        /// Presentation, from the notebook as it is now (never from the cache).
        public var title: String?
        public var caption: String?
        public var metrics: [String: Metric]
        public var outputs: [Output]
        public var error: String?
    }
    public struct Reference: Codable, Sendable {
        public var text: String
        public var line: Int
        public var column: Int
        public var value: String?
    }
    public var notebook: String
    public var title: String?
    public var profile: Profile
    public var engine: String
    public var threads: Int
    public var cells: [CellEntry]
    public var references: [Reference]
    /// Every `{{check …}}` claim with its verdict.
    public var claims: [ClaimOutcome]

    public init(plan: Plan, records: [CellRecord], settings: RunSettings, claims: [ClaimOutcome] = []) {
        self.claims = claims
        notebook = plan.notebook.file
        title = plan.notebook.frontMatter.title
        profile = settings.profile
        engine = engineVersion
        threads = settings.threads
        cells = records.map { r in
            CellEntry(index: r.step.cell.index, name: r.step.cell.name, directive: r.step.cell.directive, line: r.step.cell.location.line,
                      key: r.step.key, status: r.status, seconds: r.seconds, computeSeconds: r.result?.seconds, seed: r.step.seed,
                      title: r.step.presentation.title, caption: r.step.presentation.caption,
                      metrics: r.result?.metrics ?? [:], outputs: r.result?.outputs ?? [], error: r.reason)
        }
        let byName = Dictionary(uniqueKeysWithValues: records.map { ($0.step.cell.name, $0) })
        references = plan.notebook.references.map { ref in
            Reference(text: ref.text, line: ref.location.line, column: ref.location.column,
                      value: byName[ref.cell]?.result.flatMap { r in r.metrics[ref.field].map { $0.display(spread: r.metrics[ref.field + Metric.spreadSuffix]) } })
        }
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return [UInt8](try encoder.encode(self))
    }
}

/// Prose references checked against what the run produced: an unknown cell is caught by
/// `check`; an unknown field (or a cell that did not finish) only once results exist.
public func referenceProblems(plan: Plan, records: [CellRecord]) -> [Diagnostic] {
    let byName = Dictionary(uniqueKeysWithValues: records.map { ($0.step.cell.name, $0) })
    return plan.notebook.references.compactMap { ref in
        guard let record = byName[ref.cell], let result = record.result else { return nil }  // unknown cells: reported by the plan
        guard result.metrics[ref.field] == nil else { return nil }
        let known = result.metrics.keys.sorted()
        let hint = didYouMean(ref.field, among: known)
        return Diagnostic(file: plan.notebook.file, location: ref.location, severity: .error,
                          message: "cell '\(ref.cell)' has no result '\(ref.field)'\(hint)",
                          hint: "it has: " + known.joined(separator: ", "))
    }
}
