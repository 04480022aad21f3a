import Datasets
import Foundation
import Testing

private let testImages = ExpectedFile(title: "test images", dataset: nil, kind: .images, checksum: nil)
private let testLabels = ExpectedFile(title: "test labels", dataset: nil, kind: .labels, checksum: nil)
private let sampleImagesSHA = "96411bb42bfce6e873d9c66df5439c0e3fc743e8411014a602e60f101da36a78"
private let damaged = "hint: the file is damaged or not the expected one; replace it with an intact copy"

@Test func readsRawAndGzippedIDX() throws {
    let dir = try TempDir()
    let raw = try IDXFile.read(dir.write("a.idx", sampleImages), expected: testImages)
    let gz = try IDXFile.read(dir.write("a.idx.gz", gzip(sampleImages)), expected: testImages)
    for file in [raw, gz] {
        #expect(file.dims == [3, 2, 2])
        #expect(file.payload == Array(0..<12))
        #expect(file.checksum == DataChecksum(file: "a.idx", sha256: sampleImagesSHA, size: 28))
    }
    let labels = try IDXFile.read(dir.write("l.idx", sampleLabels), expected: testLabels)
    #expect(labels.dims == [3] && labels.payload == [7, 0, 9])
}

@Test func readsConcatenatedGzipMembers() throws {
    let dir = try TempDir()
    let url = try dir.write("a.idx.gz", gzip(Array(sampleImages[..<20])) + gzip(Array(sampleImages[20...])))
    #expect(try IDXFile.read(url, expected: testImages).payload == Array(0..<12))
}

@Test func gzipOutputLargerThanFirstGuessIsComplete() throws {
    // Highly compressible, with no size hint: the output buffer has to grow several times.
    let payload = (0..<200_000).map { UInt8($0 / 5_000) }
    let bytes = idx(magic: 0x803, dims: [100, 40, 50], payload: payload)
    let dir = try TempDir()
    let file = try IDXFile.read(dir.write("big.idx.gz", gzip(bytes)), expected: testImages)
    #expect(file.payload == payload)
}

@Test func acceptsMatchingChecksum() throws {
    let dir = try TempDir()
    let sum = DataChecksum(file: "sample/images", sha256: sampleImagesSHA, size: 28)
    let expected = ExpectedFile(title: "test images", dataset: nil, kind: .images, checksum: sum)
    #expect(try IDXFile.read(dir.write("a.idx.gz", gzip(sampleImages)), expected: expected).checksum == sum)
}

/// A damaged or wrong file and the exact message it must produce ("$DIR" is the temp dir).
struct BadFile: Sendable, CustomTestStringConvertible {
    let testDescription: String
    let file: String
    let kind: IDXKind
    let bytes: @Sendable () throws -> [UInt8]?  // nil: do not create the file
    let message: String
}

private func flipping(_ bytes: [UInt8], at offsets: Range<Int>) -> [UInt8] {
    var copy = bytes
    for i in offsets { copy[i] ^= 0xFF }
    return copy
}

private let badFiles: [BadFile] = [
    BadFile(testDescription: "missing file", file: "a.idx", kind: .images, bytes: { nil }, message: """
        error: missing data file $DIR/a.idx (test images)
        hint: put the IDX file at $DIR/a.idx
        """),
    BadFile(testDescription: "empty file", file: "a.idx", kind: .images, bytes: { [] }, message: """
        error: truncated IDX file $DIR/a.idx (test images): the header needs 4 bytes, found 0
        \(damaged)
        """),
    BadFile(testDescription: "magic cut short", file: "a.idx", kind: .images, bytes: { [0, 0] }, message: """
        error: truncated IDX file $DIR/a.idx (test images): the header needs 4 bytes, found 2
        \(damaged)
        """),
    BadFile(testDescription: "dimensions cut short", file: "a.idx", kind: .images, bytes: { Array(sampleImages[..<10]) }, message: """
        error: truncated IDX file $DIR/a.idx (test images): the header needs 16 bytes, found 10
        \(damaged)
        """),
    BadFile(testDescription: "payload cut short", file: "a.idx", kind: .images, bytes: { sampleImages.dropLast(3) }, message: """
        error: truncated IDX file $DIR/a.idx (test images): dimensions 3×2×2 need 12 bytes after the header, found 9
        \(damaged)
        """),
    BadFile(testDescription: "trailing bytes", file: "a.idx", kind: .images, bytes: { sampleImages + [1, 2, 3] }, message: """
        error: wrong size for IDX file $DIR/a.idx (test images): dimensions 3×2×2 need 12 bytes after the header, found 15
        \(damaged)
        """),
    BadFile(testDescription: "labels read as images", file: "a.idx", kind: .images, bytes: { sampleLabels }, message: """
        error: $DIR/a.idx (test images) is not an IDX images file: expected magic number 0x00000803, found 0x00000801
        \(damaged)
        """),
    BadFile(testDescription: "images read as labels", file: "l.idx", kind: .labels, bytes: { sampleImages }, message: """
        error: $DIR/l.idx (test labels) is not an IDX labels file: expected magic number 0x00000801, found 0x00000803
        \(damaged)
        """),
    BadFile(testDescription: "garbage bytes", file: "a.idx", kind: .images, bytes: { Array("not an IDX file".utf8) }, message: """
        error: $DIR/a.idx (test images) is not an IDX images file: expected magic number 0x00000803, found 0x6e6f7420
        \(damaged)
        """),
    BadFile(testDescription: "absurd dimensions", file: "a.idx", kind: .images,
            bytes: { idx(magic: 0x803, dims: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: [1]) }, message: """
        error: truncated IDX file $DIR/a.idx (test images): dimensions 4294967295×4294967295×4294967295 need 9223372036854775807 bytes after the header, found 1
        \(damaged)
        """),
    BadFile(testDescription: "gzipped, payload cut short", file: "a.idx.gz", kind: .images,
            bytes: { try gzip(sampleImages.dropLast(1)) }, message: """
        error: truncated IDX file $DIR/a.idx.gz (test images): dimensions 3×2×2 need 12 bytes after the header, found 11
        \(damaged)
        """),
    BadFile(testDescription: ".gz name on an uncompressed file", file: "a.idx.gz", kind: .images, bytes: { sampleImages }, message: """
        error: corrupt gzip file $DIR/a.idx.gz (test images): incorrect header check
        \(damaged)
        """),
    BadFile(testDescription: "empty gzip file", file: "a.idx.gz", kind: .images, bytes: { [] }, message: """
        error: corrupt gzip file $DIR/a.idx.gz (test images): compressed data ends early
        \(damaged)
        """),
    BadFile(testDescription: "gzip cut short", file: "a.idx.gz", kind: .images, bytes: { try gzip(sampleImages).dropLast(6) }, message: """
        error: corrupt gzip file $DIR/a.idx.gz (test images): compressed data ends early
        \(damaged)
        """),
    BadFile(testDescription: "gzip CRC corrupted", file: "a.idx.gz", kind: .images,
            bytes: { let gz = try gzip(sampleImages); return flipping(gz, at: gz.count - 8..<gz.count - 7) }, message: """
        error: corrupt gzip file $DIR/a.idx.gz (test images): incorrect data check
        \(damaged)
        """),
    BadFile(testDescription: "gzip length corrupted", file: "a.idx.gz", kind: .images,
            bytes: { let gz = try gzip(sampleImages); return flipping(gz, at: gz.count - 4..<gz.count - 3) }, message: """
        error: corrupt gzip file $DIR/a.idx.gz (test images): incorrect length check
        \(damaged)
        """),
    BadFile(testDescription: "gzip followed by garbage", file: "a.idx.gz", kind: .images,
            bytes: { try gzip(sampleImages) + Array("junk".utf8) }, message: """
        error: corrupt gzip file $DIR/a.idx.gz (test images): incorrect header check
        \(damaged)
        """),
]

@Test(arguments: badFiles)
func badFileMessage(_ bad: BadFile) throws {
    let dir = try TempDir()
    let url = dir.url.appendingPathComponent(bad.file)
    if let bytes = try bad.bytes() { try dir.write(bad.file, bytes) }
    let expected = bad.kind == .images ? testImages : testLabels
    let error = #expect(throws: DatasetError.self) { try IDXFile.read(url, expected: expected) }
    #expect(error?.reported == bad.message.replacingOccurrences(of: "$DIR", with: dir.path))
}

@Test func checksumMismatchNamesBothDigestsAndTheDatasetSource() throws {
    let dir = try TempDir()
    let url = try dir.write("mnist/a.idx", sampleImages)
    let zeros = String(repeating: "0", count: 64)
    let expected = ExpectedFile(
        title: "MNIST test images", dataset: .mnist, kind: .images,
        checksum: DataChecksum(file: "mnist/a.idx", sha256: zeros, size: 28))
    let error = #expect(throws: DatasetError.self) { try IDXFile.read(url, expected: expected) }
    #expect(error?.reported == """
        error: checksum mismatch for \(dir.path)/mnist/a.idx (MNIST test images): expected uncompressed SHA-256 \(zeros) (28 bytes), found \(sampleImagesSHA) (28 bytes)
        hint: the file is damaged or not the canonical one; copy the canonical MNIST IDX files into \(dir.path)/mnist/ (from ../shared/data/mnist on the course machines, or the original MNIST distribution), or point --data / LATENTBOOK_DATA at a directory that has them
        """)
}

@Test func pairsImagesWithLabels() throws {
    let dir = try TempDir()
    let images = try IDXFile.read(dir.write("i.idx", sampleImages), expected: testImages)
    let set = try ImageSet(
        images: images, labels: IDXFile.read(dir.write("l.idx", sampleLabels), expected: testLabels), name: "sample")
    #expect(set.count == 3 && set.height == 2 && set.width == 2 && set.channels == 1)
    #expect(set.labels == [7, 0, 9] && set.pixels == Array(0..<12) && set.colors == nil)
    #expect(set.sources.map(\.file) == ["i.idx", "l.idx"])

    let twoLabels = try IDXFile.read(dir.write("l2.idx", idx(magic: 0x801, dims: [2], payload: [1, 2])), expected: testLabels)
    let error = #expect(throws: DatasetError.self) { try ImageSet(images: images, labels: twoLabels, name: "sample") }
    #expect(error?.reported == """
        error: \(dir.path)/i.idx has 3 images but \(dir.path)/l2.idx has 2 labels
        \(damaged)
        """)
}

@Test func subsetAndPrefix() throws {
    let set = ImageSet(name: "s", height: 1, width: 2, channels: 1, pixels: [0, 1, 10, 11, 20, 21], labels: [0, 1, 2])
    let sub = set.subset([2, 0])
    #expect(sub.pixels == [20, 21, 0, 1] && sub.labels == [2, 0] && sub.count == 2)
    #expect(set.ids == [0, 1, 2] && sub.ids == [2, 0] && sub.subset([1]).ids == [0])
    #expect(set.prefix(2).pixels == [0, 1, 10, 11] && set.prefix(2).labels == [0, 1])
    #expect(set.prefix(5).count == 3)
}

// Found by `make fuzz` (idx target): an images file with no rows or columns parsed, and
// ImageSet(images:labels:) then trapped on its `height > 0 && width > 0` precondition; one whose
// rows × columns overflows Int parsed too (with 0 images) and trapped in `imageSize`.
@Test func rejectsImagesWithoutRowsOrColumns() throws {
    let cases: [(dims: [UInt8], rows: Int, columns: Int)] = [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, 0),
        ([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 28], 0, 28),
        ([0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 0], 28, 0),
        ([0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255], 4_294_967_295, 4_294_967_295),
    ]
    for (dims, rows, columns) in cases {
        let bytes: [UInt8] = [0, 0, 8, 3] + dims
        #expect(throws: DatasetError.invalidImageShape(path: "<memory>", file: testImages, rows: rows, columns: columns)) {
            try IDXFile.parse(bytes: bytes, expected: testImages)
        }
    }
    let labels = try IDXFile.parse(bytes: [0, 0, 8, 1, 0, 0, 0, 0], expected: testLabels)
    #expect(labels.dims == [0])
    let images = try IDXFile.parse(bytes: [0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1], expected: testImages)
    #expect(try ImageSet(images: images, labels: labels, name: "empty").count == 0)
}

@Test func parsesInMemoryLikeRead() throws {
    let dir = try TempDir()
    let read = try IDXFile.read(dir.write("a.idx.gz", gzip(sampleImages)), expected: testImages)
    let parsed = try IDXFile.parse(
        bytes: gzip(sampleImages), expected: testImages, gzipped: true, path: read.path, name: "a.idx")
    #expect(parsed.dims == read.dims && parsed.payload == read.payload && parsed.checksum == read.checksum)
    #expect(parsed.path == read.path)
}
