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
        precondition(status == dnnl_success, "dnnl_sgemm(\(m)×\(n)×\(k)) failed: \(status)")
    }

    /// The instruction set oneDNN dispatches to on this CPU ("AVX-512", "AVX2", ...).
    public static var coreName: String { OneDNN.isaName }

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

public enum OneDNN {
    /// "2.6.3": the library actually loaded.
    public static var version: String {
        let v = dnnl_version().pointee
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// The widest instruction set oneDNN's kernels use here.
    public static var isaName: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx512_core_amx: "AVX-512 + AMX"
        case dnnl_cpu_isa_avx512_core_bf16: "AVX-512 (core, VNNI, BF16)"
        case dnnl_cpu_isa_avx512_core_vnni: "AVX-512 (core, VNNI)"
        case dnnl_cpu_isa_avx512_core: "AVX-512 (core)"
        case dnnl_cpu_isa_avx2_vnni: "AVX2 + VNNI"
        case dnnl_cpu_isa_avx2: "AVX2"
        case dnnl_cpu_isa_avx: "AVX"
        case dnnl_cpu_isa_sse41: "SSE4.1"
        default: "unknown"
        }
    }
}
