// Out-of-place a + b for gradient accumulation inside the autograd walker.
// It lives in core (not kernels/add) because the tape must not depend on the
// layer above it; kernels/add is the user-facing, broadcasting, recorded op.
#include "core/autograd.h"
#include "core/dispatch.h"
#include "xlm/config.h"

namespace xlm::autograd {

#if XLM_WITH_CUDA
Tensor add_same_shape_cuda(const Tensor& a, const Tensor& b);  // core/grad_accumulate_cuda.cu
#endif

Tensor add_same_shape(const Tensor& a, const Tensor& b) {
  check_shape(b, a.shape(), "gradient accumulation", "b");
  check_same_dtype(a, b, "gradient accumulation");
  check_same_device(a, b, "gradient accumulation");
  if (a.device().is_cuda()) {
#if XLM_WITH_CUDA
    return add_same_shape_cuda(a, b);
#endif
  }
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  XLM_DISPATCH_CPU_FLOAT(a.dtype(), "gradient accumulation", [&](auto tag) {
    using T = decltype(tag);
    const T* pa = static_cast<const T*>(a.data_ptr());
    const T* pb = static_cast<const T*>(b.data_ptr());
    T* po = static_cast<T*>(out.data_ptr());
    const int64_t n = a.numel();
    for (int64_t i = 0; i < n; ++i) po[i] = pa[i] + pb[i];
  });
  return out;
}

}  // namespace xlm::autograd
