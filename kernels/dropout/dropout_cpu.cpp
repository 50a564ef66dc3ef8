// CPU reference for dropout: one Philox draw per element, in flat order, with
// the same keep test and scale as the CUDA twin (core/philox.h is the shared
// definition of the random stream).
#include "core/dispatch.h"
#include "core/philox.h"
#include "kernels/dropout/dropout.h"

namespace xlm {

void dropout_forward_cpu(const Tensor& x, float threshold, double scale, uint64_t seed, uint64_t offset, Tensor& y) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());
    T* py = static_cast<T*>(y.data_ptr());
    const T s = static_cast<T>(scale);
    const int64_t n = x.numel();
    for (int64_t i = 0; i < n; ++i)
      py[i] = philox_uniform(seed, offset + static_cast<uint64_t>(i)) > threshold ? px[i] * s : T(0);
  });
}

void dropout_mask_cpu(float threshold, uint64_t seed, uint64_t offset, Tensor& mask) {
  uint8_t* m = mask.data<uint8_t>();
  const int64_t n = mask.numel();
  for (int64_t i = 0; i < n; ++i) m[i] = philox_uniform(seed, offset + static_cast<uint64_t>(i)) > threshold ? 1 : 0;
}

}  // namespace xlm
