import Datasets
import Engine
import Foundation
import Notebook
import ReportModel
import Runtime
import Testing

private func replicaNotebook(seeds: Int? = 3, extra: String = "") -> String {
    """
    ---
    seed: 5
    ---
    ```dataset digits
    source: mnist
    split: test
    limit: 300
    ```

    ```train ae
    data: digits
    arch: dense
    epochs: 2
    batch: 64
    \(seeds.map { "seeds: \($0)" } ?? "")
    ```

    ```score errors
    model: ae
    data: digits
    ```

    ```plot curves
    kind: loss
    sources: [ae]
    ```

    ```plot bars
    kind: bar
    values: [ae.final_loss, errors.mean_error]
    ```
    \(extra)
    """
}

@Test func seedsRepeatACellAndWhatIsComputedFromIt() throws {
    let one = Plan(source: replicaNotebook(seeds: nil), file: "nb.md", profile: .quick)
    let three = Plan(source: replicaNotebook(seeds: 3), file: "nb.md", profile: .quick)
    #expect(!three.hasErrors, "\(three.diagnostics)")
    let ae1 = try #require(one.step(named: "ae")), ae3 = try #require(three.step(named: "ae"))
    // seeds: 1 is the cell as it was; the first replica of seeds: 3 is that same cell, cached once.
    #expect(Plan(source: replicaNotebook(seeds: 1), file: "nb.md", profile: .quick).step(named: "ae")?.key == ae1.key)
    #expect(ae1.replicas == 1 && ae1.replicaKeys == [ae1.key!] && ae1.replicaSeeds == [ae1.seed])
    #expect(ae3.replicas == 3 && ae3.replicaKeys[0] == ae1.key && ae3.replicaSeeds[0] == ae1.seed)
    #expect(Set(ae3.replicaKeys).count == 3 && Set(ae3.replicaSeeds).count == 3 && ae3.key != ae1.key)
    // Adding a seed keeps the replicas there are.
    let four = try #require(Plan(source: replicaNotebook(seeds: 4), file: "nb.md", profile: .quick).step(named: "ae"))
    #expect(Array(four.replicaKeys.prefix(3)) == ae3.replicaKeys && four.key != ae3.key)
    // The score of a repeated model runs per replica; plots combine the replicas and run once.
    let score = try #require(three.step(named: "errors"))
    #expect(score.replicas == 3 && score.replicaKeys[0] == one.step(named: "errors")?.key && score.key != one.step(named: "errors")?.key)
    #expect(three.step(named: "curves")?.replicas == 1 && three.step(named: "curves")?.key != one.step(named: "curves")?.key)
}

@Test func cellsMixingDifferentSeedCountsAreErrors() {
    let mixed = replicaNotebook(extra: """

        ```train other
        data: digits
        epochs: 1
        seeds: 2
        ```

        ```encode z
        model: other
        data: digits
        ```

        ```decode g
        model: ae
        from: gaussian
        latents: z
        ```
        """)
    let plan = Plan(source: mixed, file: "nb.md", profile: .quick)
    #expect(plan.diagnostics.map(\.description) == [
        "nb.md:44:11: error: cell 'g' mixes repeated seeds: 'z' has 2 seeds, 'ae' has 3 seeds\n"
            + "  hint: a cell computed from repeated cells runs once per seed; give those cells the same 'seeds'",
    ])
    #expect(plan.step(named: "z")?.replicas == 2 && plan.step(named: "g")?.key == nil)
    #expect(problemsOf("```train t\ndata: digits\nseeds: 0\n```").contains { $0.contains("option 'seeds'") })
    #expect(problemsOf("```train t\ndata: digits\nseeds: 21\n```").contains { $0.contains("option 'seeds'") })
}

private func problemsOf(_ cells: String) -> [String] { problems(cells) }

@Suite(.enabled(if: dataDirectory != nil, "needs MNIST: set LATENTBOOK_DATA"), .serialized)
struct ReplicaExecution {
    @Test func replicasAreSingleRunsWithTheirSeedsAndCombineExactly() throws {
        let bench = try Workbench()
        let r = bench.run(replicaNotebook())
        #expect(r.values.allSatisfy { $0.status == .fresh }, "\(r.mapValues { $0.reason ?? $0.status.rawValue })")
        let plan = Plan(source: replicaNotebook(), file: "nb.md", profile: .quick)
        let step = try #require(plan.step(named: "ae"))
        // Each replica is the training a single run with that seed gives.
        let data = try DatasetRecipe(source: "mnist", split: "test", limit: 300).load(from: URL(fileURLWithPath: dataDirectory!))
        let spec = try Presets.spec("dense", input: data.sampleShape, latent: 2)
        var finals: [Double] = []
        for seed in step.replicaSeeds {
            let model = try Model(spec)
            let config = TrainingConfig(loss: .bce, epochs: 2, batchSize: 64, optimizer: Adam(learningRate: 1e-3))
            let checkpoint = try TrainingRun(model: model, config: config, seed: seed, threads: 2, checkpoint: nil, mismatch: .startOver)
                .run(data: data, progress: { _ in })
            finals.append(checkpoint.state.history.last!.loss)
        }
        #expect(Set(finals).count == 3)
        let m = try #require(r["ae"]?.result?.metrics)
        let mean = finals.reduce(0, +) / 3
        let sd = (finals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
        #expect(m["final_loss"] == .number(mean) && m["final_loss_sd"] == .number(sd) && m["final_loss_n"] == .number(3))
        #expect(m["loss"] == .text("bce") && m["loss_sd"] == nil)
        // The score ran per replica, from the replica of the model with the same index.
        let errors = try #require(r["errors"]?.result?.metrics)
        #expect(errors["mean_error_n"] == .number(3) && errors["mean_error_sd"].map { $0 != .number(0) } == true)
        // The first replica is the cell without seeds: found in the cache, with that seed's numbers.
        let single = bench.run(replicaNotebook(seeds: nil))
        #expect(single["ae"]?.status == .cached && single["errors"]?.status == .cached)
        #expect(single["ae"]?.result?.metrics["final_loss"] == .number(finals[0]))
        // The loss plot draws the mean with its spread; the bar chart error bars.
        let curve = try #require(figures(r["curves"]).first?.series.first)
        #expect(curve.name == "ae" && curve.spread?.count == 2 && curve.y.last.map { abs($0 - mean) < 1e-9 } == true)
        let bars = try #require(figures(r["bars"]).first?.series.first)
        #expect(bars.y[0] == mean && bars.spread?[0] == sd)
        // The outputs say what the fields are, and list every seed.
        guard case .text(let note)? = r["ae"]?.result?.outputs.first else { Issue.record("no note"); return }
        #expect(note.hasPrefix("3 seeds: the fields are the mean over the 3 replicas"))
        // All cached the second time, with the same numbers; a fourth seed trains one more model.
        let again = bench.run(replicaNotebook())
        #expect(again.values.allSatisfy { $0.status == .cached } && again["ae"]?.result?.metrics == m)
        var started: [String] = []
        let plan4 = Plan(source: replicaNotebook(seeds: 4), file: bench.directory.appendingPathComponent("nb.md").path, profile: .quick)
        _ = Interpreter(plan: plan4, settings: RunSettings(threads: 2, dataDirectory: dataDirectory), store: bench.store) { event in
            if case .started(let cell, _, _) = event { started.append(cell.label) }
        }.run()
        #expect(started == ["ae (seed 4 of 4)", "errors (seed 4 of 4)", "curves", "bars"])
    }
}

private func figures(_ record: CellRecord?) -> [Figure] {
    record?.result?.outputs.compactMap { if case .figure(let f) = $0 { f } else { nil } } ?? []
}
