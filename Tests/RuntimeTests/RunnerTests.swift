import Engine
import Foundation
import Notebook
import Runtime
import Testing

/// The events of one run, as short lines: what a front end sees, in order.
private final class EventLog: @unchecked Sendable {
    var lines: [String] = []
    var steps = 0

    func record(_ event: RunEvent) {
        switch event {
        case let .started(c, index, count): lines.append("started \(c.cell) \(index + 1)/\(count)")
        case let .cached(c, _): lines.append("cached \(c.cell)")
        case .trainingStep: steps += 1
        case let .epochFinished(c, r, epochs): lines.append("epoch \(c.cell) \(r.epoch)/\(epochs)")
        case let .note(c, text): lines.append("note \(c.cell) \(text)")
        case let .finished(c, _): lines.append("finished \(c.cell)")
        case let .failed(c, at, reason): lines.append("failed \(c.cell) \(at.line):\(at.column) \(reason)")
        case let .skipped(c, because): lines.append("skipped \(c.cell) \(because)")
        case .warning(let text): lines.append("warning \(text)")
        }
    }
}

private let twoModels = """
    ```dataset d
    split: test
    limit: 256
    ```

    ```train a
    data: d
    arch: dense
    epochs: 2
    batch: 64
    ```

    ```encode z
    model: a
    data: d
    sample: 100
    ```

    ```train b
    data: d
    arch: dense
    epochs: 1
    batch: 64
    ```

    """

@Suite(.enabled(if: dataDirectory != nil, "needs MNIST: set LATENTBOOK_DATA"), .serialized)
struct RunnerAPI {
    let bench: Workbench
    let runner: Runner
    let settings = RunSettings(threads: 2, dataDirectory: dataDirectory)

    init() throws {
        bench = try Workbench()
        runner = Runner(store: bench.store)
    }

    func plan(_ source: String) -> Plan {
        Plan(source: source, file: bench.directory.appendingPathComponent("nb.md").path, profile: .quick)
    }

    @Test func aRunReportsEachCellThenTheCacheDoes() throws {
        let log = EventLog()
        let p = plan(twoModels)
        #expect(runner.statuses(p).map(\.status) == [.neverRun, .neverRun, .neverRun, .neverRun])
        let first = try runner.run(p, settings: settings, events: log.record)
        #expect(!first.failed)
        #expect(log.lines == ["started d 1/4", "finished d", "started a 2/4", "epoch a 1/2", "epoch a 2/2", "finished a",
                              "started z 3/4", "finished z", "started b 4/4", "epoch b 1/1", "finished b"])
        #expect(log.steps == 2 * 4 + 4)  // 256 images in batches of 64
        #expect(runner.statuses(p).map(\.status) == [.cached, .cached, .cached, .cached])

        let again = EventLog()
        _ = try runner.run(p, settings: settings, events: again.record)
        #expect(again.lines == ["cached d", "cached a", "cached z", "cached b"])

        // An edited option makes that cell and what reads it stale; the rest stays cached.
        let edited = plan(twoModels.replacingOccurrences(of: "epochs: 2", with: "epochs: 3"))
        #expect(runner.statuses(edited).map(\.status) == [.cached, .stale, .stale, .cached])
        let broken = plan(twoModels.replacingOccurrences(of: "model: a", with: "model: nothing"))
        #expect(runner.statuses(broken).map(\.status) == [.cached, .cached, .invalid, .cached])
    }

    @Test func oneCellWithItsDownstream() throws {
        let p = plan(twoModels)
        _ = try runner.run(p, settings: settings)
        #expect(p.downstream(of: "a") == ["a", "z"])
        #expect(p.downstream(of: "d") == ["d", "a", "z", "b"])

        let only = EventLog()
        let run = try runner.run(p, .only("a", downstream: true), settings: settings, events: only.record)
        #expect(run.records.map(\.status) == [.cached, .fresh, .fresh, .notRun])
        #expect(only.lines == ["cached d", "started a 2/4", "epoch a 1/2", "epoch a 2/2", "finished a", "started z 3/4", "finished z"])

        let rerun = EventLog()
        let page = try runner.run(p, .rerun("z", downstream: false), settings: settings, events: rerun.record)
        #expect(page.records.map(\.status) == [.cached, .cached, .fresh, .cached])
        #expect(rerun.lines == ["cached d", "cached a", "started z 3/4", "finished z", "cached b"])
    }

    @Test func cancellingStopsAtTheNextStepAndKeepsFinishedEpochs() throws {
        let p = plan(twoModels)
        let cancel = Cancellation()
        let log = EventLog()
        let run = try runner.run(p, settings: settings, cancellation: cancel) { event in
            log.record(event)
            if case .epochFinished(_, let r, _) = event, r.epoch == 1 { cancel.cancel() }
        }
        #expect(run.records.map(\.status) == [.fresh, .notRun, .notRun, .notRun])
        #expect(run.records[1].reason == "cancelled")
        #expect(log.lines == ["started d 1/4", "finished d", "started a 2/4", "epoch a 1/2"])
        #expect(runner.statuses(p).map(\.status) == [.cached, .neverRun, .neverRun, .neverRun])

        // The next run resumes after the epoch that finished.
        let resumed = EventLog()
        let next = try runner.run(p, settings: settings, events: resumed.record)
        #expect(next.records.map(\.status) == [.cached, .fresh, .fresh, .fresh])
        #expect(Array(resumed.lines.prefix(5)) == ["cached d", "started a 2/4", "note a resuming 'a' after epoch 1", "epoch a 2/2", "finished a"])
    }

    @Test func aFailureIsAnEventAtItsCell() throws {
        let p = plan(twoModels + "```decode g\nmodel: a\ndims: [0, 5]\n```\n")
        let log = EventLog()
        let run = try runner.run(p, settings: settings, events: log.record)
        #expect(run.failed)
        #expect(run.records.map(\.status) == [.fresh, .fresh, .fresh, .fresh, .failed])
        let at = try #require(p.step(named: "g")).cell.location
        #expect(log.lines.last == "failed g \(at.line):\(at.column) latent dimension 5 does not exist: the model's latent size is 2")
    }

    @Test func cellsAreFoundByNameOrIndexWithTheMessagesOfTheCommandLine() throws {
        let p = plan(twoModels)
        #expect(try p.cell(matching: "2") == "a")
        #expect(try p.cell(matching: "z") == "z")
        #expect(throws: Plan.CellLookupError.self) { try p.cell(matching: "5") }
        do { _ = try p.cell(matching: "5") } catch { #expect(error.description == "no cell 5: the notebook has 4 cells") }
        do { _ = try p.cell(matching: "zz") } catch { #expect(error.description == "no cell named 'zz' (did you mean 'z'?)") }
    }
}

/// A value of each shape the resolver can produce for an option type.
private func samples(_ type: OptionType) -> [OptionValue] {
    switch type {
    case .int(let r): [.int(r.lowerBound), .int(r.upperBound)]
    case .number(let r): [.number(r.lowerBound), .number(r.upperBound)]
    case .bool: [.bool(true), .bool(false)]
    case .string: [.string("text")]
    case .choice(let choices): choices.map { .string($0) }
    case .cell: [.cell("earlier")]
    case let .list(element, _): samples(element) + [.list(samples(element))]
    case let .indexMap(indices, element): [.indexMap([indices.lowerBound: samples(element)[0]])]
    case .layers: [.layers([.dense(units: 4, activation: .relu)])]
    case .metricRef: [.metric(cell: "earlier", field: "loss")]
    }
}

@Test func everyOptionsPropertyHoldsEveryValueItsTypeResolvesTo() {
    for directive in DirectiveRegistry.standard.all {
        for spec in directive.options {
            var values = samples(spec.type)
            if let d = spec.defaultValue { values.append(d) }
            for value in values {
                #expect(directive.propertiesRefusing([spec.name: value]).isEmpty, "\(directive.name).\(spec.name) = \(value)")
            }
        }
    }
    // And the check can fail: a string where an Int property is bound.
    let train = DirectiveRegistry.standard["train"]!
    #expect(train.propertiesRefusing(["epochs": .string("3")]) == ["epochs"])
}
