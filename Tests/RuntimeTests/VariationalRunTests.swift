import Engine
import Foundation
import Notebook
import ReportModel
import Runtime
import Testing

private func vaeNotebook(_ extra: String = "variational: true\nbeta: 0.5") -> String {
    """
    ```dataset digits
    source: mnist
    split: test
    limit: 400
    ```

    ```dataset held
    source: mnist
    split: train
    limit: 200
    ```

    ```train vae
    data: digits
    arch: dense
    epochs: 2
    batch: 64
    validation: held
    \(extra)
    ```

    ```encode z
    model: vae
    data: digits
    sample: 200
    ```

    ```decode prior
    model: vae
    from: prior
    count: 8
    ```

    ```plot curves
    kind: loss
    sources: [vae]
    parts: true
    ```

    ```mask holes
    model: vae
    data: digits
    size: [6]
    count: 3
    evaluate: 50
    ```

    ```noise noisy
    model: vae
    data: digits
    sigma: [0.3]
    count: 3
    evaluate: 50
    ```

    ```score errors
    model: vae
    data: digits
    limit: 100
    show: 2
    ```

    ```decode grid
    model: vae
    n: 3
    ```
    """
}

@Test func variationalOptionsAreCheckedAndKeyed() {
    #expect(problems("```train t\ndata: digits\nbeta: 2\n```") == ["nb.md:16:7: error: option 'beta': only applies with variational: true"])
    #expect(problems("```plot p\nkind: time\nsources: [ae]\nparts: true\n```") == ["nb.md:17:8: error: option 'parts': parts applies to kind: loss only"])
    func key(_ options: String) -> String? {
        Plan(source: "```dataset d\n```\n\n```train t\ndata: d\n\(options)\n```\n", file: "nb.md", profile: .quick).step(named: "t")?.key
    }
    let plain = key(""), vae = key("variational: true"), beta = key("variational: true\nbeta: 4")
    #expect(plain != nil && vae != nil && beta != nil)
    #expect(Set([plain, vae, beta]).count == 3)
    // An autoencoder's key does not mention the new options: caches from before VAEs stay valid.
    #expect(key("epochs: 3") == plain)
    #expect(key("validation: d") != plain && key("validation: d") != nil)
}

@Suite(.enabled(if: dataDirectory != nil, "needs MNIST: set LATENTBOOK_DATA"), .serialized)
struct VariationalExecution {
    @Test func aVAENotebookRunsWithItsPartsAndPrior() throws {
        let bench = try Workbench()
        let r = bench.run(vaeNotebook())
        #expect(r.values.allSatisfy { $0.status == .fresh }, "\(r.mapValues { $0.reason ?? $0.status.rawValue })")
        let m = try #require(r["vae"]?.result?.metrics)
        guard case .number(let loss)? = m["final_loss"], case .number(let rec)? = m["final_reconstruction"],
              case .number(let kl)? = m["final_kl"], case .number(let beta)? = m["beta"] else {
            Issue.record("missing fields: \(m.keys.sorted())"); return
        }
        #expect(beta == 0.5 && kl > 0 && abs(loss - (rec + 0.5 * kl)) < 1e-6 * loss)
        // The summary shows the two heads and the sampling layer.
        let tables = r["vae"]!.result!.outputs.compactMap { if case .table(let t) = $0 { t } else { nil } }
        #expect(tables[0].rows.map { $0[0] }.suffix(3) == ["z_mean (Dense)", "z_log_var (Dense)", "sampling (Sampling)"])
        #expect(tables.last?.columns == ["epoch", "loss", "reconstruction", "KL", "validation loss", "seconds", "images/s"])
        guard case .number(let held)? = m["final_val_loss"], case .number(let best)? = m["best_val_loss"] else {
            Issue.record("no validation fields: \(m.keys.sorted())"); return
        }
        #expect(held > 0 && best <= held)
        // encode gives z_mean and how wide the codes' distributions are.
        guard case .latents(let z)? = r["z"]?.result?.value, case .number(let sigma)? = r["z"]?.result?.metrics["mean_sigma"] else {
            Issue.record("no latents or σ"); return
        }
        #expect(z.dim == 2 && z.count == 400 && sigma > 0 && sigma < 2)
        guard case .images(let prior)? = r["prior"]?.result?.value else { Issue.record("no prior samples"); return }
        #expect(prior.count == 8 && prior.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        let curves = r["curves"]!.result!.outputs.compactMap { if case .figure(let f) = $0 { f } else { nil } }
        #expect(curves.first?.series.map(\.name) == ["vae", "vae (validation)", "vae reconstruction", "vae KL"])
        #expect(curves.first?.series.map(\.dashed) == [nil, true, nil, nil] && curves.first?.series[1].color == 0)
        // Masks, noise, scores and grids run as for an autoencoder, through z_mean: deterministic,
        // so rerunning them (forced, from the cached model) gives the same numbers.
        let forced = bench.run(vaeNotebook(), force: ["holes", "noisy", "errors", "grid"], only: ["holes", "noisy", "errors", "grid"])
        for name in ["holes", "noisy", "errors", "grid"] {
            #expect(forced[name]?.status == .fresh && forced[name]?.result?.metrics == r[name]?.result?.metrics, "\(name)")
        }
        guard case .images(let a)? = forced["grid"]?.result?.value, case .images(let b)? = r["grid"]?.result?.value else { Issue.record("no grid"); return }
        #expect(a.pixels == b.pixels)
        // A second run is all cached and gives the same numbers.
        let again = bench.run(vaeNotebook())
        #expect(again.values.allSatisfy { $0.status == .cached })
        #expect(again["vae"]?.result?.metrics == m)
    }
}
