// CPU reference for GELU: plain loops, std::erf, the formula as written.
#include "core/dispatch.h"
#include "kernels/gelu/gelu.h"

#include <cmath>

namespace xlm {

void gelu_forward_cpu(const Tensor& x, Tensor& y) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "gelu", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());
    T* py = static_cast<T*>(y.data_ptr());
    const int64_t n = x.numel();
    for (int64_t i = 0; i < n; ++i) py[i] = T(0.5) * px[i] * (T(1) + std::erf(px[i] / std::sqrt(T(2))));
  });
}

void gelu_backward_cpu(const Tensor& x, const Tensor& grad_y, Tensor& grad_x) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "gelu_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());
    const T* pg = static_cast<const T*>(grad_y.data_ptr());
    T* po = static_cast<T*>(grad_x.data_ptr());
    const T inv_sqrt_2pi = T(0.3989422804014327);
    const int64_t n = x.numel();
    for (int64_t i = 0; i < n; ++i) {
      const T cdf = T(0.5) * (T(1) + std::erf(px[i] / std::sqrt(T(2))));
      const T pdf = inv_sqrt_2pi * std::exp(T(-0.5) * px[i] * px[i]);
      po[i] = pg[i] * (cdf + px[i] * pdf);
    }
  });
}

}  // namespace xlm
