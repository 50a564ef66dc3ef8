// CPU reference for add and for the suffix reduction: plain loops; b is
// indexed modulo its size (suffix broadcasting, walked row by row so the inner
// loop vectorises), column sums accumulate in f64 in row order. The f32 loops
// are XLM_VEC_CLONES functions (AVX-512 or AVX2 where the CPU has it): the
// same operations per element in any vector width, so the same bits.
#include "core/dispatch.h"
#include "core/vec_math.h"
#include "kernels/add/add.h"

#include <vector>

namespace xlm {

namespace {

// out (n,) = a (n,) + b repeated: n is a multiple of nb.
template <typename T>
[[gnu::always_inline]] inline void add_rows(const T* a, const T* b, T* out, int64_t n, int64_t nb) {
  for (int64_t row = 0; row < n; row += nb)  // one pass over b per row: no division per element
    for (int64_t j = 0; j < nb; ++j) out[row + j] = a[row + j] + b[j];
}

// acc (cols,) += the rows of g (rows, cols), in row order.
template <typename T>
[[gnu::always_inline]] inline void sum_rows(const T* g, double* acc, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) acc[c] += static_cast<double>(g[r * cols + c]);
}

XLM_VEC_CLONES void add_rows_f32(const float* a, const float* b, float* out, int64_t n, int64_t nb) {
  add_rows(a, b, out, n, nb);
}
XLM_VEC_CLONES void sum_rows_f32(const float* g, double* acc, int64_t rows, int64_t cols) {
  sum_rows(g, acc, rows, cols);
}
void add_rows_any(const float* a, const float* b, float* out, int64_t n, int64_t nb) { add_rows_f32(a, b, out, n, nb); }
void add_rows_any(const double* a, const double* b, double* out, int64_t n, int64_t nb) { add_rows(a, b, out, n, nb); }
void sum_rows_any(const float* g, double* acc, int64_t rows, int64_t cols) { sum_rows_f32(g, acc, rows, cols); }
void sum_rows_any(const double* g, double* acc, int64_t rows, int64_t cols) { sum_rows(g, acc, rows, cols); }

}  // namespace

void add_forward_cpu(const Tensor& a, const Tensor& b, Tensor& out) {
  XLM_DISPATCH_CPU_FLOAT(a.dtype(), "add", [&](auto tag) {
    using T = decltype(tag);
    const T* pa = static_cast<const T*>(a.data_ptr());  // (n,) viewed as (n / nb, nb)
    const T* pb = static_cast<const T*>(b.data_ptr());  // (nb,)
    T* po = static_cast<T*>(out.data_ptr());            // (n,)
    const int64_t n = a.numel(), nb = b.numel();
    if (n == 0 || nb == 0) return;
    add_rows_any(pa, pb, po, n, nb);
  });
}

void sum_to_suffix_cpu(const Tensor& g, Tensor& out) {
  XLM_DISPATCH_CPU_FLOAT(g.dtype(), "sum_to_suffix", [&](auto tag) {
    using T = decltype(tag);
    const int64_t cols = out.numel();
    if (cols == 0) return;
    const int64_t rows = g.numel() / cols;
    const T* pg = static_cast<const T*>(g.data_ptr());  // (rows, cols)
    T* po = static_cast<T*>(out.data_ptr());            // (cols,)
    std::vector<double> acc(static_cast<size_t>(cols), 0.0);  // (cols,)
    sum_rows_any(pg, acc.data(), rows, cols);
    for (int64_t c = 0; c < cols; ++c) po[c] = static_cast<T>(acc[static_cast<size_t>(c)]);
  });
}

}  // namespace xlm
