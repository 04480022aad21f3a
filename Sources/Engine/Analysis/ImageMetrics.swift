import Foundation

/// Mean squared difference per image: `count` images of a.count / count values each.
public func perImageMSE(_ a: [Float], _ b: [Float], count: Int) -> [Double] {
    precondition(a.count == b.count && count >= 0 && (count == 0 ? a.isEmpty : a.count % count == 0))
    guard count > 0 else { return [] }
    let size = a.count / count
    return (0..<count).map { image in
        var s = 0.0
        for i in (image * size)..<((image + 1) * size) {
            let d = Double(a[i]) - Double(b[i])
            s += d * d
        }
        return s / Double(size)
    }
}

/// Binary cross-entropy per image with the training loss's per-image definition (see `Loss`):
/// Σ_{h,w} mean_c −[t·log p + (1−t)·log(1−p)], i.e. the sum over all values divided by `channels`,
/// with p clipped to [1e-7, 1 − 1e-7] as Keras does for probabilities. Training with a sigmoid output
/// evaluates the same quantity from logits without clipping, so the two differ only where p is
/// within 1e-7 of 0 or 1.
public func perImageBCE(target: [Float], output: [Float], count: Int, channels: Int) -> [Double] {
    precondition(target.count == output.count && count >= 0 && channels >= 1
                 && (count == 0 ? target.isEmpty : target.count % (count * channels) == 0))
    guard count > 0 else { return [] }
    let size = target.count / count
    return (0..<count).map { image in
        var s = 0.0
        for i in (image * size)..<((image + 1) * size) {
            let t = Double(target[i]), p = min(max(Double(output[i]), 1e-7), 1 - 1e-7)
            s -= t * log(p) + (1 - t) * log(1 - p)
        }
        return s / Double(channels)
    }
}

/// Peak signal-to-noise ratio in dB for images with values in [0, 1]: 10·log10(1 / mse), +∞ for mse = 0.
public func psnr(mse: Double) -> Double {
    mse == 0 ? .infinity : 10 * log10(1 / mse)
}
