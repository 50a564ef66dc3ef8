// CPU reference for scale_by: the factor is read from its one element (host
// memory here, so no copy), cast to the tensor's precision, then one plain
// loop; a factor of exactly 1 leaves x as it is without touching it.
#include "core/dispatch.h"
#include "kernels/scale_by/scale_by.h"

#include <cstring>

namespace xlm {

void scale_by_forward_cpu(const Tensor& x, const Tensor& factor, Tensor& y) {
  const double f = XLM_DISPATCH_CPU_FLOAT(factor.dtype(), "scale_by", [&](auto tag) {
    using F = decltype(tag);
    return static_cast<double>(*static_cast<const F*>(factor.data_ptr()));
  });
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "scale_by", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());  // (n,)
    T* py = static_cast<T*>(y.data_ptr());              // (n,)
    const T a = static_cast<T>(f);
    const int64_t n = x.numel();
    if (a == T(1)) {
      if (py != px) std::memcpy(py, px, static_cast<size_t>(n) * sizeof(T));
      return;
    }
    for (int64_t i = 0; i < n; ++i) py[i] = px[i] * a;
  });
}

}  // namespace xlm
