// CPU reference for the last-dim max: a left-to-right scan that replaces the
// best only on a strictly better value, which is what makes ties go to the
// lowest index; the first NaN, once seen, is never replaced.
#include "core/dispatch.h"
#include "kernels/max_last/max_last.h"

#include <cmath>

namespace xlm {

void max_last_forward_cpu(const Tensor& x, Tensor& values, Tensor& indices) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "max_last", [&](auto tag) {
    using T = decltype(tag);
    const int64_t rows = values.numel();
    const int64_t cols = x.size(-1);
    const T* px = static_cast<const T*>(x.data_ptr());  // (rows, cols)
    T* pv = static_cast<T*>(values.data_ptr());         // (rows,)
    int64_t* pi = indices.data<int64_t>();              // (rows,)
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = px + r * cols;
      int64_t best = 0;
      for (int64_t c = 1; c < cols; ++c) {
        const bool better = std::isnan(row[c]) ? !std::isnan(row[best]) : row[c] > row[best];
        if (better) best = c;
      }
      pv[r] = row[best];
      pi[r] = best;
    }
  });
}

void max_last_backward_cpu(const Tensor& indices, const Tensor& grad_values, Tensor& grad_x) {
  XLM_DISPATCH_CPU_FLOAT(grad_x.dtype(), "max_last_backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t rows = grad_values.numel();
    const int64_t cols = grad_x.size(-1);
    const int64_t* pi = indices.data<int64_t>();                   // (rows,)
    const T* pg = static_cast<const T*>(grad_values.data_ptr());  // (rows,)
    T* po = static_cast<T*>(grad_x.data_ptr());                   // (rows, cols)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) po[r * cols + c] = c == pi[r] ? pg[r] : T(0);
  });
}

}  // namespace xlm
