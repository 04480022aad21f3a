import Notebook
import ReportModel

/// A prose claim checked against a run's results, like a test: it passes, fails, or could not be
/// checked (a cell that did not finish, a profile it is not meant for).
public struct ClaimOutcome: Codable, Hashable, Sendable {
    public enum Verdict: String, Codable, Sendable {
        case pass, fail
        /// A value it compares is missing (a cell that did not finish).
        case unchecked
        /// Meant for another profile (`quick:`).
        case skipped
    }
    public var text: String
    public var line: Int
    public var column: Int
    public var verdict: Verdict
    /// The comparison with its values ("deep.final_loss = 152.3 ± 1.2 < baseline.final_loss = 160.1 ± 0.8"),
    /// or why it was not checked.
    public var detail: String

    /// A failing claim as a compiler reports a failing assertion.
    public func diagnostic(file: String) -> Diagnostic {
        Diagnostic(file: file, location: SourceLocation(line: line, column: column), severity: .error,
                   message: "claim \(verdict == .fail ? "fails" : "cannot be checked"): \(text): \(detail)",
                   hint: verdict == .fail ? "the numbers above are this run's; change the prose or the cells" : nil)
    }
}

/// Checks every claim of the plan's notebook. `results` gives a cell's result, nil when it has none.
/// Repeated cells (`seeds: N`) must differ beyond their spread: `a < b` holds when a + sd(a) < b − sd(b).
public func checkClaims(_ plan: Plan, results: (String) -> CellResult?) -> [ClaimOutcome] {
    plan.notebook.claims.map { claim in
        func outcome(_ verdict: ClaimOutcome.Verdict, _ detail: String) -> ClaimOutcome {
            ClaimOutcome(text: claim.text, line: claim.location.line, column: claim.location.column, verdict: verdict, detail: detail)
        }
        if let only = claim.onlyProfile, only != plan.profile.rawValue {
            return outcome(.skipped, "a \(only)-only claim, not checked in the \(plan.profile.rawValue) profile")
        }
        var details: [String] = [], holds = true
        for term in claim.terms {
            var values: [MeasuredValue] = []
            for operand in [term.left, term.right] {
                switch MeasuredValue.of(operand, results: results) {
                case .success(let v): values.append(v)
                case .failure(let reason): return outcome(.unchecked, reason.text)
                }
            }
            let (a, b) = (values[0], values[1])
            let t = term.tolerance.map { $0.relative ? $0.amount / 100 * abs(b.mean) : $0.amount } ?? 0
            let ok: Bool = switch term.comparison {
            case .less: a.mean + a.spread < b.mean - b.spread + t
            case .lessOrEqual: a.mean + a.spread <= b.mean - b.spread + t
            case .greater: a.mean - a.spread > b.mean + b.spread - t
            case .greaterOrEqual: a.mean - a.spread >= b.mean + b.spread - t
            case .equal: abs(a.mean - b.mean) <= t + a.spread + b.spread
            }
            holds = holds && ok
            let within = term.tolerance.map { " within \(Metric.number($0.amount).display)\($0.relative ? "%" : "")" } ?? ""
            details.append("\(a.text) \(term.comparison.rawValue) \(b.text)\(within)\(ok ? "" : " is false")")
        }
        return outcome(holds ? .pass : .fail, details.joined(separator: " and "))
    }
}

/// An operand's value: a number, or a result field with its spread over repeated seeds (0 for one run).
struct MeasuredValue {
    var mean: Double
    var spread: Double
    var text: String

    struct Unavailable: Error { var text: String }

    static func of(_ operand: Claim.Operand, results: (String) -> CellResult?) -> Result<MeasuredValue, Unavailable> {
        switch operand {
        case .number(let x):
            return .success(MeasuredValue(mean: x, spread: 0, text: Metric.number(x).display))
        case let .field(cell, field, _):
            guard let result = results(cell) else { return .failure(.init(text: "'\(cell)' has no result: it did not run, or is not cached")) }
            guard case .number(let x)? = result.metrics[field] else {
                let numeric = result.metrics.filter { if case .number = $0.value { true } else { false } }.keys.sorted()
                return .failure(.init(text: "'\(cell)' has no numeric result '\(field)'\(didYouMean(field, among: numeric))"))
            }
            let sd = result.metrics[field + Metric.spreadSuffix]
            let spread: Double = if case .number(let s)? = sd, s.isFinite { s } else { 0 }
            return .success(MeasuredValue(mean: x, spread: spread, text: "\(cell).\(field) = \(Metric.number(x).display(spread: sd))"))
        }
    }
}
