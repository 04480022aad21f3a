import Engine

/// The shuffled image order for each epoch. Batches are consecutive slices of the order, so an
/// epoch costs one index array, never a copy of the images.
public struct EpochOrder: Sendable {
    public let count: Int
    public let seed: UInt64

    public init(count: Int, seed: UInt64) {
        precondition(count >= 0)
        self.count = count
        self.seed = seed
    }

    /// A permutation of 0..<count (Fisher–Yates) that depends only on (seed, epoch).
    public func permutation(epoch: Int) -> [Int] {
        var g = SeededGenerator(seed: seed, stream: "shuffle-\(epoch)")
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, g.index(below: i + 1))
        }
        return order
    }

    /// The epoch's batches in order; the last one is smaller when `batch` does not divide the
    /// count (kept, as Keras does).
    public func batches(epoch: Int, batch: Int) -> [ArraySlice<Int>] {
        let order = permutation(epoch: epoch)
        return (0..<batchCount(count: count, batch: batch)).map { b in
            order[b * batch..<min((b + 1) * batch, count)]
        }
    }
}

/// Number of batches of size `batch` covering `count` images, counting a partial last batch.
public func batchCount(count: Int, batch: Int) -> Int {
    precondition(batch > 0 && count >= 0)
    return (count + batch - 1) / batch
}

/// `byte / 255` for every byte value: exact, and cheaper than dividing per pixel.
let unitIntensity: [Float] = (0...255).map { Float($0) / 255 }

/// Writes the images at `indices` into `buffer` as NHWC Float32 in [0, 1] (byte / 255).
/// The buffer must hold at least `indices.count × imageSize` floats; only that prefix is written.
public func fillBatch(_ set: ImageSet, indices: some Collection<Int>, into buffer: UnsafeMutableBufferPointer<Float>) {
    let size = set.imageSize
    precondition(buffer.count >= indices.count * size, "batch buffer too small")
    unitIntensity.withUnsafeBufferPointer { table in
        set.pixels.withUnsafeBufferPointer { pixels in
            var offset = 0
            for i in indices {
                precondition(i >= 0 && i < set.count, "image index out of range")
                let source = i * size
                for p in 0..<size { buffer[offset + p] = table[Int(pixels[source + p])] }
                offset += size
            }
        }
    }
}
