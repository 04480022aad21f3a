import ArgumentParser
import Datasets
import Engine
import FMAPeak
import Foundation
import ReportModel

/// `make bench`: the figures BENCHMARKS.md records, measured on this machine.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure sgemm rate, training throughput, faithfulness to Keras and peak memory.")

    @Option(help: "Threads for training and for the multi-thread sgemm rate.")
    var threads = 2
    @Option(help: "Directory holding mnist/ (default: $LATENTBOOK_DATA, then data/).")
    var data: String?
    @Option(help: "Architectures whose throughput to measure (a -vae suffix: the same as a VAE).")
    var archs = "baseline,baseline-vae,deep"
    @Option(help: "Training steps (batch 128) per architecture; the first two are not timed.")
    var steps = 150
    @Option(help: "Convolutions: oneDNN (its primitives) or im2col (the engine's own im2col + GEMM).")
    var conv: ConvAlgorithm = .oneDNN
    @Option(help: "Images per layer in the per-layer table (one thread's shard); 0 skips the table.")
    var layerBatch = Trainer.shardLimit
    @Option(help: "Epochs of the faithfulness run (baseline, 70,000 images, batch 128); 0 skips it.")
    var faithfulEpochs = 3
    @Option(help: "Epochs of the VAE faithfulness run (the Keras VAE example itself); 0 skips it.")
    var faithfulVAEEpochs = 3

    /// Keras 3 on TensorFlow, same model, data and batch (from the engine issue): epochs 1–3.
    static let kerasLosses = [194.3, 158.9, 152.2]
    /// The Keras VAE example (total loss), same data and batch, seed 1337 (from the VAE issue).
    static let kerasVAELosses = [202.1, 169.5, 164.2]

    /// "baseline", or "baseline-vae" for the same preset as a VAE.
    static func model(_ arch: String) throws -> Model {
        let vae = arch.hasSuffix("-vae")
        var spec = try Presets.spec(vae ? String(arch.dropLast(4)) : arch, input: [28, 28, 1], latent: 2)
        spec.variational = vae
        return try Model(spec)
    }

    func run() throws {
        try reportingErrors {
            print("# latentbook bench — \(isoDate()) — \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores")
            print("command: latentbook bench --threads \(threads) --steps \(steps) --faithful-epochs \(faithfulEpochs) --faithful-vae-epochs \(faithfulVAEEpochs)\n")

            let one = sgemmRate(threads: 1), many = sgemmRate(threads: threads)
            print("oneDNN \(OneDNN.version), dispatching to \(OneDNN.isaName)")
            print("sgemm 2048³: \(formatFixed(one, 1)) GFLOP/s on 1 thread, \(formatFixed(many, 1)) GFLOP/s on \(threads) threads")
            let peak = fmaPeak(threads: threads)
            if let peak { print("FMA peak (12 chains of 512-bit FMAs a thread): \(formatFixed(peak, 1)) GFLOP/s on \(threads) threads") }
            print("")

            let dir = try DataDirectory.resolve(explicit: data)
            let all = try ImageSet.load(.mnist, split: .all, from: dir)
            var results: [String] = []
            print("| model | FLOPs/img (train) | images/s | median step (images/s) | s per 70k epoch | GFLOP/s | of sgemm | of FMA peak |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|")
            for arch in archs.split(separator: ",").map(String.init) {
                let model = try Bench.model(arch)
                let (rate, median) = try throughput(model, data: all)
                let gflops = rate * Double(model.trainingFLOPsPerSample) / 1e9
                print("| \(arch) | \(formatFixed(Double(model.trainingFLOPsPerSample) / 1e6, 1)) M | \(grouped(Int(rate))) | \(grouped(Int(median))) | "
                      + "\(formatFixed(70_000 / rate, 1)) | \(formatFixed(gflops, 1)) | \(formatFixed(gflops / many, 2)) | "
                      + "\(peak.map { formatFixed(gflops / $0, 2) } ?? "–") |")
                results.append("RESULT arch=\(arch) images_per_s=\(formatFixed(rate, 1)) median_images_per_s=\(formatFixed(median, 1)) "
                               + "steps=\(steps) batch=128 threads=\(threads)")
                fflush(nil)
            }
            print(""); results.forEach { print($0) }
            for arch in archs.split(separator: ",").map(String.init) where layerBatch > 0 {
                try layerTable(try Bench.model(arch), arch: arch)
            }
            if faithfulEpochs > 0 { try faithful(all, arch: "baseline", epochs: faithfulEpochs, keras: Bench.kerasLosses) }
            if faithfulVAEEpochs > 0 { try faithful(all, arch: "baseline-vae", epochs: faithfulVAEEpochs, keras: Bench.kerasVAELosses) }
            print("\npeak resident memory: \(formatFixed(Double(peakResidentBytes()) / 1_048_576, 0)) MiB")
        }
    }

    /// Steady-state images/s over `steps` batches of 128, as the Keras benchmark measures it:
    /// from the end of step 2 to the end of the last (the first steps create oneDNN's primitives
    /// and touch fresh pages); and the median of the per-step rates, which a noisy machine moves less.
    private func throughput(_ model: Model, data: ImageSet) throws -> (mean: Double, median: Double) {
        let trainer = try Trainer(model: model, config: TrainingConfig(epochs: 1, batchSize: 128, beta: model.variational ? 1 : nil),
                                  threads: threads, convolutions: conv)
        let timed = data.prefix(128 * steps)
        let clock = ContinuousClock()
        var ends: [ContinuousClock.Instant] = []
        _ = try trainer.train(data: timed, from: .initial(model, seed: 0), order: EpochOrder(count: timed.count, seed: 0).permutation(epoch:),
                              progress: { if case .step = $0 { ends.append(clock.now) } })
        let warm = 2
        let perStep = zip(ends.dropFirst(warm - 1), ends.dropFirst(warm)).map { seconds($1 - $0) }.sorted()
        let mean = Double(128 * (steps - warm)) / seconds(ends[steps - 1] - ends[warm - 1])
        return (mean, 128 / perStep[perStep.count / 2])
    }

    /// Where one thread's time goes: each layer on a shard of 64 (half a batch of 128).
    private func layerTable(_ model: Model, arch: String) throws {
        print("\n\(arch), per layer, one thread, \(layerBatch) images (best of 20):\n")
        print("| # | layer | output | forward ms | GFLOP/s | backward ms | GFLOP/s | implementation |")
        print("|---:|---|---|---:|---:|---:|---:|---|")
        var total = 0.0
        for t in model.profileLayers(batch: layerBatch, convolutions: conv) {
            total += t.forward + t.backward
            print("| \(t.index) | \(t.typeName) | \(t.outputShape.map(String.init).joined(separator: "×")) | "
                  + "\(formatFixed(t.forward * 1e3, 3)) | \(formatFixed(t.forwardGFLOPs, 0)) | \(formatFixed(t.backward * 1e3, 3)) | "
                  + "\(formatFixed(t.backwardGFLOPs, 0)) | \(t.implementation.isEmpty ? "engine" : t.implementation) |")
        }
        print("\nsum of layers: \(formatFixed(total * 1e3, 2)) ms per \(layerBatch) images = \(grouped(Int(Double(layerBatch) / total))) images/s on one thread")
    }

    private func faithful(_ all: ImageSet, arch: String, epochs: Int, keras kerasLosses: [Double]) throws {
        let model = try Bench.model(arch)
        print("\nfaithfulness: \(arch), latent 2, BCE\(model.variational ? " + KL" : ""), \(grouped(all.count)) images, batch 128, seed 0, \(threads) threads")
        let trainer = try Trainer(model: model, config: TrainingConfig(epochs: epochs, batchSize: 128, beta: model.variational ? 1 : nil),
                                  threads: threads, convolutions: conv)
        let progress = ProgressPrinter()
        let state = try trainer.train(data: all, from: .initial(model, seed: 0),
                                      order: EpochOrder(count: all.count, seed: 0).permutation(epoch:), progress: progress.handle)
        // Machine-readable, as keras_bench.py prints them (bench/compare.py parses both).
        for r in state.history {
            let parts = r.parts.map { " reconstruction=\(formatFixed($0.reconstruction, 4)) kl=\(formatFixed($0.kl, 4))" } ?? ""
            print("EPOCH \(r.epoch) loss=\(formatFixed(r.loss, 4))\(parts) seconds=\(formatFixed(r.seconds, 2))")
        }
        print("\n| epoch | ours | Keras | difference | seconds |")
        print("|---:|---:|---:|---:|---:|")
        var worst = 0.0
        for r in state.history {
            let keras = r.epoch <= kerasLosses.count ? kerasLosses[r.epoch - 1] : nil
            let diff = keras.map { (r.loss - $0) / $0 * 100 }
            if let diff { worst = max(worst, abs(diff)) }
            print("| \(r.epoch) | \(formatFixed(r.loss, 1)) | \(keras.map { formatFixed($0, 1) } ?? "–") | "
                  + "\(diff.map { (($0 >= 0) ? "+" : "") + formatFixed($0, 1) + "%" } ?? "–") | \(formatFixed(r.seconds, 1)) |")
        }
        print("\nlargest difference from Keras over the compared epochs: \(formatFixed(worst, 1))% (bar: 5%) — \(worst <= 5 ? "within" : "OUTSIDE") the bar")
    }
}

/// The FMA peak on `threads` threads (best of three), or nil where the CPU has no AVX-512.
private func fmaPeak(threads: Int) -> Double? {
    guard cpuInfo("flags")?.split(separator: " ").contains("avx512f") == true else { return nil }
    let rates = UnsafeMutableBufferPointer<Double>.allocate(capacity: threads)
    defer { rates.deallocate() }
    var best = 0.0
    for _ in 0..<3 {
        parallelFor(threads) { t in
            let run = FMAPeak.run(iterations: 20_000_000, seed: Float(t + 1))
            rates[t] = run.flops / seconds(run.elapsed) / 1e9
        }
        best = max(best, rates.reduce(0, +))
    }
    return best
}

private func sgemmRate(threads: Int, n: Int = 2048, repeats: Int = 5) -> Double {
    var rng = SeededGenerator(seed: 1)
    let a = (0..<(n * n)).map { _ in rng.uniform(-1, 1) }, b = (0..<(n * n)).map { _ in rng.uniform(-1, 1) }
    var c = [Float](repeating: 0, count: n * n)
    let saved = BLAS.threads
    defer { BLAS.threads = saved }
    BLAS.threads = threads
    func once() { c.withUnsafeMutableBufferPointer { BLAS.sgemm(m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, beta: 0, c: $0.baseAddress!, ldc: n) } }
    once()
    let clock = ContinuousClock()
    let t = clock.measure { for _ in 0..<repeats { once() } }
    return 2 * Double(n * n * n) * Double(repeats) / seconds(t) / 1e9
}

func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024  // Linux reports KiB
}

/// "AMD EPYC (family 26, model 2)": the model name alone does not tell a Zen 4 from a Zen 5.
private func cpuModel() -> String {
    let name = cpuInfo("model name") ?? "unknown CPU"
    guard let family = cpuInfo("cpu family"), let model = cpuInfo("model") else { return name }
    return "\(name) (family \(family), model \(model))"
}

/// A field of /proc/cpuinfo's first processor ("model name", "flags", ...), nil where there is none.
private func cpuInfo(_ field: String) -> String? {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
    for line in info.split(separator: "\n") {
        let parts = line.split(separator: ":", maxSplits: 1)
        if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == field {
            return parts[1].trimmingCharacters(in: .whitespaces)
        }
    }
    return nil
}

private func isoDate() -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.dateFormat = "yyyy-MM-dd"
    return f.string(from: Date())
}

extension ConvAlgorithm: ExpressibleByArgument {}
