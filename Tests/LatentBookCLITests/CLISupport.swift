import Foundation
import ReportModel

/// The built `latentbook` binary, next to the test bundle in the build directory.
let latentbookBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    .appendingPathComponent("latentbook").path

struct Run {
    let status: Int32
    let stdout: String
    let stderr: String
}

func latentbook(_ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil) throws -> Run {
    try runProcess(latentbookBinary, arguments, environment: environment, in: directory)
}

/// Runs a program to completion (in `directory`, if given) and collects its exit status and output.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil) throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes to the end before waiting, so a chatty child never blocks on a full pipe.
    let errData = Collected()
    let errReader = Thread { errData.data = err.fileHandleForReading.readDataToEndOfFile() }
    errReader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errReader.isFinished { usleep(1000) }
    return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
               stderr: String(decoding: errData.data, as: UTF8.self))
}

/// Written by the reader thread, read only after it has finished.
private final class Collected: @unchecked Sendable { var data = Data() }

/// Real MNIST, when this machine has it: $LATENTBOOK_DATA (the Makefile sets it) or data/.
let dataDirectory: String? = {
    if let env = ProcessInfo.processInfo.environment["LATENTBOOK_DATA"], !env.isEmpty { return env }
    return FileManager.default.fileExists(atPath: "data/mnist") ? "data" : nil
}()

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("latentbook-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
