// Splits a CPU loop over the engine's threads. The CPU twins of the
// elementwise and row-wise ops (dropout, GELU, layer norm, softmax,
// cross-entropy, the optimizer) are a large share of a CPU training step, and
// only GEMMs (OpenBLAS) used more than one core. OpenMP (GCC's libgomp) does
// the fork-join; this header keeps the pragma and the "too small to split"
// rule in one place. The split is static and depends only on n, grain and the
// thread count, and every chunk covers whole items, so a loop whose items are
// independent (elements, or rows reduced by one thread each) gives bit-identical
// results for any number of threads. Builds without OpenMP run the same code
// on one thread.
//
// Thread count: OMP_NUM_THREADS (libgomp reads it; OpenBLAS reads it too when
// OPENBLAS_NUM_THREADS is unset), default the number of cores: one knob for
// both pools (docs/performance.md).
#pragma once

#include <algorithm>
#include <cstdint>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace xlm {

// Threads parallel_for may use here: 1 inside a parallel region or without OpenMP.
inline int cpu_threads() {
#if defined(_OPENMP)
  return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
  return 1;
#endif
}

// Calls fn(begin, end) on disjoint chunks that cover [0, n), each at least
// `grain` items long (except when n itself is shorter): one chunk per thread,
// so on one thread, or when n < 2 * grain, it is fn(0, n) on the caller.
// Pick `grain` so that a chunk is worth a thread wake-up (tens of
// microseconds of work). fn must not throw.
template <typename F>
void parallel_for(int64_t n, int64_t grain, F&& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t chunks = std::min<int64_t>(cpu_threads(), n / grain);
  if (chunks <= 1) {
    fn(int64_t{0}, n);
    return;
  }
#if defined(_OPENMP)
#pragma omp parallel for num_threads(static_cast<int>(chunks)) schedule(static, 1)
  for (int64_t c = 0; c < chunks; ++c) fn(n * c / chunks, n * (c + 1) / chunks);
#endif
}

}  // namespace xlm
