import COpenBLAS

/// The only door to OpenBLAS. Row-major single-precision GEMM:
/// C(m×n) = alpha · op(A)(m×k) · op(B)(k×n) + beta · C.
public enum BLAS {
    public static func sgemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// The kernel family OpenBLAS chose for this CPU ("Haswell", "SkylakeX", ...).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// Threads OpenBLAS may use inside one call. The trainer splits work across cores itself and
    /// keeps this at 1; the sgemm benchmark raises it to measure the machine's multi-thread rate.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }
}
