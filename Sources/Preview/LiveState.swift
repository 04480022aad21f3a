import Foundation
import Notebook

/// What an open page shows of a notebook beyond its last render: the page's version, the errors
/// of the file as last saved, and the cells that are queued, running or ended without a result.
/// The server sends it whole on every change (it is small), so every browser converges on the
/// same state, and one that connects late gets it at once.
public struct LiveNotebook: Codable, Sendable, Equatable {
    public var slug: String
    /// Bumped on every render of the page; a page older than this fetches the new one.
    public var version: Int
    /// The saved file's problems: errors keep the last good render on the page under them.
    public var problems: [LiveProblem]
    /// By cell name; cells whose result is on the page have no entry.
    public var cells: [String: LiveCell]
}

public struct LiveProblem: Codable, Sendable, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    public var severity: String
    public var message: String
    public var hint: String?

    init(_ d: Diagnostic) {
        file = d.file; line = d.location.line; column = d.location.column
        severity = d.severity.rawValue; message = d.message; hint = d.hint
    }
}

public struct LiveCell: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case queued, running, failed, skipped, stopped
    }
    public var state: State
    /// The running replica of a repeated cell: "ae (seed 2 of 3)".
    public var label: String?
    /// One line for the reader: the training step, the failure, why it was skipped.
    public var text: String
    /// Finished epochs of the running training: the loss curve that grows in the page.
    public var epochs: [LiveEpoch] = []
    /// How many epochs the training runs (the curve's x range).
    public var totalEpochs: Int?
}

public struct LiveEpoch: Codable, Sendable, Equatable {
    public var epoch: Int
    public var loss: Double
    public var validationLoss: Double?
}

/// One Server-Sent Events message: `event: notebook` with the state as JSON.
func eventMessage(_ live: LiveNotebook) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    // A diverging training's loss is not a JSON number; the page shows the string.
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let json = (try? encoder.encode(live)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    return "event: notebook\ndata: \(json)\n\n"
}
