import Datasets
import Foundation
import ReportModel

/// A fresh directory under the system temp dir, removed when the test's scope ends.
final class TempDir: Sendable {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("latentbook-ds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` at `name` (subdirectories created) and returns the file's URL.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file
    }
}

/// An IDX file of unsigned bytes: magic, big-endian dims, payload.
func idx(magic: UInt32, dims: [Int], payload: [UInt8]) -> [UInt8] {
    func bigEndian(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
    return bigEndian(magic) + dims.flatMap { bigEndian(UInt32($0)) } + payload
}

/// Three 2×2 images with pixel values 0…11, and their labels.
let sampleImages = idx(magic: 0x803, dims: [3, 2, 2], payload: Array(0..<12))
let sampleLabels = idx(magic: 0x801, dims: [3], payload: [7, 0, 9])

/// gzip-compresses with the system gzip (an independent encoder, so the tests do not just
/// check zlib against itself).
func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
    let dir = try TempDir()
    let file = try dir.write("raw", bytes)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-c", "-n", file.path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    precondition(process.terminationStatus == 0, "gzip failed")
    return [UInt8](data)
}

/// The data directory for tests that need the real files; they are skipped when it is unset.
let realDataDirectory = ProcessInfo.processInfo.environment["LATENTBOOK_DATA"]

extension DatasetError {
    /// The error as a command reports it (the CLI writes the `error: ` prefix; tables here keep it).
    var reported: String { "error: \(self)" }
}
