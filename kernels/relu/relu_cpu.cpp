// CPU reference for ReLU: plain loops over the flat buffer, the formula as written.
#include "core/dispatch.h"
#include "kernels/relu/relu.h"

namespace xlm {

void relu_forward_cpu(const Tensor& x, Tensor& y) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "relu", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());
    T* py = static_cast<T*>(y.data_ptr());
    const int64_t n = x.numel();
    for (int64_t i = 0; i < n; ++i) py[i] = px[i] > T(0) ? px[i] : T(0);
  });
}

void relu_backward_cpu(const Tensor& x, const Tensor& grad_y, Tensor& grad_x) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "relu_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());
    const T* pg = static_cast<const T*>(grad_y.data_ptr());
    T* po = static_cast<T*>(grad_x.data_ptr());
    const int64_t n = x.numel();
    for (int64_t i = 0; i < n; ++i) po[i] = px[i] > T(0) ? pg[i] : T(0);
  });
}

}  // namespace xlm
