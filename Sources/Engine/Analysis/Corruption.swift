/// Where `squareMask` puts each image's square.
public enum MaskPositions: Sendable, Equatable {
    /// A top-left corner drawn uniformly among those where the square fits, independently per image.
    case random
    /// The same top-left corner for every image.
    case fixed(y: Int, x: Int)
}

/// Covers a size×size square of every image (all channels) with `fill`, for inpainting.
/// images: `count × height × width × channels` NHWC. Returns the masked copy and each image's
/// top-left corner. A random position draws y then x per image from `rng`.
public func squareMask(images: [Float], count: Int, height: Int, width: Int, channels: Int, size: Int,
                       positions: MaskPositions, fill: Float = 0,
                       rng: inout SeededGenerator) throws(AnalysisError) -> (masked: [Float], corners: [(y: Int, x: Int)]) {
    guard count >= 0, height >= 1, width >= 1, channels >= 1 else {
        throw .imageShape(count: count, height: height, width: width, channels: channels)
    }
    guard images.count == count * height * width * channels else {
        throw .imageCount(values: images.count, count: count, height: height, width: width, channels: channels)
    }
    guard (1...min(height, width)).contains(size) else { throw .maskSize(size: size, height: height, width: width) }
    if case let .fixed(y, x) = positions, !(0...(height - size)).contains(y) || !(0...(width - size)).contains(x) {
        throw .maskCorner(y: y, x: x, size: size, height: height, width: width)
    }
    var masked = images
    var corners: [(y: Int, x: Int)] = []
    corners.reserveCapacity(count)
    let imageSize = height * width * channels
    for image in 0..<count {
        let corner: (y: Int, x: Int)
        switch positions {
        case .random:
            let y = rng.index(below: height - size + 1)
            corner = (y, rng.index(below: width - size + 1))
        case let .fixed(y, x):
            corner = (y, x)
        }
        corners.append(corner)
        for y in corner.y..<(corner.y + size) {
            let rowStart = image * imageSize + (y * width + corner.x) * channels
            for i in rowStart..<(rowStart + size * channels) { masked[i] = fill }
        }
    }
    return (masked, corners)
}

/// x + σ·N(0, 1) for every value, for denoising; clipped to [0, 1] when `clip`, so the input stays a
/// valid image. One normal draw per value, in order, whatever σ, so a seed gives the same noise
/// pattern at every level.
public func gaussianNoise(images: [Float], sigma: Double, clip: Bool,
                          rng: inout SeededGenerator) throws(AnalysisError) -> [Float] {
    guard sigma.isFinite, sigma >= 0 else { throw .noiseSigma(sigma) }
    return images.map { x in
        let noisy = Float(Double(x) + sigma * rng.normal())
        return clip ? min(max(noisy, 0), 1) : noisy
    }
}
