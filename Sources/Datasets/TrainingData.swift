import Engine

/// The engine trains on any `TrainingData`; an image set is one, read by index each batch.
extension ImageSet: TrainingData {
    public var sampleShape: [Int] { [height, width, channels] }

    public func fill(_ indices: ArraySlice<Int>, into: UnsafeMutablePointer<Float>) {
        fillBatch(self, indices: indices, into: UnsafeMutableBufferPointer(start: into, count: indices.count * imageSize))
    }
}
