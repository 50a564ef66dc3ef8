// See blas_threads.h: why OpenBLAS always runs on one thread here. The check is
// repeated on every call (an integer read) rather than done once, so a caller
// that changed OpenBLAS's thread count meanwhile (a test, an embedding
// program) cannot bring the second pool back.
#include "kernels/matmul/blas_threads.h"

#include "xlm/config.h"

#if XLM_WITH_BLAS
#include <cblas.h>
#endif

namespace xlm {

void use_one_blas_thread() {
#if XLM_WITH_BLAS && defined(OPENBLAS_VERSION)
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
#endif
}

}  // namespace xlm
