import ArgumentParser
import Engine
import Foundation

@main
struct LatentBook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latentbook",
        abstract: "Literate autoencoder notebooks, and the engine that trains them.",
        version: engineVersion,
        subcommands: [Run.self, RenderReport.self, PreviewNotebooks.self, Check.self, Cells.self, Directives.self, Train.self, Bench.self])
}


/// Exit statuses, the same for every command (docs/robustness.md):
///
///     0    everything asked for was done
///     1    the notebook has errors: diagnostics, failed or skipped cells (what could be done,
///          reports included, was written)
///     2    the command could not do its job: a file it must read is missing or unreadable, a
///          directory it must write to is not writable, a checkpoint is for another model
///     64   the command line is wrong (ArgumentParser's usage errors)
///     130  interrupted by Ctrl-C (143 by SIGTERM); finished work is kept
enum ExitStatus {
    static let notebookErrors = ExitCode(1)
    static let cannotRun = ExitCode(2)
}

/// Runs `body`, turning our errors into `error: …` lines (with their `hint:`) and exit status 2
/// (ArgumentParser's own validation errors pass through untouched and keep its usual formatting
/// and status 64). No error words its own `error:`: this is the one place that writes it.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data(("error: \(error)\n").utf8))
        throw ExitStatus.cannotRun
    }
}
