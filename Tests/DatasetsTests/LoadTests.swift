import Datasets
import Foundation
import Testing

@Test func missingDatasetFileMessage() throws {
    let dir = try TempDir()
    for (kind, name) in [(DatasetKind.mnist, "MNIST"), (.fashionMNIST, "Fashion-MNIST")] {
        let error = #expect(throws: DatasetError.self) { try ImageSet.load(kind, split: .train, from: dir.url) }
        let sub = "\(dir.path)/\(kind.rawValue)"
        #expect(error?.reported == """
            error: missing data file \(sub)/train-images-idx3-ubyte.gz (\(name) training images)
            hint: copy the canonical \(name) IDX files into \(sub)/ (from ../shared/data/\(kind.rawValue) on the course machines, or the original \(name) distribution), or point --data / LATENTBOOK_DATA at a directory that has them
            """)
    }
}

@Test(arguments: [0, -3])
func invalidLimitMessage(_ limit: Int) throws {
    let dir = try TempDir()
    let error = #expect(throws: DatasetError.self) { try ImageSet.load(.mnist, split: .test, from: dir.url, limit: limit) }
    #expect(error?.reported == """
        error: invalid image limit \(limit): expected at least 1
        hint: pass a positive number of images, or no limit to load the whole split
        """)
}

@Test func canonicalChecksumsCoverEveryFile() {
    #expect(DataChecksum.canonical.count == 8)
    for kind in DatasetKind.allCases {
        for split in [Split.train, .test] {
            let images = ExpectedFile.canonical(kind, split: split, kind: .images)
            let labels = ExpectedFile.canonical(kind, split: split, kind: .labels)
            let count = split == .train ? 60_000 : 10_000
            #expect(images.checksum?.size == 16 + count * 28 * 28)
            #expect(labels.checksum?.size == 8 + count)
        }
    }
    #expect(ExpectedFile.canonical(.fashionMNIST, split: .test, kind: .labels).title == "Fashion-MNIST test labels")
}

/// Tests on the real files run only when LATENTBOOK_DATA points at them (the Makefile sets it).
@Suite(.enabled(if: realDataDirectory != nil, "set LATENTBOOK_DATA to the directory with mnist/ and fashion-mnist/"))
struct RealData {
    let dir = URL(fileURLWithPath: realDataDirectory ?? "", isDirectory: true)

    func histogram(_ labels: [UInt8]) -> [Int] {
        labels.reduce(into: Array(repeating: 0, count: 10)) { $0[Int($1)] += 1 }
    }

    @Test func mnistSplits() throws {
        let train = try ImageSet.load(.mnist, split: .train, from: dir)
        #expect(train.count == 60_000 && train.height == 28 && train.width == 28 && train.channels == 1)
        #expect(train.pixels.count == 60_000 * 784)
        #expect(train.labels.prefix(8) == [5, 0, 4, 1, 9, 2, 1, 3])
        #expect(train.pixels.min() == 0 && train.pixels.max() == 255)
        #expect(train.sources == Array(DataChecksum.canonical[0..<2]))
        #expect(train.name == "mnist-train")

        let test = try ImageSet.load(.mnist, split: .test, from: dir)
        #expect(test.count == 10_000)
        #expect(histogram(test.labels) == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])

        let all = try ImageSet.load(.mnist, split: .all, from: dir)
        #expect(all.count == 70_000)
        #expect(all.labels == train.labels + test.labels && all.pixels == train.pixels + test.pixels)
        #expect(all.sources == Array(DataChecksum.canonical[0..<4]))
        #expect(all.ids == Array(0..<70_000))
    }

    @Test func limitKeepsTheFirstImagesInFileOrder() throws {
        let test = try ImageSet.load(.mnist, split: .test, from: dir)
        let first = try ImageSet.load(.mnist, split: .test, from: dir, limit: 100)
        #expect(first.count == 100 && first.labels == Array(test.labels[..<100]))
        #expect(first.pixels == Array(test.pixels[..<(100 * 784)]))
        // Within the training file, `all` never needs the test files.
        #expect(try ImageSet.load(.mnist, split: .all, from: dir, limit: 10).sources.count == 2)
        #expect(try ImageSet.load(.mnist, split: .all, from: dir, limit: 60_001).labels.last == test.labels[0])
    }

    @Test func fashionMNISTTest() throws {
        let test = try ImageSet.load(.fashionMNIST, split: .test, from: dir)
        #expect(test.count == 10_000 && test.height == 28 && test.width == 28)
        #expect(histogram(test.labels) == Array(repeating: 1_000, count: 10))
        #expect(test.labels.prefix(4) == [9, 2, 1, 1])
        #expect(test.sources == Array(DataChecksum.canonical[6..<8]))
    }

    /// A copy of the test labels in a scratch data directory, gzipped as distributed.
    func scratchCopy() throws -> TempDir {
        let scratch = try TempDir()
        for name in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            try scratch.write("mnist/" + name, [UInt8](Data(contentsOf: dir.appendingPathComponent("mnist/" + name))))
        }
        return scratch
    }

    @Test func uncompressedFileIsPreferredOverGzip() throws {
        let scratch = try scratchCopy()
        #expect(try ImageSet.load(.mnist, split: .test, from: scratch.url).count == 10_000)
        try scratch.write("mnist/t10k-labels-idx1-ubyte", Array("garbage".utf8))
        let error = #expect(throws: DatasetError.self) { try ImageSet.load(.mnist, split: .test, from: scratch.url) }
        #expect(error?.reported.hasPrefix("""
            error: \(scratch.path)/mnist/t10k-labels-idx1-ubyte (MNIST test labels) is not an IDX labels file
            """) == true)
    }

    @Test func alteredCopyFailsTheCanonicalChecksum() throws {
        let scratch = try scratchCopy()
        let labels = try IDXFile.read(
            dir.appendingPathComponent("mnist/t10k-labels-idx1-ubyte.gz"),
            expected: .canonical(.mnist, split: .test, kind: .labels))
        var payload = labels.payload
        payload[0] = 1  // a structurally valid file with one label changed
        try scratch.write("mnist/t10k-labels-idx1-ubyte", idx(magic: 0x801, dims: [10_000], payload: payload))
        let error = #expect(throws: DatasetError.self) { try ImageSet.load(.mnist, split: .test, from: scratch.url) }
        let path = "\(scratch.path)/mnist/t10k-labels-idx1-ubyte"
        #expect(error?.reported.hasPrefix("""
            error: checksum mismatch for \(path) (MNIST test labels): expected uncompressed SHA-256 ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2 (10008 bytes), found
            """) == true)
        #expect(error?.reported.hasSuffix("""
            hint: the file is damaged or not the canonical one; copy the canonical MNIST IDX files into \(scratch.path)/mnist/ (from ../shared/data/mnist on the course machines, or the original MNIST distribution), or point --data / LATENTBOOK_DATA at a directory that has them
            """) == true)
    }
}
