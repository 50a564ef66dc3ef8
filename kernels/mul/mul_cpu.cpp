// CPU reference for mul: one plain loop, b indexed modulo its size (suffix broadcasting).
#include "core/dispatch.h"
#include "kernels/mul/mul.h"

namespace xlm {

void mul_forward_cpu(const Tensor& a, const Tensor& b, Tensor& out) {
  XLM_DISPATCH_CPU_FLOAT(a.dtype(), "mul", [&](auto tag) {
    using T = decltype(tag);
    const T* pa = static_cast<const T*>(a.data_ptr());  // (n,) viewed as (n / nb, nb)
    const T* pb = static_cast<const T*>(b.data_ptr());  // (nb,)
    T* po = static_cast<T*>(out.data_ptr());            // (n,)
    const int64_t n = a.numel(), nb = b.numel();
    for (int64_t i = 0; i < n; ++i) po[i] = pa[i] * pb[i % nb];
  });
}

}  // namespace xlm
