extension Model {
    /// `encoder` gives the codes (a VAE's z_mean), `distribution` a VAE's [z_mean | z_log_var] rows.
    public enum Part: Sendable { case encoder, distribution, decoder, autoencoder }

    /// Runs part of the model on `count` samples. input: count × (image floats, or latent for the
    /// decoder) → count × (latent, 2 × latent, or image floats with the output activation applied).
    /// A VAE runs deterministically: the decoder of `autoencoder` gets z_mean.
    /// Chunks of `chunk` samples are spread over `threads` threads, each with its own workspace.
    public func run(_ part: Part, params: [Float], input: [Float], count: Int, threads: Int = 1, chunk: Int = 256) -> [Float] {
        let range: Range<Int>, inWidth: Int, outWidth: Int
        switch part {
        case .encoder: (range, inWidth, outWidth) = (0..<encoderCount, inputCount, spec.latent)
        case .distribution:
            precondition(variational, "only a VAE's encoder gives a distribution")
            (range, inWidth, outWidth) = (0..<encoderCount, inputCount, encoderWidth)
        case .decoder: (range, inWidth, outWidth) = (encoderCount..<layers.count, spec.latent, inputCount)
        case .autoencoder: (range, inWidth, outWidth) = (0..<layers.count, inputCount, inputCount)
        }
        precondition(input.count == count * inWidth && params.count == parameterCount)
        var output = [Float](repeating: 0, count: count * outWidth)
        guard count > 0 else { return output }
        let chunks = (count + chunk - 1) / chunk
        let workers = max(1, min(threads, chunks))
        let workspaces = (0..<workers).map { _ in Workspace(model: self, capacity: min(chunk, count), training: false) }
        let activate = part == .encoder || part == .distribution ? Activation.linear : outputActivation
        // A VAE's encoder writes 2L per row; `encoder` keeps the first L (z_mean).
        let rowWidth = part == .encoder ? encoderWidth : outWidth
        params.withUnsafeBufferPointer { p in
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { outBuffer in
                    let y = outBuffer.baseAddress!
                    parallelFor(workers) { w in
                        for c in stride(from: w, to: chunks, by: workers) {
                            let lo = c * chunk, n = min(chunk, count - lo)
                            let ws = workspaces[w]
                            ws.loadInput(count: n) { $0.update(from: x.baseAddress! + lo * inWidth, count: n * inWidth) }
                            ws.infer(self, range, params: p.baseAddress!, batch: n) { out in
                                activate.apply(out, count: n * rowWidth)
                                for r in 0..<n { (y + (lo + r) * outWidth).update(from: out + r * rowWidth, count: outWidth) }
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}
