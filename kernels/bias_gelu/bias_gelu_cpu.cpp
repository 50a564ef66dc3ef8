// CPU reference for bias + GELU: the composition it replaces, loop for loop
// (add's sum in T, gelu's formulas from gelu_cpu.cpp, add's backward column
// sums in double), so the FFN computes bit for bit what it did before.
#include "core/dispatch.h"
#include "kernels/bias_gelu/bias_gelu.h"

#include <cmath>
#include <vector>

namespace xlm {

void bias_gelu_forward_cpu(const Tensor& x, const Tensor& b, Tensor& y) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "bias_gelu", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());  // (rows, N)
    const T* pb = static_cast<const T*>(b.data_ptr());  // (N,)
    T* py = static_cast<T*>(y.data_ptr());              // (rows, N)
    const int64_t n = x.numel(), N = b.numel();
    for (int64_t i = 0; i < n; ++i) {
      const T z = px[i] + pb[i % N];
      py[i] = T(0.5) * z * (T(1) + std::erf(z / std::sqrt(T(2))));
    }
  });
}

void bias_gelu_backward_cpu(const Tensor& x, const Tensor& b, const Tensor& grad_y, Tensor& grad_x, Tensor& grad_b) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "bias_gelu_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());       // (rows, N)
    const T* pb = static_cast<const T*>(b.data_ptr());       // (N,)
    const T* pg = static_cast<const T*>(grad_y.data_ptr());  // (rows, N)
    T* pgx = static_cast<T*>(grad_x.data_ptr());             // (rows, N)
    T* pgb = static_cast<T*>(grad_b.data_ptr());             // (N,)
    const int64_t n = x.numel(), N = b.numel();
    const T inv_sqrt_2pi = T(0.3989422804014327);
    std::vector<double> acc(static_cast<size_t>(N), 0.0);  // (N,)
    for (int64_t i = 0; i < n; ++i) {
      const T z = px[i] + pb[i % N];
      const T cdf = T(0.5) * (T(1) + std::erf(z / std::sqrt(T(2))));
      const T pdf = inv_sqrt_2pi * std::exp(T(-0.5) * z * z);
      pgx[i] = pg[i] * (cdf + z * pdf);
      acc[static_cast<size_t>(i % N)] += static_cast<double>(pgx[i]);
    }
    for (int64_t c = 0; c < N; ++c) pgb[c] = static_cast<T>(acc[static_cast<size_t>(c)]);
  });
}

}  // namespace xlm
