// CPU reference for scale: one plain loop in the tensor's precision.
#include "core/dispatch.h"
#include "kernels/scale/scale.h"

namespace xlm {

void scale_forward_cpu(const Tensor& x, double alpha, Tensor& y) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "scale", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());
    T* py = static_cast<T*>(y.data_ptr());
    const T a = static_cast<T>(alpha);
    const int64_t n = x.numel();
    for (int64_t i = 0; i < n; ++i) py[i] = a * px[i];
  });
}

}  // namespace xlm
