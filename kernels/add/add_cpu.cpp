// CPU reference for add and for the suffix reduction: plain loops; b is
// indexed modulo its size (suffix broadcasting, walked row by row so the inner
// loop vectorises), column sums accumulate in f64.
#include "core/dispatch.h"
#include "kernels/add/add.h"

#include <vector>

namespace xlm {

void add_forward_cpu(const Tensor& a, const Tensor& b, Tensor& out) {
  XLM_DISPATCH_CPU_FLOAT(a.dtype(), "add", [&](auto tag) {
    using T = decltype(tag);
    const T* pa = static_cast<const T*>(a.data_ptr());  // (n,) viewed as (n / nb, nb)
    const T* pb = static_cast<const T*>(b.data_ptr());  // (nb,)
    T* po = static_cast<T*>(out.data_ptr());            // (n,)
    const int64_t n = a.numel(), nb = b.numel();
    if (n == 0 || nb == 0) return;
    for (int64_t row = 0; row < n; row += nb)  // one pass over b per row: no division per element
      for (int64_t j = 0; j < nb; ++j) po[row + j] = pa[row + j] + pb[j];
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
    std::vector<double> acc(static_cast<size_t>(cols), 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) acc[static_cast<size_t>(c)] += static_cast<double>(pg[r * cols + c]);
    for (int64_t c = 0; c < cols; ++c) po[c] = static_cast<T>(acc[static_cast<size_t>(c)]);
  });
}

}  // namespace xlm
