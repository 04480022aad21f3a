import Datasets
import Testing

@Test func epochOrderIsASeededPermutation() {
    let order = EpochOrder(count: 1_000, seed: 42)
    let first = order.permutation(epoch: 0)
    #expect(first.sorted() == Array(0..<1_000))
    #expect(first != Array(0..<1_000))
    #expect(first == EpochOrder(count: 1_000, seed: 42).permutation(epoch: 0))
    #expect(first != order.permutation(epoch: 1))
    #expect(first != EpochOrder(count: 1_000, seed: 43).permutation(epoch: 0))
    #expect(EpochOrder(count: 0, seed: 1).permutation(epoch: 0).isEmpty)
    #expect(EpochOrder(count: 1, seed: 1).permutation(epoch: 0) == [0])
}

@Test func batchesCoverTheEpochKeepingThePartialLastBatch() {
    let order = EpochOrder(count: 70, seed: 7)
    let batches = order.batches(epoch: 3, batch: 32)
    #expect(batches.map(\.count) == [32, 32, 6])
    #expect(Array(batches.joined()) == order.permutation(epoch: 3))
}

@Test(arguments: [(60_000, 100, 600), (70_000, 128, 547), (10, 3, 4), (5, 5, 1), (4, 5, 1), (0, 5, 0)])
func batchCounts(_ count: Int, _ batch: Int, _ expected: Int) {
    #expect(batchCount(count: count, batch: batch) == expected)
}

@Test func fillBatchWritesBytesOver255InIndexOrder() {
    let pixels = (0..<5 * 6).map { UInt8($0 * 8 + 7) }
    let set = ImageSet(name: "s", height: 1, width: 2, channels: 3, pixels: pixels, labels: [0, 1, 2, 3, 4])
    let indices = [4, 0, 2]
    var buffer = [Float](repeating: -1, count: 4 * 6)  // one image more than needed
    buffer.withUnsafeMutableBufferPointer { fillBatch(set, indices: indices, into: $0) }
    let expected = indices.flatMap { i in pixels[i * 6..<(i + 1) * 6].map { Float($0) / 255 } }
    #expect(Array(buffer[..<18]) == expected)
    #expect(buffer[18...].allSatisfy { $0 == -1 })

    var slice = [Float](repeating: 0, count: 6)
    slice.withUnsafeMutableBufferPointer { fillBatch(set, indices: [1, 2, 3][1..<2], into: $0) }
    #expect(slice == pixels[12..<18].map { Float($0) / 255 })
}

@Test func fillBatchCoversTheByteRangeExactly() {
    let set = ImageSet(name: "s", height: 16, width: 16, channels: 1, pixels: (0...255).map(UInt8.init), labels: [0])
    var buffer = [Float](repeating: 0, count: 256)
    buffer.withUnsafeMutableBufferPointer { fillBatch(set, indices: [0], into: $0) }
    #expect(buffer.first == 0 && buffer.last == 1)
    #expect(buffer == (0...255).map { Float($0) / 255 })
}
