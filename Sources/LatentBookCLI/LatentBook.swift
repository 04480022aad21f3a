import ArgumentParser
import Engine
import Foundation

@main
struct LatentBook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latentbook",
        abstract: "Literate autoencoder notebooks, and the engine that trains them.",
        version: engineVersion,
        subcommands: [Run.self, Check.self, Cells.self, Directives.self, Train.self, Bench.self])
}


/// Runs `body`, turning our typed errors into `error: …` lines and exit status 1 (ArgumentParser's
/// own validation errors pass through untouched and keep its usual formatting).
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        var text = "\(error)"
        if !text.hasPrefix("error:") { text = "error: " + text }
        FileHandle.standardError.write(Data((text + "\n").utf8))
        throw ExitCode.failure
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// reader sees the old file or the new one, never half of one.
func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let dir = url.deletingLastPathComponent()
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let temp = dir.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
    do {
        try Data(bytes).write(to: temp)
        guard rename(temp.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    } catch {
        try? FileManager.default.removeItem(at: temp)
        throw SaveError(path: path, reason: error.localizedDescription)
    }
}

struct SaveError: Error, CustomStringConvertible {
    let path: String, reason: String
    var description: String { "error: cannot write \(path): \(reason)" }
}
