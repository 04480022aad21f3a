import ArgumentParser
import Engine
import Foundation

@main
struct LatentBook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latentbook",
        abstract: "Literate autoencoder notebooks, and the engine that trains them.",
        version: engineVersion,
        subcommands: [Run.self, RenderReport.self, Check.self, Cells.self, Directives.self, Train.self, Bench.self])
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
