import Engine
import Foundation

/// Training progress: a self-overwriting step line on a terminal (at most ~10 per second), and
/// one line per epoch everywhere.
final class ProgressPrinter {
    private let terminal = isatty(STDERR_FILENO) == 1
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var drawn = false

    func handle(_ event: TrainingEvent) {
        switch event {
        case let .step(epoch, epochs, step, steps, loss, rate, eta):
            guard terminal, step == steps || ContinuousClock.now - lastDraw > .milliseconds(100) else { return }
            lastDraw = ContinuousClock.now
            let line = "epoch \(epoch)/\(epochs)  step \(step)/\(steps)  loss \(formatFixed(loss, 4))  "
                + "\(grouped(Int(rate))) img/s  ETA \(duration(eta))"
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            drawn = true
        case .epochEnd(let r):
            if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); drawn = false }
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
