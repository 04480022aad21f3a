import Foundation

/// Makes Ctrl-C (SIGINT) and SIGTERM end the process at once with a short note on stderr and the
/// shell's usual status (130, 143). Nothing is unwound: every file is written through a temp file
/// and rename(2), so stopping at any instant leaves the cache, checkpoints and reports whole, and
/// the next run continues from what was finished. Call it first in a command's `run()`.
///
/// A plain sigaction(2) handler rather than a Dispatch signal source: the handler runs inside the
/// signal, so no signal can arrive while it is being set up and be lost, and it does not wait for
/// a queue thread on a busy machine. It calls only write(2) and _exit(2), both async-signal-safe.
func installInterruptHandler() {
    // Measured once here: isatty in the handler would not be on POSIX's async-signal-safe list.
    interruptClearsLine = isatty(STDERR_FILENO) == 1
    var handled = sigset_t()
    sigemptyset(&handled)
    for signal in [SIGINT, SIGTERM] {
        var previous = sigaction()
        guard sigaction(signal, nil, &previous) == 0 else { continue }
        // An ignored signal stays ignored: that is how shells keep Ctrl-C from background jobs.
        if unsafeBitCast(previous.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
            continue
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = onInterrupt
        sigfillset(&action.sa_mask)
        if sigaction(signal, &action, nil) == 0 { sigaddset(&handled, signal) }
    }
    // A parent can start us with them blocked (Foundation's Process passes on the mask of the
    // dispatch thread that starts it); they would then wait forever. Unblocked after the handler
    // is in place, so one already pending ends the run now.
    pthread_sigmask(SIG_UNBLOCK, &handled, nil)
    // Past a file-size limit (ulimit -f) write(2) then fails with EFBIG, which is reported with
    // the file's name like a full disk, instead of the signal killing the process mid-write.
    signal(SIGXFSZ, SIG_IGN)
}

/// Set before the handler is installed and never written again.
nonisolated(unsafe) private var interruptClearsLine = false

private func onInterrupt(_ signal: Int32) {
    if interruptClearsLine {
        let clear: StaticString = "\r\u{1B}[K"  // the progress line and the terminal's "^C" echo
        _ = write(STDERR_FILENO, clear.utf8Start, clear.utf8CodeUnitCount)
    }
    let message: StaticString = "interrupted: finished cells and epochs are kept; run again to continue\n"
    _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
    _exit(128 + signal)
}
