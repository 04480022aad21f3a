import Engine
import Foundation
import Notebook
import ReportModel
import Runtime
import Testing

let dataDirectory: String? = {
    if let env = ProcessInfo.processInfo.environment["LATENTBOOK_DATA"], !env.isEmpty { return env }
    return FileManager.default.fileExists(atPath: "data/mnist") ? "data" : nil
}()

/// A small but complete notebook: every directive, a few hundred images, seconds to run.
func smallNotebook(epochs: Int = 2, caption: String = "Loss", prose: String = "It ends at {{ae.final_loss}}.") -> String {
    """
    ---
    title: Small
    seed: 11
    ---
    # Small

    \(prose)

    ```dataset digits
    source: mnist
    split: test
    limit: 600
    ```

    ```dataset clothes
    source: fashion-mnist
    split: test
    limit: 300
    ```

    ```train ae
    data: digits
    arch: dense
    epochs: \(epochs)
    batch: 64
    caption: \(caption)
    ```

    ```encode z
    model: ae
    data: digits
    sample: 200
    ```

    ```decode grid
    model: ae
    n: 4
    ```

    ```decode samples
    model: ae
    from: gaussian
    latents: z
    count: 6
    ```

    ```mask holes
    model: ae
    data: digits
    size: [6]
    count: 3
    evaluate: 50
    sweep: [2, 10]
    ```

    ```noise noisy
    model: ae
    data: digits
    sigma: [0.3]
    count: 3
    evaluate: 50
    ```

    ```score ood
    model: ae
    data: digits
    versus: clothes
    limit: 200
    show: 2
    ```

    ```plot curves
    kind: loss
    sources: [ae]
    ```

    ```plot latent
    kind: scatter
    sources: [z]
    ```

    ```plot bars
    kind: bar
    values: [ae.final_loss, ood.auc]
    ```
    """
}

struct Workbench {
    let directory: URL
    let store: ResultStore

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("latentbook-run-\(UUID().uuidString)")
        store = try ResultStore(directory: directory.appendingPathComponent("cache"))
    }

    func run(_ source: String, force: Set<String> = [], only: Set<String>? = nil) -> [String: CellRecord] {
        let plan = Plan(source: source, file: directory.appendingPathComponent("nb.md").path, profile: .quick)
        #expect(!plan.hasErrors, "\(plan.diagnostics)")
        let records = Interpreter(plan: plan, settings: RunSettings(threads: 2, dataDirectory: dataDirectory, force: force, only: only),
                                  store: store).run()
        return Dictionary(uniqueKeysWithValues: records.map { ($0.step.cell.name, $0) })
    }
}

func statuses(_ records: [String: CellRecord]) -> [String: CellRecord.Status] { records.mapValues(\.status) }

@Suite(.enabled(if: dataDirectory != nil, "needs MNIST: set LATENTBOOK_DATA"), .serialized)
struct Execution {
    @Test func everyDirectiveRunsThenEverythingIsCached() throws {
        let bench = try Workbench()
        let first = bench.run(smallNotebook())
        #expect(first.values.allSatisfy { $0.status == .fresh }, "\(first.mapValues { $0.reason ?? $0.status.rawValue })")
        let second = bench.run(smallNotebook())
        #expect(second.values.allSatisfy { $0.status == .cached })
        // cached results are the same results
        for (name, r) in first {
            #expect(second[name]!.result!.metrics == r.result!.metrics, "\(name)")
            #expect(second[name]!.result!.outputs == r.result!.outputs, "\(name)")
        }
        let m = first["ae"]!.result!.metrics
        guard case .number(let final)? = m["final_loss"], case .number(let firstLoss)? = m["first_loss"] else { Issue.record("no losses"); return }
        #expect(final < firstLoss)
        guard case .number(let auc)? = first["ood"]!.result!.metrics["auc"] else { Issue.record("no auc"); return }
        #expect(auc > 0.5 && auc <= 1)
        guard case .latents(let z)? = first["z"]!.result?.value else { Issue.record("no latents"); return }
        #expect(z.count == 600 && z.dim == 2 && z.values.allSatisfy(\.isFinite))
        guard case .images(let grid)? = first["grid"]!.result?.value else { Issue.record("no images"); return }
        #expect(grid.count == 16 && grid.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func editingACellRerunsItAndItsDependentsOnly() throws {
        let bench = try Workbench()
        _ = bench.run(smallNotebook())
        let edited = statuses(bench.run(smallNotebook(epochs: 3)))
        #expect(edited == [
            "digits": .cached, "clothes": .cached, "ae": .fresh, "z": .fresh, "grid": .fresh, "samples": .fresh,
            "holes": .fresh, "noisy": .fresh, "ood": .fresh, "curves": .fresh, "latent": .fresh, "bars": .fresh,
        ])
        // prose and presentation edits recompute nothing, and what is shown is the new caption
        let edited2 = bench.run(smallNotebook(epochs: 3, caption: "Training loss", prose: "Different words."))
        #expect(statuses(edited2).values.allSatisfy { $0 == .cached })
        let plan = Plan(source: smallNotebook(epochs: 3, caption: "Training loss"), file: "nb.md", profile: .quick)
        let summary = RunSummary(plan: plan, records: plan.steps.map { edited2[$0.cell.name]! }, settings: RunSettings())
        #expect(summary.cells.first { $0.name == "ae" }?.caption == "Training loss")
    }

    @Test func rerunningOneCellTakesItsInputsFromTheCache() throws {
        let bench = try Workbench()
        let first = bench.run(smallNotebook())
        let rerun = bench.run(smallNotebook(), force: ["grid"], only: ["grid"])
        #expect(rerun["grid"]!.status == .fresh)
        #expect(rerun["ae"]!.status == .cached)   // needed as input: loaded, not retrained
        #expect(rerun["z"]!.status == .notRun && rerun["ood"]!.status == .notRun)
        // same seed, same inputs: the same images
        guard case .images(let a)? = first["grid"]!.result?.value, case .images(let b)? = rerun["grid"]!.result?.value else { return }
        #expect(a.pixels == b.pixels)
    }

    @Test func aFailingCellSkipsItsDependentsOnly() throws {
        let bench = try Workbench()
        let source = """
            ```dataset digits
            split: test
            limit: 200
            ```

            ```train ae
            data: digits
            arch: dense
            epochs: 1
            ```

            ```decode line
            model: ae
            from: line
            ```

            ```plot shown
            kind: loss
            sources: [ae]
            ```
            """
        let r = bench.run(source)
        #expect(r["line"]!.status == .failed)
        #expect(r["line"]!.reason == "from: line needs a model with latent size 1 (this one has 2); use from: grid")
        #expect(r["ae"]!.status == .fresh && r["shown"]!.status == .fresh)

        let chained = source + "\n\n```encode z\nmodel: ae\ndata: digits\n```\n\n```decode again\nmodel: ae\nfrom: latents\nlatents: z\n```\n"
            .replacingOccurrences(of: "limit: 200", with: "limit: 200\n")
        let broken = chained.replacingOccurrences(of: "```train ae\ndata: digits\narch: dense", with: "```train ae\ndata: digits\narch: dense\nlatent: 1")
        let r2 = bench.run(broken)
        #expect(r2["line"]!.status == .fresh)   // latent 1 now: the line works
        #expect(r2["z"]!.status == .fresh && r2["again"]!.status == .fresh)
    }

    @Test func gridsSpanTheEncodedLatentsAndSliceTheOtherDimensions() throws {
        let bench = try Workbench()
        let r = bench.run("""
            ```dataset digits
            split: test
            limit: 300
            ```

            ```train ae
            data: digits
            arch: dense
            latent: 3
            epochs: 1
            ```

            ```encode z
            model: ae
            data: digits
            sample: 300
            ```

            ```decode slices
            model: ae
            from: grid
            span: latents
            latents: z
            slices: [0.1, 0.9]
            n: 4
            ```

            ```decode across
            model: ae
            from: grid
            dims: [2, 1]
            n: 3
            ```
            """)
        guard case .latents(let z)? = r["z"]!.result?.value, let result = r["slices"]!.result else {
            Issue.record("\(r["slices"]!.reason ?? "no result")"); return
        }
        func sorted(_ d: Int) -> [Double] { stride(from: d, to: z.values.count, by: 3).map { Double(z.values[$0]) }.sorted() }
        func quantile(_ d: Int, _ q: Double) -> Double { let v = sorted(d); return v[Int((q * Double(v.count - 1)).rounded())] }
        // Two panels, one per slice; each a 4×4 grid whose axes run from the 1st to the 99th percentile.
        #expect(result.outputs.count == 2)
        guard case .images(let first) = result.outputs[0], case .images(let second) = result.outputs[1] else { return }
        #expect(first.tensor == "grid.0" && second.tensor == "grid.1" && result.tensors["grid.1"]?.shape == [16, 28, 28, 1])
        #expect(abs(first.xValues!.first! - quantile(0, 0.01)) < 1e-6 && abs(first.xValues!.last! - quantile(0, 0.99)) < 1e-6)
        #expect(abs(first.yValues!.first! - quantile(1, 0.99)) < 1e-6 && abs(first.yValues!.last! - quantile(1, 0.01)) < 1e-6)
        #expect(first.title == "z2 = \(formatFixed(quantile(2, 0.1), 2)) (quantile 0.10)")
        #expect(second.title == "z2 = \(formatFixed(quantile(2, 0.9), 2)) (quantile 0.90)")
        #expect(result.tensors["grid.0"]!.values != result.tensors["grid.1"]!.values)
        #expect(first.xName == "z0" && first.yName == "z1")
        // The axes are named by the dimensions they vary, whichever those are.
        guard case .images(let across)? = r["across"]!.result?.outputs.first else { Issue.record("no grid"); return }
        #expect(across.xName == "z2" && across.yName == "z1")
    }

    @Test func aHistogramRangeCountsWhatFallsOutsideIt() throws {
        let bench = try Workbench()
        let source = """
            ```dataset digits
            split: test
            limit: 200
            ```

            ```train ae
            data: digits
            arch: dense
            epochs: 1
            ```

            ```score s
            model: ae
            data: digits
            show: 0
            ```

            ```plot h
            kind: histogram
            sources: [s]
            labels: [digits]
            bins: 10
            range: [0, MEDIAN]
            log: true
            ```
            """
        let first = bench.run(source.replacingOccurrences(of: "MEDIAN", with: "1e9"))
        guard case .scores(let scores)? = first["s"]!.result?.value, case .figure(let all)? = first["h"]!.result?.outputs.first else {
            Issue.record("no scores or figure"); return
        }
        #expect(all.series.map(\.name) == ["digits"] && all.series[0].y.count == 10 && all.logY)
        // Cut the range at the median: about half the images fall outside, and the legend says how many.
        let median = scores.errors.sorted()[scores.errors.count / 2]
        let cut = bench.run(source.replacingOccurrences(of: "MEDIAN", with: String(median)))
        guard case .figure(let half)? = cut["h"]!.result?.outputs.first else { Issue.record("no figure"); return }
        let outside = scores.errors.filter { $0 > median }.count
        #expect(half.series[0].name == "digits (\(outside) outside the range)")
        #expect(Int(half.series[0].y.reduce(0, +)) == scores.errors.count - outside)
    }

    @Test func aCorruptEntryIsRecomputedWithAWarning() throws {
        let bench = try Workbench()
        let source = "```dataset d\nsplit: test\nlimit: 100\n```\n\n```train t\ndata: d\narch: dense\nepochs: 1\n```\n"
        let first = bench.run(source)
        let key = first["t"]!.step.key!
        let entry = bench.directory.appendingPathComponent("cache/\(key.prefix(2))/\(key).entry")
        var bytes = try [UInt8](Data(contentsOf: entry))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: entry)
        var warnings: [String] = []
        let plan = Plan(source: source, file: "nb.md", profile: .quick)
        let records = Interpreter(plan: plan, settings: RunSettings(threads: 2, dataDirectory: dataDirectory), store: bench.store,
                                  events: { if case .warning(let text) = $0 { warnings.append(text) } }).run()
        #expect(records[1].status == .fresh)
        #expect(warnings.contains { $0.hasPrefix("cached result of 't' is corrupt") }, "\(warnings)")
        guard case .model(let a)? = first["t"]!.result?.value, case .model(let b)? = records[1].result?.value else { return }
        #expect(a.checkpoint.state.params == b.checkpoint.state.params)
    }

    @Test func concurrentRunsComputeEachResultOnceAndAgree() throws {
        let bench = try Workbench()
        let source = "```dataset d\nsplit: test\nlimit: 300\n```\n\n```train t\ndata: d\narch: dense\nepochs: 2\n```\n\n```encode z\nmodel: t\ndata: d\n```\n"
        final class Box: @unchecked Sendable { var records: [[CellRecord]] = [[], []] }
        let box = Box()
        let plan = Plan(source: source, file: "nb.md", profile: .quick)
        let store = bench.store
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            box.records[i] = Interpreter(plan: plan, settings: RunSettings(threads: 1, dataDirectory: dataDirectory), store: store).run()
        }
        let fresh = box.records.flatMap { $0 }.filter { $0.status == .fresh }.map(\.step.cell.name).sorted()
        #expect(fresh == ["d", "t", "z"])   // each computed by exactly one of the two
        guard case .latents(let a)? = box.records[0][2].result?.value, case .latents(let b)? = box.records[1][2].result?.value else {
            Issue.record("missing latents"); return
        }
        #expect(a.values == b.values)
    }

    @Test func runSummaryResolvesProseReferences() throws {
        let bench = try Workbench()
        let source = smallNotebook(prose: "Final {{ae.final_loss}}, AUC {{ ood.auc }}, bogus {{ae.final_los}}.")
        let plan = Plan(source: source, file: "nb.md", profile: .quick)
        let records = Interpreter(plan: plan, settings: RunSettings(threads: 2, dataDirectory: dataDirectory), store: bench.store).run()
        let summary = RunSummary(plan: plan, records: records, settings: RunSettings(threads: 2))
        #expect(summary.references.count == 3)
        #expect(summary.references[0].value == records.first { $0.step.cell.name == "ae" }!.result!.metrics["final_loss"]!.display)
        #expect(summary.references[2].value == nil)
        #expect(referenceProblems(plan: plan, records: records).map(\.description)
                == ["nb.md:7:51: error: cell 'ae' has no result 'final_los' (did you mean 'final_loss'?)\n  hint: it has: epochs, final_loss, first_loss, images, images_per_second, last_epoch_change, latent, loss, parameters, seconds, seconds_per_epoch"])
    }
}
