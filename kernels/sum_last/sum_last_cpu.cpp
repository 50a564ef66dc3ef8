// CPU reference for the last-dim sum: one f64 accumulator per row, so the f32
// path differs from the f64 one only by the final rounding.
#include "core/dispatch.h"
#include "kernels/sum_last/sum_last.h"

namespace xlm {

void sum_last_forward_cpu(const Tensor& x, double scale, Tensor& y) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "sum_last", [&](auto tag) {
    using T = decltype(tag);
    const int64_t rows = y.numel();
    const int64_t cols = x.size(-1);
    const T* px = static_cast<const T*>(x.data_ptr());  // (rows, cols)
    T* py = static_cast<T*>(y.data_ptr());              // (rows,)
    for (int64_t r = 0; r < rows; ++r) {
      double acc = 0.0;
      for (int64_t c = 0; c < cols; ++c) acc += static_cast<double>(px[r * cols + c]);
      py[r] = static_cast<T>(acc * scale);
    }
  });
}

void sum_last_backward_cpu(const Tensor& grad_y, double scale, Tensor& grad_x) {
  XLM_DISPATCH_CPU_FLOAT(grad_x.dtype(), "sum_last_backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t rows = grad_y.numel();
    const int64_t cols = grad_x.size(-1);
    const T* pg = static_cast<const T*>(grad_y.data_ptr());  // (rows,)
    T* po = static_cast<T*>(grad_x.data_ptr());              // (rows, cols)
    for (int64_t r = 0; r < rows; ++r) {
      const T v = static_cast<T>(static_cast<double>(pg[r]) * scale);
      for (int64_t c = 0; c < cols; ++c) po[r * cols + c] = v;
    }
  });
}

}  // namespace xlm
