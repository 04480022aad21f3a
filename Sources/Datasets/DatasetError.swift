import Foundation
import ReportModel

/// Everything that can go wrong finding, reading or using the data. All wording lives here: a
/// message naming the file and what was expected versus found, and a hint saying how to put it right.
public enum DatasetError: UserError, Equatable {
    case dataDirectoryNotFound(path: String, source: DataDirectory.Source)
    case missingFile(path: String, file: ExpectedFile)
    case unreadableFile(path: String, file: ExpectedFile)
    case corruptGzip(path: String, file: ExpectedFile, reason: String)
    case truncatedHeader(path: String, file: ExpectedFile, needed: Int, found: Int)
    case wrongMagic(path: String, file: ExpectedFile, found: UInt32)
    /// `found < needed` is a truncated payload, `found > needed` trailing bytes.
    case wrongPayloadSize(path: String, file: ExpectedFile, dims: [Int], needed: Int, found: Int)
    /// An images file whose rows or columns are 0, or whose image size overflows.
    case invalidImageShape(path: String, file: ExpectedFile, rows: Int, columns: Int)
    case checksumMismatch(path: String, file: ExpectedFile, foundSHA256: String, foundSize: Int)
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int, dataset: DatasetKind?)
    case invalidLimit(Int)
    case invalidBias(Double)

    public var message: String { parts.message }
    public var hint: String? { parts.hint }

    private var parts: (message: String, hint: String) {
        switch self {
        case let .dataDirectoryNotFound(path, source):
            switch source {
            case .option:
                return ("data directory \(path) given by --data does not exist or is not a directory",
                        "pass --data a directory that contains mnist/ and fashion-mnist/")
            case .environment:
                return ("data directory \(path) given by LATENTBOOK_DATA does not exist or is not a directory",
                        "set LATENTBOOK_DATA to a directory that contains mnist/ and fashion-mnist/, or unset it to use data/")
            case .workingDirectory:
                return ("no data directory: \(path) does not exist and neither --data nor LATENTBOOK_DATA is set",
                        "create data/ holding mnist/ and fashion-mnist/ (copy ../shared/data on the course machines), or point --data / LATENTBOOK_DATA at a directory that has them")
            }
        case let .missingFile(path, file):
            return ("missing data file \(path) (\(file.title))", Self.hint(path, file.dataset))
        case let .unreadableFile(path, file):
            return ("cannot read data file \(path) (\(file.title))",
                    "check the file's permissions, or point --data / LATENTBOOK_DATA at a readable copy")
        case let .corruptGzip(path, file, reason):
            return ("corrupt gzip file \(path) (\(file.title)): \(reason)", Self.damagedHint(path, file.dataset))
        case let .truncatedHeader(path, file, needed, found):
            return ("truncated IDX file \(path) (\(file.title)): the header needs \(needed) bytes, found \(found)",
                    Self.damagedHint(path, file.dataset))
        case let .wrongMagic(path, file, found):
            return ("\(path) (\(file.title)) is not an IDX \(file.kind.noun) file: expected magic number "
                    + "0x\(hex(file.kind.rawValue, width: 8)), found 0x\(hex(found, width: 8))", Self.damagedHint(path, file.dataset))
        case let .wrongPayloadSize(path, file, dims, needed, found):
            let shape = dims.map(String.init).joined(separator: "×")
            return ((found < needed ? "truncated IDX file " : "wrong size for IDX file ")
                    + "\(path) (\(file.title)): dimensions \(shape) need \(needed) bytes after the header, found \(found)",
                    Self.damagedHint(path, file.dataset))
        case let .invalidImageShape(path, file, rows, columns):
            return ("IDX file \(path) (\(file.title)) declares \(rows)×\(columns) images: "
                    + "expected at least one row and one column", Self.damagedHint(path, file.dataset))
        case let .checksumMismatch(path, file, foundSHA256, foundSize):
            let expected = file.checksum.map { "\($0.sha256) (\($0.size) bytes)" } ?? "none"
            return ("checksum mismatch for \(path) (\(file.title)): expected uncompressed SHA-256 \(expected), "
                    + "found \(foundSHA256) (\(foundSize) bytes)", Self.damagedHint(path, file.dataset))
        case let .countMismatch(images, imageCount, labels, labelCount, dataset):
            return ("\(images) has \(imageCount) images but \(labels) has \(labelCount) labels", Self.damagedHint(images, dataset))
        case let .invalidLimit(limit):
            return ("invalid image limit \(limit): expected at least 1",
                    "pass a positive number of images, or no limit to load the whole split")
        case let .invalidBias(bias):
            return ("invalid color bias \(bias): expected a number from 0 to 1",
                    "the bias is the probability that a digit is drawn in its class color (0 = random colors, 1 = always the class color)")
        }
    }

    /// How to obtain a dataset's files; names the directory the file was looked for in.
    private static func hint(_ path: String, _ dataset: DatasetKind?) -> String {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path + "/"
        guard let dataset else { return "put the IDX file at \(path)" }
        let name = dataset.displayName
        return "copy the canonical \(name) IDX files into \(dir) (from ../shared/data/\(dataset.rawValue) on the "
            + "course machines, or the original \(name) distribution), or point --data / LATENTBOOK_DATA at a directory that has them"
    }

    private static func damagedHint(_ path: String, _ dataset: DatasetKind?) -> String {
        guard dataset != nil else { return "the file is damaged or not the expected one; replace it with an intact copy" }
        return "the file is damaged or not the canonical one; " + hint(path, dataset)
    }

}
