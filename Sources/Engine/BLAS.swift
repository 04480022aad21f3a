import CDNNL

/// The only door to oneDNN's GEMM. Row-major single-precision GEMM:
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
        let status = dnnl_sgemm(transA ? 84 : 78, transB ? 84 : 78,  // "T" / "N"
                                dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k), alpha, a, dnnl_dim_t(lda),
                                b, dnnl_dim_t(ldb), beta, c, dnnl_dim_t(ldc))
        OneDNN.check(status, "dnnl_sgemm(\(m)×\(n)×\(k))")
    }

    /// Threads oneDNN may use inside one call made from the calling thread (an OpenMP setting of
    /// that thread). The trainer splits work across cores itself and keeps this at 1; the sgemm
    /// benchmark raises it to measure the machine's multi-thread rate.
    public static var threads: Int {
        get { Int(omp_get_max_threads()) }
        set { omp_set_num_threads(Int32(newValue)) }
    }

    /// Makes the calling thread's oneDNN calls single-threaded (cheap when it already is).
    static func useOneThreadPerCall() {
        if omp_get_max_threads() != 1 { omp_set_num_threads(1) }
    }
}
