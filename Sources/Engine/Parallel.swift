import Dispatch

/// Runs body(0), …, body(n − 1) on up to n threads and returns when all are done.
/// The body may capture buffer pointers: it cannot outlive this synchronous call, which the
/// compiler cannot prove for concurrentPerform's @Sendable closure, hence the unchecked box.
/// Each index must touch memory no other index writes. Every oneDNN call made by the body runs on
/// its own thread only (the OpenMP setting is per thread): the cores are shared out here.
public func parallelFor(_ n: Int, _ body: (Int) -> Void) {
    if n <= 1 { if n == 1 { BLAS.useOneThreadPerCall(); body(0) }; return }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: n) { BLAS.useOneThreadPerCall(); box.value($0) }
    }
}

private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
