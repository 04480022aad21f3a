import Engine

/// Runs a layer on arrays so tests can stay free of pointer plumbing.
struct LayerHarness {
    let layer: any Layer
    let batch: Int
    /// Which convolution path runs (oneDNN's primitives by default, as in training).
    var convolutions: ConvAlgorithm = .oneDNN

    private func withMemory<R>(_ body: (LayerMemory) -> R) -> R {
        var saved = [Float](repeating: 0, count: max(1, batch * layer.savedCount))
        var temp = [Float](repeating: 0, count: max(1, batch * layer.tempCount))
        var scratch = [Float](repeating: 0, count: max(1, layer.scratchCount))
        return saved.withUnsafeMutableBufferPointer { s in
            temp.withUnsafeMutableBufferPointer { t in
                scratch.withUnsafeMutableBufferPointer { c in
                    body(LayerMemory(saved: s.baseAddress!, temp: t.baseAddress!, scratch: c.baseAddress!,
                                     kernels: KernelCache(convolutions: convolutions)))
                }
            }
        }
    }

    func forward(_ x: [Float], _ params: [Float]) -> [Float] {
        precondition(x.count == batch * layer.inputCount)
        var y = [Float](repeating: .nan, count: batch * layer.outputCount)
        withMemory { mem in
            x.withUnsafeBufferPointer { xp in
                params.withUnsafeBufferPointer { pp in
                    y.withUnsafeMutableBufferPointer { yp in
                        layer.forward(x: xp.baseAddress!, y: yp.baseAddress!, batch: batch,
                                      params: pp.baseAddress ?? UnsafePointer(bitPattern: 8)!, memory: mem)
                    }
                }
            }
        }
        return y
    }

    /// Forward then backward with upstream gradient `dy`; returns (dx, dParams).
    func gradients(_ x: [Float], _ params: [Float], dy: [Float]) -> (dx: [Float], dParams: [Float]) {
        var y = [Float](repeating: .nan, count: batch * layer.outputCount)
        var dyCopy = dy
        var dx = [Float](repeating: .nan, count: batch * layer.inputCount)
        var dParams = [Float](repeating: 0, count: max(1, params.count))
        withMemory { mem in
            x.withUnsafeBufferPointer { xp in
                params.withUnsafeBufferPointer { pp in
                    let p = pp.baseAddress ?? UnsafePointer(bitPattern: 8)!
                    y.withUnsafeMutableBufferPointer { yp in
                        layer.forward(x: xp.baseAddress!, y: yp.baseAddress!, batch: batch, params: p, memory: mem)
                        dyCopy.withUnsafeMutableBufferPointer { dyp in
                            dx.withUnsafeMutableBufferPointer { dxp in
                                dParams.withUnsafeMutableBufferPointer { dpp in
                                    layer.backward(x: xp.baseAddress!, y: yp.baseAddress!, dy: dyp.baseAddress!,
                                                   dx: dxp.baseAddress!, batch: batch, params: p,
                                                   dParams: dpp.baseAddress!, memory: mem)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dx, Array(dParams.prefix(params.count)))
    }

    func randomParams(_ rng: inout SeededGenerator) -> [Float] {
        var p = [Float](repeating: 0, count: layer.parameterCount)
        p.withUnsafeMutableBufferPointer { layer.initialize($0.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, rng: &rng) }
        // Non-zero biases, so a missing bias term in backward would show.
        for t in layer.parameters where t.name.hasSuffix("bias") {
            for i in t.offset..<(t.offset + t.count) { p[i] = rng.uniform(-0.3, 0.3) }
        }
        return p
    }
}

func randomArray(_ n: Int, _ rng: inout SeededGenerator, _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
    (0..<n).map { _ in rng.uniform(lo, hi) }
}

func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    let scale = max(a.map(abs).max() ?? 0, 1e-6)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

/// Checks analytic gradients of f(x, θ) = Σ r ⊙ layer(x, θ) against central differences at up
/// to `probes` random coordinates of x and of θ. Returns the worst |analytic − numeric| / (|·| + 0.05).
func gradientCheck(_ layer: any Layer, batch: Int = 2, seed: UInt64 = 1, probes: Int = 40,
                   h: Float = 2e-3, xRange: ClosedRange<Float> = -1...1) -> (worst: Double, where: String) {
    var rng = SeededGenerator(seed: seed)
    let harness = LayerHarness(layer: layer, batch: batch)
    let x = randomArray(batch * layer.inputCount, &rng, xRange.lowerBound, xRange.upperBound)
    let params = harness.randomParams(&rng)
    let r = randomArray(batch * layer.outputCount, &rng)
    func f(_ x: [Float], _ p: [Float]) -> Double {
        zip(harness.forward(x, p), r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    let (dx, dp) = harness.gradients(x, params, dy: r)
    var worst = 0.0, worstAt = "", kinks = 0
    /// Central difference, or nil where the two one-sided differences disagree: the step crossed
    /// a ReLU kink and no derivative exists to compare against.
    func numeric(_ plus: Double, _ zero: Double, _ minus: Double) -> Double? {
        let forward = (plus - zero) / Double(h), backward = (zero - minus) / Double(h)
        if abs(forward - backward) > 0.05 * (abs(forward) + abs(backward)) + 1e-2 { kinks += 1; return nil }
        return (plus - minus) / Double(2 * h)
    }
    func probe(_ analytic: Float, _ numeric: Double?, _ label: String) {
        guard let numeric else { return }
        let err = abs(Double(analytic) - numeric) / (abs(numeric) + abs(Double(analytic)) + 0.05)
        if err > worst { worst = err; worstAt = "\(label): analytic \(analytic) numeric \(numeric)" }
    }
    let f0 = f(x, params)
    let xProbes = min(probes, x.count), pProbes = min(probes, params.count)
    for _ in 0..<xProbes {
        let i = rng.index(below: x.count)
        var xp = x, xm = x
        xp[i] += h; xm[i] -= h
        probe(dx[i], numeric(f(xp, params), f0, f(xm, params)), "x[\(i)]")
    }
    for _ in 0..<pProbes {
        let i = rng.index(below: params.count)
        var pp = params, pm = params
        pp[i] += h; pm[i] -= h
        probe(dp[i], numeric(f(x, pp), f0, f(x, pm)), "θ[\(i)]")
    }
    // Kinks are rare; many of them would mean the check compared almost nothing.
    if kinks * 5 > xProbes + pProbes { return (1, "\(kinks) of \(xProbes + pProbes) probes hit kinks") }
    return (worst, worstAt)
}
