// CPU reference for bias + GELU: the composition it replaces, loop for loop
// (add's sum in T, gelu_math's value and derivative as gelu_cpu.cpp uses them,
// add's backward column sums in double in row order), so the FFN computes bit
// for bit what gelu(add(x, b)) computes. Threads: the forward splits rows; the
// backward splits columns, each thread walking all rows of its columns, so
// every column sum keeps its row order and the result does not depend on the
// thread count. The loops are templates; their f32 instances run inside
// XLM_VEC_CLONES functions (an AVX2 build where the CPU has it).
#include "core/cpu_parallel.h"
#include "core/dispatch.h"
#include "kernels/bias_gelu/bias_gelu.h"
#include "kernels/gelu/gelu_math.h"

#include <algorithm>
#include <vector>

namespace xlm {

namespace {

// y = gelu(x + b) for rows [r0, r1) of (rows, N).
template <typename T>
[[gnu::always_inline]] inline void forward_rows(const T* x, const T* b, T* y, int64_t N, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* xr = x + r * N;
    T* yr = y + r * N;
    for (int64_t c = 0; c < N; ++c) yr[c] = gelu_math::value(static_cast<T>(xr[c] + b[c]));
  }
}

// grad_x and acc[c] += grad_x over all rows, for columns [c0, c1).
template <typename T>
[[gnu::always_inline]] inline void backward_columns(const T* x, const T* b, const T* gy, T* gx, double* acc,
                                                    int64_t rows, int64_t N, int64_t c0, int64_t c1) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * N;
    const T* gr = gy + r * N;
    T* gxr = gx + r * N;
    for (int64_t c = c0; c < c1; ++c) {
      gxr[c] = gr[c] * gelu_math::derivative(static_cast<T>(xr[c] + b[c]));
      acc[c] += static_cast<double>(gxr[c]);
    }
  }
}

XLM_VEC_CLONES void forward_rows_f32(const float* x, const float* b, float* y, int64_t N, int64_t r0, int64_t r1) {
  forward_rows(x, b, y, N, r0, r1);
}

XLM_VEC_CLONES void backward_columns_f32(const float* x, const float* b, const float* gy, float* gx, double* acc,
                                         int64_t rows, int64_t N, int64_t c0, int64_t c1) {
  backward_columns(x, b, gy, gx, acc, rows, N, c0, c1);
}

void forward_rows_any(const float* x, const float* b, float* y, int64_t N, int64_t r0, int64_t r1) {
  forward_rows_f32(x, b, y, N, r0, r1);
}
void forward_rows_any(const double* x, const double* b, double* y, int64_t N, int64_t r0, int64_t r1) {
  forward_rows(x, b, y, N, r0, r1);
}
void backward_columns_any(const float* x, const float* b, const float* gy, float* gx, double* acc, int64_t rows,
                          int64_t N, int64_t c0, int64_t c1) {
  backward_columns_f32(x, b, gy, gx, acc, rows, N, c0, c1);
}
void backward_columns_any(const double* x, const double* b, const double* gy, double* gx, double* acc,
                          int64_t rows, int64_t N, int64_t c0, int64_t c1) {
  backward_columns(x, b, gy, gx, acc, rows, N, c0, c1);
}

}  // namespace

void bias_gelu_forward_cpu(const Tensor& x, const Tensor& b, Tensor& y) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "bias_gelu", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());  // (rows, N)
    const T* pb = static_cast<const T*>(b.data_ptr());  // (N,)
    T* py = static_cast<T*>(y.data_ptr());              // (rows, N)
    const int64_t N = b.numel();
    if (N == 0) return;
    const int64_t rows = x.numel() / N;
    parallel_for(rows, std::max<int64_t>(1, 8192 / N),
                 [&](int64_t r0, int64_t r1) { forward_rows_any(px, pb, py, N, r0, r1); });
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
    const int64_t N = b.numel();
    if (N == 0) return;
    const int64_t rows = x.numel() / N;
    std::vector<double> acc(static_cast<size_t>(N), 0.0);  // (N,)
    // Column chunks of at least 64 (whole cache lines of grad_x per row) and ~8k elements.
    parallel_for(N, std::max<int64_t>(64, 8192 / std::max<int64_t>(rows, 1)), [&](int64_t c0, int64_t c1) {
      backward_columns_any(px, pb, pg, pgx, acc.data(), rows, N, c0, c1);
      for (int64_t c = c0; c < c1; ++c) pgb[c] = static_cast<T>(acc[static_cast<size_t>(c)]);
    });
  });
}

}  // namespace xlm
