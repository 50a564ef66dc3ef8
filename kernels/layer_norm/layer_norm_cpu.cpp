// CPU reference for LayerNorm: loops over rows, every sum in double (two
// passes: mean, then the centred variance, which is the stable way). A row's
// sums run in 8 fixed partial sums, combined in a fixed order, so the loops
// vectorise (a single double accumulator is a dependency chain GCC may not
// reorder) and the result is the same on any number of threads. Statistics are
// stored in the statistics dtype S (f32, or f64 for f64 x) and read back from
// there, exactly as the CUDA twin does. Threads: the forward and the backward's
// grad_x split rows; grad_gamma/grad_beta split columns, each thread summing all
// rows of its columns in row order. The f32 row loops are XLM_VEC_CLONES
// functions (AVX2 where the CPU has it).
#include "core/cpu_parallel.h"
#include "core/dispatch.h"
#include "core/vec_math.h"
#include "kernels/layer_norm/layer_norm.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

namespace xlm {

namespace {

template <typename T>
using Stats = std::conditional_t<std::is_same_v<T, double>, double, float>;

constexpr int kParts = 8;

double combine(const double part[kParts]) {
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

// Rows per thread at least (~16k elements per chunk).
int64_t row_grain(int64_t C) { return std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(C, 1)); }

// Rows [r0, r1): statistics and y.
template <typename T, typename S>
[[gnu::always_inline]] inline void forward_rows(const T* px, const T* pg, const T* pb, double eps, T* py, S* pm,
                                                S* pr, int64_t C, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* xr = px + r * C;
    double part[kParts] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t c = 0;
    for (; c + kParts <= C; c += kParts)
      for (int j = 0; j < kParts; ++j) part[j] += static_cast<double>(xr[c + j]);
    for (int j = 0; c < C; ++c, ++j) part[j] += static_cast<double>(xr[c]);
    const double mu = combine(part) / static_cast<double>(C);
    double sq[kParts] = {0, 0, 0, 0, 0, 0, 0, 0};
    c = 0;
    for (; c + kParts <= C; c += kParts)
      for (int j = 0; j < kParts; ++j) {
        const double d = static_cast<double>(xr[c + j]) - mu;
        sq[j] += d * d;
      }
    for (int j = 0; c < C; ++c, ++j) {
      const double d = static_cast<double>(xr[c]) - mu;
      sq[j] += d * d;
    }
    pm[r] = static_cast<S>(mu);
    pr[r] = static_cast<S>(1.0 / std::sqrt(combine(sq) / static_cast<double>(C) + eps));
    const double m = pm[r], s = pr[r];
    T* yr = py + r * C;
    for (c = 0; c < C; ++c) yr[c] = static_cast<T>((xr[c] - m) * s * pg[c] + pb[c]);
  }
}

// Rows [r0, r1) of grad_x.
template <typename T, typename S>
[[gnu::always_inline]] inline void backward_rows(const T* px, const T* pg, const S* pm, const S* pr, const T* pgy,
                                                 T* pgx, int64_t C, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* xr = px + r * C;
    const T* gr = pgy + r * C;
    const double m = pm[r], s = pr[r];
    double part_d[kParts] = {0, 0, 0, 0, 0, 0, 0, 0}, part_dx[kParts] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t c = 0;
    for (; c + kParts <= C; c += kParts)
      for (int j = 0; j < kParts; ++j) {
        const double xhat = (xr[c + j] - m) * s;
        const double d = static_cast<double>(gr[c + j]) * pg[c + j];
        part_d[j] += d;
        part_dx[j] += d * xhat;
      }
    for (int j = 0; c < C; ++c, ++j) {
      const double xhat = (xr[c] - m) * s;
      const double d = static_cast<double>(gr[c]) * pg[c];
      part_d[j] += d;
      part_dx[j] += d * xhat;
    }
    const double mean_d = combine(part_d) / static_cast<double>(C);
    const double mean_dx = combine(part_dx) / static_cast<double>(C);
    T* gxr = pgx + r * C;
    for (c = 0; c < C; ++c) {
      const double xhat = (xr[c] - m) * s;
      const double d = static_cast<double>(gr[c]) * pg[c];
      gxr[c] = static_cast<T>(s * (d - mean_d - xhat * mean_dx));
    }
  }
}

XLM_VEC_CLONES void forward_rows_f32(const float* px, const float* pg, const float* pb, double eps, float* py,
                                     float* pm, float* pr, int64_t C, int64_t r0, int64_t r1) {
  forward_rows(px, pg, pb, eps, py, pm, pr, C, r0, r1);
}
XLM_VEC_CLONES void backward_rows_f32(const float* px, const float* pg, const float* pm, const float* pr,
                                      const float* pgy, float* pgx, int64_t C, int64_t r0, int64_t r1) {
  backward_rows(px, pg, pm, pr, pgy, pgx, C, r0, r1);
}
void forward_rows_any(const float* px, const float* pg, const float* pb, double eps, float* py, float* pm, float* pr,
                      int64_t C, int64_t r0, int64_t r1) {
  forward_rows_f32(px, pg, pb, eps, py, pm, pr, C, r0, r1);
}
void forward_rows_any(const double* px, const double* pg, const double* pb, double eps, double* py, double* pm,
                      double* pr, int64_t C, int64_t r0, int64_t r1) {
  forward_rows(px, pg, pb, eps, py, pm, pr, C, r0, r1);
}
void backward_rows_any(const float* px, const float* pg, const float* pm, const float* pr, const float* pgy,
                       float* pgx, int64_t C, int64_t r0, int64_t r1) {
  backward_rows_f32(px, pg, pm, pr, pgy, pgx, C, r0, r1);
}
void backward_rows_any(const double* px, const double* pg, const double* pm, const double* pr, const double* pgy,
                       double* pgx, int64_t C, int64_t r0, int64_t r1) {
  backward_rows(px, pg, pm, pr, pgy, pgx, C, r0, r1);
}

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
    parallel_for(rows, row_grain(C),
                 [&](int64_t r0, int64_t r1) { forward_rows_any(px, pg, pb, eps, py, pm, pr, C, r0, r1); });
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
    T* pdg = static_cast<T*>(grad_gamma.data_ptr());         // (C,)
    T* pdb = static_cast<T*>(grad_beta.data_ptr());          // (C,)
    parallel_for(rows, row_grain(C),
                 [&](int64_t r0, int64_t r1) { backward_rows_any(px, pg, pm, pr, pgy, pgx, C, r0, r1); });
    // Column sums over all rows, in row order (~16k elements per chunk, whole cache lines).
    parallel_for(C, std::max<int64_t>(16, (int64_t{1} << 14) / std::max<int64_t>(rows, 1)), [&](int64_t c0,
                                                                                                  int64_t c1) {
      std::vector<double> dgamma(static_cast<size_t>(c1 - c0), 0.0), dbeta(static_cast<size_t>(c1 - c0), 0.0);
      double* dg = dgamma.data();
      double* db = dbeta.data();
      for (int64_t r = 0; r < rows; ++r) {
        const T* xr = px + r * C;
        const T* gr = pgy + r * C;
        const double m = pm[r], s = pr[r];
        for (int64_t c = c0; c < c1; ++c) {
          const double xhat = (xr[c] - m) * s;
          dg[c - c0] += static_cast<double>(gr[c]) * xhat;
          db[c - c0] += gr[c];
        }
      }
      for (int64_t c = c0; c < c1; ++c) {
        pdg[c] = static_cast<T>(dg[c - c0]);
        pdb[c] = static_cast<T>(db[c - c0]);
      }
    });
  });
}

}  // namespace xlm
