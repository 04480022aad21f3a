// oneDNN (Debian's libdnnl-dev; no pkg-config file, so the module map names the library).
#include <oneapi/dnnl/dnnl.h>

// oneDNN is built on OpenMP (libgomp). The engine decides per calling thread how many threads a
// oneDNN call may use; these are libgomp's own entry points, declared here because gcc's omp.h
// is not on clang's include path.
extern void omp_set_num_threads(int);
extern int omp_get_max_threads(void);
