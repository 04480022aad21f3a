import Crypto
import Foundation
import ReportModel

/// One parsed IDX file of unsigned bytes (the format of MNIST and Fashion-MNIST).
public struct IDXFile: Sendable {
    public let path: String
    public let expected: ExpectedFile
    /// Big-endian dimensions from the header: [count] for labels, [count, rows, cols] for images.
    public let dims: [Int]
    /// The data after the header, exactly `dims.reduce(1, *)` bytes.
    public let payload: [UInt8]
    /// Of the whole uncompressed file, header included (the published checksums cover that).
    public let checksum: DataChecksum

    /// Reads `url`, gunzipping it when the name ends in `.gz`, and checks the structure and,
    /// if `expected.checksum` is set, the SHA-256 of the uncompressed bytes.
    public static func read(_ url: URL, expected: ExpectedFile) throws(DatasetError) -> IDXFile {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(path: path, file: expected) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadableFile(path: path, file: expected)
        }

        let gzipped = url.pathExtension == "gz"
        let name = (gzipped ? url.deletingPathExtension() : url).lastPathComponent
        return try parse(data, expected: expected, gzipped: gzipped, path: path, name: name)
    }

    /// The in-memory form of `read`: `bytes` are the file's contents (gzip-compressed when
    /// `gzipped`), `path` is what errors name and `name` the checksum's file name when
    /// `expected.checksum` is nil. Checks exactly what `read` checks.
    public static func parse(
        bytes: [UInt8], expected: ExpectedFile, gzipped: Bool = false, path: String = "<memory>", name: String? = nil
    ) throws(DatasetError) -> IDXFile {
        try parse(Data(bytes), expected: expected, gzipped: gzipped, path: path, name: name ?? path)
    }

    private static func parse(
        _ data: Data, expected: ExpectedFile, gzipped: Bool, path: String, name: String
    ) throws(DatasetError) -> IDXFile {
        let bytes: [UInt8]
        if gzipped {
            do { bytes = try Gzip.decompress(data, sizeHint: expected.checksum?.size) } catch {
                throw .corruptGzip(path: path, file: expected, reason: error.reason)
            }
        } else {
            bytes = [UInt8](data)
        }

        func bigEndian(at offset: Int) -> UInt32 {
            bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        guard bytes.count >= 4 else {
            throw .truncatedHeader(path: path, file: expected, needed: 4, found: bytes.count)
        }
        let magic = bigEndian(at: 0)
        guard magic == expected.kind.rawValue else { throw .wrongMagic(path: path, file: expected, found: magic) }
        let rank = Int(magic & 0xFF), headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw .truncatedHeader(path: path, file: expected, needed: headerSize, found: bytes.count)
        }
        let dims = (0..<rank).map { Int(bigEndian(at: 4 + 4 * $0)) }
        // Garbage headers can declare absurd shapes; an overflowing product just means "too big".
        let needed = dims.reduce(1) { total, d in
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            return overflow ? Int.max : product
        }
        guard bytes.count - headerSize == needed else {
            throw .wrongPayloadSize(
                path: path, file: expected, dims: dims, needed: needed, found: bytes.count - headerSize)
        }
        // ImageSet needs images of at least 1×1 pixel whose size is an Int, even when there are none.
        if expected.kind == .images, dims[1] < 1 || dims[2] < 1 || dims[1].multipliedReportingOverflow(by: dims[2]).overflow {
            throw .invalidImageShape(path: path, file: expected, rows: dims[1], columns: dims[2])
        }

        let sha256 = hex(SHA256.hash(data: bytes))
        if let want = expected.checksum, want.sha256 != sha256 || want.size != bytes.count {
            throw .checksumMismatch(path: path, file: expected, foundSHA256: sha256, foundSize: bytes.count)
        }
        let file = expected.checksum?.file ?? name
        return IDXFile(
            path: path, expected: expected, dims: dims, payload: Array(bytes[headerSize...]),
            checksum: DataChecksum(file: file, sha256: sha256, size: bytes.count))
    }
}
