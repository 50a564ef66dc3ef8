// CPU reference for GELU: elementwise loops over gelu_math's value and
// derivative (vectorised erf/exp for f32, std::erf for the f64 reference),
// split over threads by parallel_for; elements are independent, so the result
// does not depend on the thread count. The f32 loops are XLM_VEC_CLONES
// functions (an AVX2 build of the loop where the CPU has it).
#include "core/cpu_parallel.h"
#include "core/dispatch.h"
#include "kernels/gelu/gelu.h"
#include "kernels/gelu/gelu_math.h"

#include <type_traits>

namespace xlm {

namespace {

constexpr int64_t kGrain = 1 << 13;  // elements per thread at least

XLM_VEC_CLONES void forward_f32(const float* x, float* y, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) y[i] = gelu_math::value(x[i]);
}

XLM_VEC_CLONES void backward_f32(const float* x, const float* gy, float* gx, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) gx[i] = gy[i] * gelu_math::derivative(x[i]);
}

}  // namespace

void gelu_forward_cpu(const Tensor& x, Tensor& y) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "gelu", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());  // (n,)
    T* py = static_cast<T*>(y.data_ptr());              // (n,)
    parallel_for(x.numel(), kGrain, [&](int64_t begin, int64_t end) {
      if constexpr (std::is_same_v<T, float>) {
        forward_f32(px, py, begin, end);
      } else {
        for (int64_t i = begin; i < end; ++i) py[i] = gelu_math::value(px[i]);
      }
    });
  });
}

void gelu_backward_cpu(const Tensor& x, const Tensor& grad_y, Tensor& grad_x) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "gelu_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());       // (n,)
    const T* pg = static_cast<const T*>(grad_y.data_ptr());  // (n,)
    T* po = static_cast<T*>(grad_x.data_ptr());              // (n,)
    parallel_for(x.numel(), kGrain, [&](int64_t begin, int64_t end) {
      if constexpr (std::is_same_v<T, float>) {
        backward_f32(px, pg, po, begin, end);
      } else {
        for (int64_t i = begin; i < end; ++i) po[i] = pg[i] * gelu_math::derivative(px[i]);
      }
    });
  });
}

}  // namespace xlm
