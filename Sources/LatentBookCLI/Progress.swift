import Engine
import Foundation
import ReportModel
import Runtime
import ReportModel

/// `train`'s progress: the step line on a terminal, one line per epoch everywhere.
final class ProgressPrinter {
    private let line = ProgressLine()

    func handle(_ event: TrainingEvent) {
        switch event {
        case let .step(epoch, epochs, step, steps, loss, rate, eta, parts):
            line.show("epoch \(epoch)/\(epochs)  step \(step)/\(steps)  \(lossText(loss, parts))  "
                      + "\(grouped(Int(rate))) img/s  ETA \(duration(eta))", force: step == steps)
        case .epochEnd(let r):
            line.clear()
            print("epoch \(r.epoch): \(lossText(r.loss, r.parts))\(validationText(r))  \(formatFixed(r.seconds, 1)) s  \(grouped(Int(r.imagesPerSecond))) img/s")
            fflush(nil)  // epoch lines must not wait in a pipe buffer behind a long epoch
        }
    }
}

/// "loss 170.1234", and a VAE's parts: "loss 170.1234 (reconstruction 164.0012, KL 6.1222)".
func lossText(_ loss: Double, _ parts: LossParts?) -> String {
    "loss \(formatFixed(loss, 4))" + (parts.map { " (reconstruction \(formatFixed($0.reconstruction, 4)), KL \(formatFixed($0.kl, 4)))" } ?? "")
}

/// " val_loss 171.2345" after an epoch evaluated on held-out images, else "".
func validationText(_ r: EpochRecord) -> String {
    r.validationLoss.map { " val_loss \(formatFixed($0, 4))" } ?? ""
}

/// 95 → "1m35s", 3725 → "1h02m"
func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
}

/// A notebook run's events on stderr: a line per cell computed, epoch and warning; the training
/// step as a self-overwriting line on a terminal.
final class EventPrinter {
    private let line = ProgressLine()

    func print(_ event: RunEvent) {
        switch event {
        case let .started(cell, index, count):
            say("[\(index + 1)/\(count)] \(cell.directive) \(cell.label)")
        case let .trainingStep(cell, epoch, epochs, step, steps, loss, rate, eta, parts):
            line.show("  \(cell.label): epoch \(epoch)/\(epochs) step \(step)/\(steps) \(lossText(loss, parts)) "
                      + "\(grouped(Int(rate))) img/s ETA \(Int(eta.rounded()))s")
        case let .epochFinished(cell, r, epochs):
            say("  \(cell.label): epoch \(r.epoch)/\(epochs) \(lossText(r.loss, r.parts))\(validationText(r)) "
                + "\(formatFixed(r.seconds, 1)) s \(grouped(Int(r.imagesPerSecond))) img/s")
        case let .note(_, text):
            say("  " + text)
        case let .failed(cell, at, reason):
            say("\(cell.notebook):\(at.line):\(at.column): error: \(cell.cell): " + reason.replacingOccurrences(of: "\nhint: ", with: "\n  hint: "))
        case .warning(let text):
            say("warning: " + text)
        case .cached, .finished, .skipped:
            break  // the summary line and `run`'s text say these
        }
    }

    func done() { line.clear() }

    private func say(_ text: String) {
        line.clear()
        printError(text)
    }
}
