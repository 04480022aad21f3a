import ArgumentParser
import Datasets
import Engine
import Foundation

/// `make bench`: the figures BENCHMARKS.md records, measured on this machine.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure sgemm rate, training throughput, faithfulness to Keras and peak memory.")

    @Option(help: "Threads for training and for the multi-thread sgemm rate.")
    var threads = 2
    @Option(help: "Directory holding mnist/ (default: $LATENTBOOK_DATA, then data/).")
    var data: String?
    @Option(help: "Architectures whose throughput to measure.")
    var archs = "baseline,deep"
    @Option(help: "Timed training steps (batch 128) per architecture.")
    var steps = 150
    @Option(help: "Epochs of the faithfulness run (baseline, 70,000 images, batch 128); 0 skips it.")
    var faithfulEpochs = 3

    /// Keras 3 on TensorFlow, same model, data and batch (from the engine issue): epochs 1–3.
    static let kerasLosses = [194.3, 158.9, 152.2]

    func run() throws {
        try reportingErrors {
            print("# latentbook bench — \(isoDate()) — \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores")
            print("command: latentbook bench --threads \(threads) --steps \(steps) --faithful-epochs \(faithfulEpochs)\n")

            let one = sgemmRate(threads: 1), many = sgemmRate(threads: threads)
            print("OpenBLAS kernels: \(BLAS.coreName)")
            print("sgemm 2048³: \(formatFixed(one, 1)) GFLOP/s on 1 thread, \(formatFixed(many, 1)) GFLOP/s on \(threads) threads\n")

            let dir = try DataDirectory.resolve(explicit: data)
            let all = try ImageSet.load(.mnist, split: .all, from: dir)
            print("| model | FLOPs/img (train) | images/s | s per 70k epoch | GFLOP/s | efficiency vs \(threads)-thread sgemm |")
            print("|---|---:|---:|---:|---:|---:|")
            for arch in archs.split(separator: ",").map(String.init) {
                let model = try Model.preset(arch, input: [28, 28, 1], latent: 2)
                let rate = try throughput(model, data: all)
                let gflops = rate * Double(model.trainingFLOPsPerSample) / 1e9
                print("| \(arch) | \(formatFixed(Double(model.trainingFLOPsPerSample) / 1e6, 1)) M | \(grouped(Int(rate))) | "
                      + "\(formatFixed(70_000 / rate, 1)) | \(formatFixed(gflops, 1)) | \(formatFixed(gflops / many, 2)) |")
                fflush(nil)
            }
            if faithfulEpochs > 0 { try faithful(all) }
            print("\npeak resident memory: \(formatFixed(Double(peakResidentBytes()) / 1_048_576, 0)) MiB")
        }
    }

    /// Images/s over `steps` batches of 128, after a short warm-up (page faults, BLAS buffers).
    private func throughput(_ model: Model, data: ImageSet) throws -> Double {
        let warm = try Trainer(model: model, config: TrainingConfig(epochs: 1, batchSize: 128), threads: threads)
        _ = try warm.train(data: data.prefix(128 * 3), from: .initial(model, seed: 0), order: { _ in Array(0..<384) })
        let timed = data.prefix(128 * steps)
        let state = try warm.train(data: timed, from: .initial(model, seed: 0), order: EpochOrder(count: timed.count, seed: 0).permutation(epoch:))
        return state.history[0].imagesPerSecond
    }

    private func faithful(_ all: ImageSet) throws {
        print("\nfaithfulness: baseline, latent 2, BCE, \(grouped(all.count)) images, batch 128, seed 0, \(threads) threads")
        let model = try Model.preset("baseline", input: [28, 28, 1], latent: 2)
        let trainer = try Trainer(model: model, config: TrainingConfig(epochs: faithfulEpochs, batchSize: 128), threads: threads)
        let progress = ProgressPrinter()
        let state = try trainer.train(data: all, from: .initial(model, seed: 0),
                                      order: EpochOrder(count: all.count, seed: 0).permutation(epoch:), progress: progress.handle)
        print("\n| epoch | ours | Keras | difference | seconds |")
        print("|---:|---:|---:|---:|---:|")
        var worst = 0.0
        for r in state.history {
            let keras = r.epoch <= Bench.kerasLosses.count ? Bench.kerasLosses[r.epoch - 1] : nil
            let diff = keras.map { (r.loss - $0) / $0 * 100 }
            if let diff { worst = max(worst, abs(diff)) }
            print("| \(r.epoch) | \(formatFixed(r.loss, 1)) | \(keras.map { formatFixed($0, 1) } ?? "–") | "
                  + "\(diff.map { (($0 >= 0) ? "+" : "") + formatFixed($0, 1) + "%" } ?? "–") | \(formatFixed(r.seconds, 1)) |")
        }
        print("\nlargest difference from Keras over the compared epochs: \(formatFixed(worst, 1))% (bar: 5%) — \(worst <= 5 ? "within" : "OUTSIDE") the bar")
    }
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
    let secs = Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18
    return 2 * Double(n * n * n) * Double(repeats) / secs / 1e9
}

func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024  // Linux reports KiB
}

private func cpuModel() -> String {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
          let name = line.split(separator: ":", maxSplits: 1).last else { return "unknown CPU" }
    return name.trimmingCharacters(in: .whitespaces)
}

private func isoDate() -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.dateFormat = "yyyy-MM-dd"
    return f.string(from: Date())
}
