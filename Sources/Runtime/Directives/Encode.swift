import Datasets
import Engine
import Foundation
import ReportModel

/// `encode`: a dataset through a model's encoder, with how well the latents separate the classes.
struct EncodeDirective: Directive {
    let name = "encode"
    let summary = "Encode images to latent vectors (with their labels)."
    let resultKind = ResultKind.latents
    let example = "```encode z\nmodel: ae\ndata: digits\n```"

    struct Options: DirectiveOptions {
        var model = CellName("")
        var data = CellName("")
        var limit: Int?
        var sample = 2000
        var neighbors = 5

        static let fields: [OptionField<Options>] = [
            OptionField("model", \.model, .cell([.model]), required: true, help: "The trained model cell."),
            OptionField("data", \.data, .cell([.dataset]), required: true, help: "The dataset cell to encode."),
            OptionField("limit", \.limit, .int(1...70_000), help: "Encode only the first N images."),
            OptionField("sample", \.sample, .int(100...10_000),
                        help: "Images used for the cluster-separation numbers (silhouette, k-NN accuracy)."),
            OptionField("neighbors", \.neighbors, .int(1...50), help: "k of the k-NN accuracy."),
        ]
    }

    func execute(_ o: Options, in context: ExecutionContext) throws -> CellResult {
        let trained = context.model(o.model)
        var data = try context.dataset(o.data)
        if let limit = o.limit, limit < data.count { data = data.prefix(limit) }
        let model = try Model(trained.checkpoint.spec)
        try requireShape(data, model: model, option: "data")
        let dim = model.spec.latent
        let z: [Float], sigma: [Float]?
        if model.variational {
            // A VAE's code is z_mean; its σ = exp(½ z_log_var) says how wide each code's distribution is.
            let heads = model.run(.distribution, params: trained.checkpoint.state.params, input: data.floats, count: data.count, threads: context.threads)
            var means = [Float](), sigmas = [Float]()
            means.reserveCapacity(data.count * dim); sigmas.reserveCapacity(data.count * dim)
            for r in 0..<data.count {
                let row = r * 2 * dim
                for j in 0..<dim { means.append(heads[row + j]); sigmas.append(expf(0.5 * heads[row + dim + j])) }
            }
            (z, sigma) = (means, sigmas)
        } else {
            z = model.run(.encoder, params: trained.checkpoint.state.params, input: data.floats, count: data.count, threads: context.threads)
            sigma = nil
        }
        let labels = data.labels.map(Int.init)
        let sample = o.sample, k = o.neighbors
        let silhouette = Metric.number(try silhouetteScore(points: z, dim: dim, labels: labels, limit: sample, seed: context.seed))
        let knn = Metric.number(try knnAccuracy(points: z, dim: dim, labels: labels, k: k, limit: sample, seed: context.seed))
        var metrics: [String: Metric] = ["count": .number(Double(data.count)), "dim": .number(Double(dim)),
                                         "silhouette": silhouette, "knn_accuracy": knn]
        if let colors = data.colors {
            let c = colors.map(Int.init)
            metrics["silhouette_color"] = .number(try silhouetteScore(points: z, dim: dim, labels: c, limit: sample, seed: context.seed))
            metrics["knn_accuracy_color"] = .number(try knnAccuracy(points: z, dim: dim, labels: c, k: k, limit: sample, seed: context.seed))
        }
        // A VAE's per-dimension mean σ and KL from the prior (nats): a dimension near σ = 1 and
        // KL = 0 gives every image the prior and carries nothing (it collapsed).
        let perDimension = sigma.map { sg in
            zip(0..<dim, klPerDimension(means: z, sigmas: sg, dim: dim)).map { d, kl in
                (sigma: stride(from: d, to: sg.count, by: dim).reduce(0.0) { $0 + Double(sg[$1]) } / Double(max(data.count, 1)), kl: kl)
            }
        }
        var rows: [[String]] = []
        for d in 0..<dim {
            let values = stride(from: d, to: z.count, by: dim).map { Double(z[$0]) }
            let s = Engine.summary(values)
            rows.append(["z\(d)", formatFixed(s.mean, 3), formatFixed(s.std, 3), formatFixed(s.min, 3), formatFixed(s.max, 3)]
                        + (perDimension.map { [formatFixed($0[d].sigma, 3), formatFixed($0[d].kl, 3)] } ?? []))
        }
        if let sigma {
            metrics["mean_sigma"] = .number(sigma.reduce(0.0) { $0 + Double($1) } / Double(max(sigma.count, 1)))
            for (d, p) in (perDimension ?? []).enumerated() {
                metrics["sigma_z\(d)"] = .number(p.sigma)
                metrics["kl_z\(d)"] = .number(p.kl)
            }
        }
        var text = "\(grouped(data.count)) latent vectors of size \(dim); by digit: silhouette \(silhouette.display), "
            + "\(k)-NN accuracy \(knn.display)"
        if let s = metrics["silhouette_color"], let a = metrics["knn_accuracy_color"] {
            text += "; by color: silhouette \(s.display), \(k)-NN accuracy \(a.display)"
        }
        return CellResult(value: .latents(Latents(dim: dim, values: z, labels: data.labels, colors: data.colors)),
                          outputs: [.text(text), .table(Table(title: "Latent coordinates", columns: ["dimension", "mean", "std", "min", "max"] + (sigma == nil ? [] : ["mean σ", "KL (nats)"]), rows: rows))],
                          metrics: metrics)
    }
}

struct ShapeMismatch: UserError {
    let option: String, data: [Int], model: [Int]
    var message: String {
        "'\(option)' has images of shape (\(data.map(String.init).joined(separator: ", "))) but the model takes (\(model.map(String.init).joined(separator: ", ")))"
    }
}

func requireShape(_ set: ImageSet, model: Model, option: String) throws {
    guard set.sampleShape == model.spec.input else { throw ShapeMismatch(option: option, data: set.sampleShape, model: model.spec.input) }
}

/// Mean over the images of each dimension's KL divergence from N(0, 1): ½(μ² + σ² − 1 − ln σ²).
/// means, sigmas: (N, dim) → (dim)
func klPerDimension(means: [Float], sigmas: [Float], dim: Int) -> [Double] {
    let count = max(means.count / dim, 1)
    return (0..<dim).map { d in
        stride(from: d, to: means.count, by: dim).reduce(0.0) { sum, i in
            let (m, s) = (Double(means[i]), Double(sigmas[i]))
            return sum + 0.5 * (m * m + s * s - 1 - 2 * log(s))
        } / Double(count)
    }
}
