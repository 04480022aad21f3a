/// The two datasets LatentBook ships loaders for; the raw value is the subdirectory name.
public enum DatasetKind: String, CaseIterable, Sendable {
    case mnist
    case fashionMNIST = "fashion-mnist"

    /// The name used in messages: "MNIST", "Fashion-MNIST".
    public var displayName: String {
        switch self {
        case .mnist: "MNIST"
        case .fashionMNIST: "Fashion-MNIST"
        }
    }
}

/// Which part of a dataset to load. `all` is train followed by test: the 70,000 images the
/// Keras VAE example trains on.
public enum Split: String, CaseIterable, Sendable {
    case train, test, all
}

/// The two kinds of IDX file the datasets use; the raw value is the file's magic number
/// (unsigned bytes, with 1 or 3 dimensions).
public enum IDXKind: UInt32, Sendable {
    case labels = 0x0000_0801
    case images = 0x0000_0803

    var noun: String { self == .images ? "images" : "labels" }
}

/// Checksum of one file's *uncompressed* contents. `file` is relative to the data directory
/// (no `.gz`), so the value is the same wherever the data lives and can go into cache keys.
public struct DataChecksum: Sendable, Hashable {
    public var file: String
    public var sha256: String
    public var size: Int

    public init(file: String, sha256: String, size: Int) {
        self.file = file
        self.sha256 = sha256
        self.size = size
    }

    /// The published MNIST and Fashion-MNIST files. Hard-coded rather than read from the data
    /// directory, so a damaged or substituted copy cannot vouch for itself.
    public static let canonical: [DataChecksum] = [
        .init(file: "mnist/train-images-idx3-ubyte",
              sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", size: 47_040_016),
        .init(file: "mnist/train-labels-idx1-ubyte",
              sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", size: 60_008),
        .init(file: "mnist/t10k-images-idx3-ubyte",
              sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", size: 7_840_016),
        .init(file: "mnist/t10k-labels-idx1-ubyte",
              sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", size: 10_008),
        .init(file: "fashion-mnist/train-images-idx3-ubyte",
              sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", size: 47_040_016),
        .init(file: "fashion-mnist/train-labels-idx1-ubyte",
              sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", size: 60_008),
        .init(file: "fashion-mnist/t10k-images-idx3-ubyte",
              sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", size: 7_840_016),
        .init(file: "fashion-mnist/t10k-labels-idx1-ubyte",
              sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", size: 10_008),
    ]
}

/// What a file should be: used to check it and to word errors about it.
public struct ExpectedFile: Sendable, Equatable {
    /// Human description for messages, e.g. "MNIST training images".
    public var title: String
    /// Selects the "how to get the files" hint; nil for files outside the two datasets.
    public var dataset: DatasetKind?
    public var kind: IDXKind
    /// Required checksum of the uncompressed contents; nil skips the check.
    public var checksum: DataChecksum?

    public init(title: String, dataset: DatasetKind?, kind: IDXKind, checksum: DataChecksum?) {
        self.title = title
        self.dataset = dataset
        self.kind = kind
        self.checksum = checksum
    }

    /// The canonical file for one part (`train` or `test`) of a dataset.
    public static func canonical(_ dataset: DatasetKind, split: Split, kind: IDXKind) -> ExpectedFile {
        precondition(split != .all, "`all` is made of the train and test files")
        let stem = (split == .train ? "train" : "t10k") + (kind == .images ? "-images-idx3-ubyte" : "-labels-idx1-ubyte")
        let file = "\(dataset.rawValue)/\(stem)"
        let checksum = DataChecksum.canonical.first { $0.file == file }!
        return ExpectedFile(
            title: "\(dataset.displayName) \(split == .train ? "training" : "test") \(kind.noun)",
            dataset: dataset, kind: kind, checksum: checksum)
    }
}
