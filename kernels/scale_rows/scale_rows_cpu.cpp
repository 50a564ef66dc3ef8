// CPU reference for scale_rows: x viewed as (rows, C); plain loops, and the
// row dot products of the scale's gradient accumulated in double.
#include "core/dispatch.h"
#include "kernels/scale_rows/scale_rows.h"

namespace xlm {

void scale_rows_forward_cpu(const Tensor& x, const Tensor& row_scale, Tensor& y) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "scale_rows", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());          // (rows, C)
    const T* ps = static_cast<const T*>(row_scale.data_ptr());  // (rows,)
    T* py = static_cast<T*>(y.data_ptr());                      // (rows, C)
    const int64_t cols = x.size(-1);
    const int64_t rows = row_scale.numel();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) py[r * cols + c] = px[r * cols + c] * ps[r];
  });
}

void scale_rows_grad_scale_cpu(const Tensor& x, const Tensor& grad_y, Tensor& grad_scale) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "scale_rows_grad_scale", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());       // (rows, C)
    const T* pg = static_cast<const T*>(grad_y.data_ptr());  // (rows, C)
    T* po = static_cast<T*>(grad_scale.data_ptr());          // (rows,)
    const int64_t cols = x.size(-1);
    const int64_t rows = grad_scale.numel();
    for (int64_t r = 0; r < rows; ++r) {
      double acc = 0;
      for (int64_t c = 0; c < cols; ++c) acc += static_cast<double>(pg[r * cols + c]) * px[r * cols + c];
      po[r] = static_cast<T>(acc);
    }
  });
}

}  // namespace xlm
