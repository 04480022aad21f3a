import Notebook
import ReportModel
import Runtime
import Testing

/// Claims over hand-made results: `ae` ran once, `rep` is a repeated cell (mean ± sd).
private func outcomes(_ prose: String, profile: Profile = .quick) -> [String] {
    let source = "```dataset ae\n```\n\n```dataset rep\n```\n\n" + prose
    let plan = Plan(source: source, file: "nb.md", profile: profile)
    let results: [String: CellResult] = [
        "ae": CellResult(value: .figure, metrics: ["loss": .number(150), "auc": .number(0.9), "name": .text("bce"), "bad": .number(.nan)]),
        "rep": CellResult(value: .figure, metrics: ["loss": .number(140), "loss_sd": .number(4), "loss_n": .number(3)]),
    ]
    return checkClaims(plan) { results[$0] }.map { "\($0.line):\($0.column) \($0.verdict.rawValue): \($0.detail)" }
}

@Test func claimsPassFailAndSayTheirValues() {
    #expect(outcomes("""
        {{check ae.loss > 100}} {{check ae.loss < 100}} {{check ae.auc >= 0.9 and ae.auc <= 0.9}}
        {{check ae.loss == 151 within 1}} {{check ae.loss == 151 within 0.5}} {{check ae.loss < 149 within 1%}}
        {{check ae.bad < 1}} {{check ae.bad >= 1}}
        """) == [
        "7:1 pass: ae.loss = 150 > 100",
        "7:25 fail: ae.loss = 150 < 100 is false",
        "7:49 pass: ae.auc = 0.9000 >= 0.9000 and ae.auc = 0.9000 <= 0.9000",
        "8:1 pass: ae.loss = 150 == 151 within 1",
        "8:35 fail: ae.loss = 150 == 151 within 0.5000 is false",
        "8:71 pass: ae.loss = 150 < 149 within 1%",
        "9:1 fail: ae.bad = n/a < 1 is false",
        "9:22 fail: ae.bad = n/a >= 1 is false",
    ])
}

/// A repeated cell's comparison must hold beyond its spread: the mean ± sd intervals apart.
@Test func repeatedCellsMustDifferBeyondTheirSpread() {
    #expect(outcomes("""
        {{check rep.loss < ae.loss}} {{check rep.loss < 145}} {{check rep.loss < 143}} {{check rep.loss > 135}}
        {{check rep.loss > 137}} {{check rep.loss == 143 within 0}} {{check rep.loss == 145 within 0.5}}
        """) == [
        "7:1 pass: rep.loss = 140 ± 4 < ae.loss = 150",
        "7:30 pass: rep.loss = 140 ± 4 < 145",
        "7:55 fail: rep.loss = 140 ± 4 < 143 is false",
        "7:80 pass: rep.loss = 140 ± 4 > 135",
        "8:1 fail: rep.loss = 140 ± 4 > 137 is false",
        "8:26 pass: rep.loss = 140 ± 4 == 143 within 0",
        "8:61 fail: rep.loss = 140 ± 4 == 145 within 0.5000 is false",
    ])
}

@Test func claimsThatCannotBeCheckedSayWhy() {
    #expect(outcomes("{{check ae.los < 1}} {{check ae.name < 1}} {{check full: ae.loss < 1}}") == [
        "7:1 unchecked: 'ae' has no numeric result 'los' (did you mean 'loss'?)",
        "7:22 unchecked: 'ae' has no numeric result 'name'",
        "7:44 skipped: a full-only claim, not checked in the quick profile",
    ])
    #expect(outcomes("{{check full: ae.loss < 1}}", profile: .full) == ["7:1 fail: ae.loss = 150 < 1 is false"])
}

@Test func aClaimOnAnUnknownCellIsACheckError() {
    let plan = Plan(source: "```dataset d\n```\n\nSo {{check d.x < deep.loss}}.\n", file: "nb.md", profile: .quick)
    #expect(plan.diagnostics.map(\.description) == ["nb.md:4:18: error: reference to unknown cell 'deep'"])
}
