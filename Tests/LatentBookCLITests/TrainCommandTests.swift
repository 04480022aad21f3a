import Engine
import Foundation
import ReportModel
import Testing

struct BadFlags: Sendable, CustomTestStringConvertible {
    let arguments: [String]
    let status: Int32
    let firstLine: String
    var testDescription: String { arguments.joined(separator: " ") }
}

@Test("bad flags and settings get their errors", arguments: [
    BadFlags(arguments: ["train", "--epochs", "0"], status: 64, firstLine: "Error: --epochs must be at least 1"),
    BadFlags(arguments: ["train", "--latent", "0"], status: 64, firstLine: "Error: --latent must be at least 1"),
    BadFlags(arguments: ["train", "--batch", "0"], status: 64, firstLine: "Error: --batch must be at least 1"),
    BadFlags(arguments: ["train", "--threads", "0"], status: 64, firstLine: "Error: --threads must be at least 1"),
    BadFlags(arguments: ["train", "--lr", "0"], status: 64, firstLine: "Error: --lr must be a positive number"),
    BadFlags(arguments: ["train", "--loss", "hinge"], status: 64,
             firstLine: "Error: The value 'hinge' is invalid for '--loss <loss>'. Please provide one of 'bce' and 'mse'."),
    BadFlags(arguments: ["train", "--epoch", "3"], status: 64, firstLine: "Error: Unknown option '--epoch'. Did you mean '--epochs'?"),
    BadFlags(arguments: ["train", "--data", "/nonexistent/latentbook-data"], status: 2,
             firstLine: "error: data directory /nonexistent/latentbook-data given by --data does not exist or is not a directory"),
])
func badFlags(_ c: BadFlags) throws {
    let run = try latentbook(c.arguments)
    #expect(run.status == c.status)
    #expect(run.stderr.split(separator: "\n").first.map(String.init) == c.firstLine, "\(run.stderr)")
}

@Test(.enabled(if: dataDirectory != nil, "needs MNIST: set LATENTBOOK_DATA"))
func unknownArchitectureIsAnErrorBeforeTraining() throws {
    let run = try latentbook(["train", "--arch", "resnet", "--limit", "10", "--data", dataDirectory!])
    #expect(run.status == 2)
    #expect(run.stderr == "error: unknown architecture 'resnet'\nhint: the presets are baseline, deep, dense, residual\n")
}

/// 2,000 real MNIST images, 2 epochs: the loss must fall clearly; then the checkpoint resumes.
@Test(.enabled(if: dataDirectory != nil, "needs MNIST: set LATENTBOOK_DATA"))
func trainsOnMNISTSavesAndResumes() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let save = dir.appendingPathComponent("model.safetensors").path
    let common = ["train", "--limit", "2000", "--batch", "64", "--seed", "3", "--threads", "2", "--data", dataDirectory!, "--save", save]
    let first = try latentbook(common + ["--epochs", "2"])
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stdout.contains("Model: \"encoder\"") && first.stdout.contains(" Total params: 65,089 (254.25 KB)"))
    #expect(first.stdout.contains("oneDNN \(OneDNN.isaName)"))
    let losses = epochLosses(first.stdout)
    #expect(losses.count == 2)
    #expect(losses[1] < 0.85 * losses[0], "\(losses)")

    let checkpoint = try Checkpoint(SafeTensors(decoding: [UInt8](Data(contentsOf: URL(fileURLWithPath: save)))))
    #expect(checkpoint.state.history.map(\.loss).map { formatFixed($0, 4) } == losses.map { formatFixed($0, 4) })
    #expect(checkpoint.state.step == 2 * 32 && checkpoint.notes["seed"] == "3")

    let resumed = try latentbook(common + ["--epochs", "3"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(resumed.stdout.contains("resuming \(save) after epoch 2"))
    #expect(epochLosses(resumed.stdout).count == 1)
    let after = try Checkpoint(SafeTensors(decoding: [UInt8](Data(contentsOf: URL(fileURLWithPath: save)))))
    #expect(after.state.history.count == 3 && after.state.step == 3 * 32)

    // A different model at the same path is refused, and the file is left alone.
    let other = try latentbook(common.map { $0 == "3" ? "4" : $0 } + ["--epochs", "3"])
    #expect(other.status == 2)
    #expect(other.stderr == "error: \(save) holds a checkpoint of a different model, data or settings\nhint: remove it or choose another --save path\n")
    #expect(try Checkpoint(SafeTensors(decoding: [UInt8](Data(contentsOf: URL(fileURLWithPath: save))))) == after)
}

func epochLosses(_ stdout: String) -> [Double] {
    stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") }.compactMap { line in
        line.split(separator: " ").firstIndex(of: "loss").flatMap { i in Double(line.split(separator: " ")[i + 1]) }
    }
}
