import Engine
import Foundation

/// `train`'s progress: the step line on a terminal, one line per epoch everywhere.
final class ProgressPrinter {
    private let line = ProgressLine()

    func handle(_ event: TrainingEvent) {
        switch event {
        case let .step(epoch, epochs, step, steps, loss, rate, eta):
            line.show("epoch \(epoch)/\(epochs)  step \(step)/\(steps)  loss \(formatFixed(loss, 4))  "
                      + "\(grouped(Int(rate))) img/s  ETA \(duration(eta))", force: step == steps)
        case .epochEnd(let r):
            line.clear()
            print("epoch \(r.epoch): loss \(formatFixed(r.loss, 4))  \(formatFixed(r.seconds, 1)) s  \(grouped(Int(r.imagesPerSecond))) img/s")
            fflush(nil)  // epoch lines must not wait in a pipe buffer behind a long epoch
        }
    }
}

/// 95 → "1m35s", 3725 → "1h02m"
func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
}
