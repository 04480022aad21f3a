import Foundation
import ReportModel

/// Images with their labels, stored as bytes in NHWC order (one contiguous array, so batches
/// are gathered by index without copying the set).
public struct ImageSet: Sendable {
    public let name: String
    public let height: Int, width: Int, channels: Int
    public var count: Int { labels.count }
    /// `count × height × width × channels` bytes, image after image.
    public let pixels: [UInt8]
    public let labels: [UInt8]
    /// Palette index of each image's foreground color, for colorized sets.
    public let colors: [UInt8]?
    /// Each image's position in the loaded split (train then test for `all`). It travels with
    /// the image through `subset` and `prefix`, so per-image draws such as colorizing follow the
    /// image, not its current position.
    public let ids: [Int]
    /// Checksums of the files the images came from, for cache keys.
    public let sources: [DataChecksum]

    /// Bytes per image.
    public var imageSize: Int { height * width * channels }

    public init(
        name: String, height: Int, width: Int, channels: Int, pixels: [UInt8], labels: [UInt8],
        colors: [UInt8]? = nil, ids: [Int]? = nil, sources: [DataChecksum] = []
    ) {
        precondition(height > 0 && width > 0 && channels > 0)
        precondition(pixels.count == labels.count * height * width * channels, "pixels must be count×h×w×c bytes")
        precondition(colors == nil || colors!.count == labels.count)
        precondition(ids == nil || ids!.count == labels.count)
        self.name = name
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = pixels
        self.labels = labels
        self.colors = colors
        self.ids = ids ?? Array(labels.indices)
        self.sources = sources
    }

    /// Pairs an images file with its labels file.
    public init(images: IDXFile, labels: IDXFile, name: String) throws(DatasetError) {
        precondition(images.dims.count == 3 && labels.dims.count == 1, "read with IDXKind.images and .labels")
        guard images.dims[0] == labels.dims[0] else {
            throw .countMismatch(
                images: images.path, imageCount: images.dims[0], labels: labels.path, labelCount: labels.dims[0],
                dataset: images.expected.dataset)
        }
        self.init(
            name: name, height: images.dims[1], width: images.dims[2], channels: 1, pixels: images.payload,
            labels: labels.payload, sources: [images.checksum, labels.checksum])
    }

    /// Loads a split from `<dir>/<kind>/`, verifying every file against its canonical checksum.
    /// `limit` keeps the first N images in file order (for `all`, train before test).
    public static func load(
        _ kind: DatasetKind, split: Split, from dir: URL, limit: Int? = nil
    ) throws(DatasetError) -> ImageSet {
        if let limit, limit < 1 { throw .invalidLimit(limit) }
        var set: ImageSet?
        for part in split == .all ? [Split.train, .test] : [split] {
            // A limit inside the training file means the test file contributes nothing.
            if let set, let limit, set.count >= limit { break }
            let loaded = try ImageSet(
                images: read(kind, part, .images, from: dir), labels: read(kind, part, .labels, from: dir),
                name: "\(kind.rawValue)-\(split.rawValue)")
            set = set.map { $0.appending(loaded) } ?? loaded
        }
        return set!.prefix(limit ?? set!.count)
    }

    /// Reads the uncompressed file if present (faster), else the `.gz`; a missing file is
    /// reported under its `.gz` name, the form the data is distributed in.
    private static func read(
        _ kind: DatasetKind, _ split: Split, _ idx: IDXKind, from dir: URL
    ) throws(DatasetError) -> IDXFile {
        let expected = ExpectedFile.canonical(kind, split: split, kind: idx)
        let raw = dir.appendingPathComponent(expected.checksum!.file)
        let url = FileManager.default.fileExists(atPath: raw.path) ? raw : raw.appendingPathExtension("gz")
        return try IDXFile.read(url, expected: expected)
    }

    private func appending(_ other: ImageSet) -> ImageSet {
        precondition(other.height == height && other.width == width && other.channels == channels)
        return ImageSet(
            name: name, height: height, width: width, channels: channels, pixels: pixels + other.pixels,
            labels: labels + other.labels, colors: colors.flatMap { c in other.colors.map { c + $0 } },
            ids: ids + other.ids.map { $0 + count }, sources: sources + other.sources)
    }

    /// The images at `indices`, in that order.
    public func subset(_ indices: some Collection<Int>) -> ImageSet {
        var newPixels = [UInt8]()
        newPixels.reserveCapacity(indices.count * imageSize)
        for i in indices {
            precondition(i >= 0 && i < count, "image index out of range")
            newPixels.append(contentsOf: pixels[i * imageSize..<(i + 1) * imageSize])
        }
        return ImageSet(
            name: name, height: height, width: width, channels: channels, pixels: newPixels,
            labels: indices.map { labels[$0] }, colors: colors.map { c in indices.map { c[$0] } },
            ids: indices.map { ids[$0] }, sources: sources)
    }

    /// The first `n` images (all of them if there are fewer).
    public func prefix(_ n: Int) -> ImageSet {
        precondition(n >= 0)
        let n = min(n, count)
        if n == count { return self }
        return ImageSet(
            name: name, height: height, width: width, channels: channels, pixels: Array(pixels[..<(n * imageSize)]),
            labels: Array(labels[..<n]), colors: colors.map { Array($0[..<n]) }, ids: Array(ids[..<n]),
            sources: sources)
    }
}
