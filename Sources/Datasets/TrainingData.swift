import Engine

/// The engine trains on any `TrainingData`; an image set is one, read by index each batch.
extension ImageSet: TrainingData {
    public var sampleShape: [Int] { [height, width, channels] }

    public func fill(_ indices: ArraySlice<Int>, into: UnsafeMutablePointer<Float>) {
        fillBatch(self, indices: indices, into: UnsafeMutableBufferPointer(start: into, count: indices.count * imageSize))
    }
}

extension ImageSet {
    /// The images at `indices` (all by default) as NHWC Float32 in [0, 1].
    public func floats(_ indices: some Collection<Int>) -> [Float] {
        var out = [Float](repeating: 0, count: indices.count * imageSize)
        out.withUnsafeMutableBufferPointer { fillBatch(self, indices: indices, into: $0) }
        return out
    }

    public var floats: [Float] { floats(0..<count) }
}
