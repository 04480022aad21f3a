import ReportModel

/// Per-layer times of one training step on one thread, for `latentbook bench`: where the time
/// goes, and which oneDNN implementation each convolution runs.
public struct LayerTiming: Sendable {
    public var index: Int
    public var typeName: String
    public var outputShape: [Int]
    /// Seconds per call, best of the repeats.
    public var forward: Double
    public var backward: Double
    /// Multiply–accumulates of forward for the profiled batch (backward does twice as many).
    public var forwardMACs: Int
    /// oneDNN's implementations for this layer's convolutions, or "" for the engine's own code.
    public var implementation: String

    public var forwardGFLOPs: Double { forward > 0 ? 2 * Double(forwardMACs) / forward / 1e9 : 0 }
    public var backwardGFLOPs: Double { backward > 0 ? 4 * Double(forwardMACs) / backward / 1e9 : 0 }
}

extension Model {
    /// Times each layer's forward and backward on `batch` random samples on the calling thread,
    /// single-threaded, with the given convolution algorithm.
    public func profileLayers(batch: Int, repeats: Int = 20, convolutions: ConvAlgorithm = .oneDNN) -> [LayerTiming] {
        BLAS.useOneThreadPerCall()
        let ws = Workspace(model: self, capacity: batch, training: true, convolutions: convolutions)
        var rng = SeededGenerator(seed: 7)
        let params = initialParameters(seed: 1)
        ws.loadInput(count: batch) { p in for i in 0..<(batch * inputCount) { p[i] = rng.uniform(0, 1) } }
        let clock = ContinuousClock()
        var timings: [LayerTiming] = []
        params.withUnsafeBufferPointer { pp in
            ws.grads.withUnsafeMutableBufferPointer { gp in
                ws.withArena { base in
                    let p = pp.baseAddress!, g = gp.baseAddress!
                    for (i, layer) in layers.enumerated() {
                        let x = i == 0 ? ws.input : ws.activations[i - 1]
                        let memory = ws.memory(base, layer: i)
                        let before = Set(ws.kernels.implementations)
                        var best = (Double.infinity, Double.infinity)
                        for _ in 0..<(repeats + 2) {  // the first two create primitives and touch pages
                            let f = clock.measure {
                                layer.forward(x: base + x, y: base + ws.activations[i], batch: batch, params: p + offsets[i], memory: memory)
                            }
                            for j in 0..<(batch * layer.outputCount) { base[ws.gradA + j] = 1e-3 }
                            let b = clock.measure {
                                layer.backward(x: base + x, y: base + ws.activations[i], dy: base + ws.gradA,
                                               dx: i == 0 ? nil : base + ws.gradB, batch: batch,
                                               params: p + offsets[i], dParams: g + offsets[i], memory: memory)
                            }
                            best = (min(best.0, seconds(f)), min(best.1, seconds(b)))
                        }
                        timings.append(LayerTiming(index: i, typeName: layer.typeName, outputShape: layer.outputShape,
                                                   forward: best.0, backward: best.1, forwardMACs: batch * layer.forwardMACs,
                                                   implementation: ws.kernels.implementations.filter { !before.contains($0) }.joined(separator: "; ")))
                    }
                }
            }
        }
        return timings
    }
}
