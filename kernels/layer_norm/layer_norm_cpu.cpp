// CPU reference for LayerNorm: plain loops over rows, every sum in double
// (two passes: mean, then the centred variance, which is the stable way).
// Statistics are stored in the statistics dtype S (f32, or f64 for f64 x) and
// read back from there, exactly as the CUDA twin does.
#include "core/dispatch.h"
#include "kernels/layer_norm/layer_norm.h"

#include <cmath>
#include <type_traits>
#include <vector>

namespace xlm {

namespace {

template <typename T>
using Stats = std::conditional_t<std::is_same_v<T, double>, double, float>;

}  // namespace

void layer_norm_forward_cpu(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps, Tensor& y,
                            Tensor& mean, Tensor& rstd) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    using S = Stats<T>;
    const int64_t C = x.size(-1);
    const int64_t rows = x.numel() / C;
    const T* px = static_cast<const T*>(x.data_ptr());      // (rows, C)
    const T* pg = static_cast<const T*>(gamma.data_ptr());  // (C,)
    const T* pb = static_cast<const T*>(beta.data_ptr());   // (C,)
    T* py = static_cast<T*>(y.data_ptr());                  // (rows, C)
    S* pm = static_cast<S*>(mean.data_ptr());               // (rows,)
    S* pr = static_cast<S*>(rstd.data_ptr());               // (rows,)
    for (int64_t r = 0; r < rows; ++r) {
      const T* xr = px + r * C;
      double sum = 0;
      for (int64_t c = 0; c < C; ++c) sum += xr[c];
      const double mu = sum / static_cast<double>(C);
      double sq = 0;
      for (int64_t c = 0; c < C; ++c) sq += (xr[c] - mu) * (xr[c] - mu);
      pm[r] = static_cast<S>(mu);
      pr[r] = static_cast<S>(1.0 / std::sqrt(sq / static_cast<double>(C) + eps));
      const double m = pm[r], s = pr[r];
      for (int64_t c = 0; c < C; ++c) py[r * C + c] = static_cast<T>((xr[c] - m) * s * pg[c] + pb[c]);
    }
  });
}

void layer_norm_backward_cpu(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd,
                             const Tensor& grad_y, Tensor& grad_x, Tensor& grad_gamma, Tensor& grad_beta) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "layer_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    using S = Stats<T>;
    const int64_t C = x.size(-1);
    const int64_t rows = x.numel() / C;
    const T* px = static_cast<const T*>(x.data_ptr());       // (rows, C)
    const T* pg = static_cast<const T*>(gamma.data_ptr());   // (C,)
    const S* pm = static_cast<const S*>(mean.data_ptr());    // (rows,)
    const S* pr = static_cast<const S*>(rstd.data_ptr());    // (rows,)
    const T* pgy = static_cast<const T*>(grad_y.data_ptr()); // (rows, C)
    T* pgx = static_cast<T*>(grad_x.data_ptr());             // (rows, C)
    std::vector<double> dgamma(static_cast<size_t>(C), 0.0), dbeta(static_cast<size_t>(C), 0.0);  // (C,)
    for (int64_t r = 0; r < rows; ++r) {
      const T* xr = px + r * C;
      const T* gr = pgy + r * C;
      const double m = pm[r], s = pr[r];
      double sum_d = 0, sum_dx = 0;
      for (int64_t c = 0; c < C; ++c) {
        const double xhat = (xr[c] - m) * s;
        const double d = static_cast<double>(gr[c]) * pg[c];
        sum_d += d;
        sum_dx += d * xhat;
        dgamma[c] += static_cast<double>(gr[c]) * xhat;
        dbeta[c] += gr[c];
      }
      const double mean_d = sum_d / static_cast<double>(C), mean_dx = sum_dx / static_cast<double>(C);
      for (int64_t c = 0; c < C; ++c) {
        const double xhat = (xr[c] - m) * s;
        const double d = static_cast<double>(gr[c]) * pg[c];
        pgx[r * C + c] = static_cast<T>(s * (d - mean_d - xhat * mean_dx));
      }
    }
    T* pdg = static_cast<T*>(grad_gamma.data_ptr());  // (C,)
    T* pdb = static_cast<T*>(grad_beta.data_ptr());   // (C,)
    for (int64_t c = 0; c < C; ++c) {
      pdg[c] = static_cast<T>(dgamma[c]);
      pdb[c] = static_cast<T>(dbeta[c]);
    }
  });
}

}  // namespace xlm
