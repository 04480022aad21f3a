import Foundation
import Testing

/// `run` prints failing claims like failing tests and exits 1; `check --claims` checks them
/// against the cache without computing, and says what it cannot check yet.
@Suite(.enabled(if: dataDirectory != nil, "needs MNIST: set LATENTBOOK_DATA"))
struct ClaimsCommand {
    @Test func runAndCheckReportClaimsWithTheirPlaces() throws {
        let dir = try temporaryDirectory()
        let notebook = dir.appendingPathComponent("nb.md")
        let cache = dir.appendingPathComponent("cache").path
        func write(_ claims: String) throws {
            try """
            ```dataset digits
            split: test
            limit: 300
            ```

            ```train ae
            data: digits
            arch: dense
            epochs: 2
            ```

            \(claims)
            """.write(to: notebook, atomically: true, encoding: .utf8)
        }
        try write("It learns {{check ae.final_loss < ae.first_loss}}.")
        // Nothing cached yet: check --claims computes nothing and cannot check the claim.
        let early = try latentbook(["check", "--claims", "--cache", cache, notebook.path])
        #expect(early.status == 1 && early.stderr.contains("nb.md: 1 claim: 0 pass, 0 fail, 1 cannot be checked"), "\(early.stderr)")
        #expect(early.stderr.contains("nb.md:12:11: error: claim cannot be checked: {{check ae.final_loss < ae.first_loss}}: 'ae' has no result: it did not run, or is not cached"))
        let run = try latentbook(["run", "--cache", cache, "-o", dir.path, "--data", dataDirectory!, notebook.path])
        #expect(run.status == 0, "\(run.stderr)")
        let checked = try latentbook(["check", "--claims", "--cache", cache, notebook.path])
        #expect(checked.status == 0 && checked.stderr.contains("nb.md: 1 claim: 1 pass, 0 fail"), "\(checked.stderr)")
        // A claim that fails: run and check --claims exit 1 and name it; a prose edit reruns nothing.
        try write("It learns {{check ae.final_loss < ae.first_loss}}, perfectly {{check ae.final_loss < 1}}.")
        let failing = try latentbook(["run", "--cache", cache, "-o", dir.path, "--data", dataDirectory!, notebook.path])
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("nb.md:12:62: error: claim fails: {{check ae.final_loss < 1}}: ae.final_loss = "))
        #expect(failing.stderr.contains("2 cached"), "\(failing.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("nb.json"))) as! [String: Any]
        #expect((summary["claims"] as? [[String: Any]])?.map { $0["verdict"] as? String } == ["pass", "fail"])
        let again = try latentbook(["check", "--claims", "--cache", cache, notebook.path])
        #expect(again.status == 1 && again.stderr.contains("nb.md: 2 claims: 1 pass, 1 fail") && again.stderr.contains("1 error"))
    }
}
