// CPU reference for cross-entropy: per row a max-subtracted log-sum-exp
// (exponentials in the logits' type, as the CUDA twin's expf; sums in
// double), the kept rows' losses summed in double in row order, then divided
// by the count. f32 rows use core/vec_math.h's exp (~1 ulp) and a max over
// order-preserving integer keys, so the row loops vectorise; the double sum
// of a row's exponentials runs in 8 fixed partial sums (the same order for any
// thread count); those row functions are XLM_VEC_CLONES (AVX-512 or AVX2
// where the CPU has it). f64 keeps std::exp and plain loops: it is the reference.
// Rows are split over threads; each row is computed by one thread, so the
// result does not depend on the thread count.
// lse is stored in the loss dtype S (f32, or f64 for f64 logits) and the
// backward reads it back from there, exactly as the CUDA twin does.
#include "core/cpu_parallel.h"
#include "core/dispatch.h"
#include "core/host_reads.h"
#include "core/vec_math.h"
#include "kernels/cross_entropy/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

namespace xlm {

namespace {

template <typename T>
using LossType = std::conditional_t<std::is_same_v<T, double>, double, float>;

std::vector<int64_t> host_targets(const Tensor& targets) {
  return kernel_int64_values(targets);  // the twin's own memory: no transfer (core/host_reads.h)
}

// e^x as the rows compute it: vectorisable for f32, std::exp for f64.
inline float exp_t(float x) { return vec::exp(x); }
inline double exp_t(double x) { return std::exp(x); }

// Rows per thread at least, for rows of V logits (~64k logits per chunk).
int64_t row_grain(int64_t V) { return std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(V, 1)); }

// The largest of row[0..V) (V >= 1). Floats compared as integer keys that sort
// like the values (negative ones with their magnitude bits flipped): an
// integer max vectorises where a float comparison does not.
[[gnu::always_inline]] inline float row_max(const float* row, int64_t V) {
  int32_t best = INT32_MIN;
  for (int64_t v = 0; v < V; ++v) {
    const int32_t b = vec::float_bits(row[v]);
    const int32_t key = b ^ ((b >> 31) & 0x7fffffff);
    best = key > best ? key : best;
  }
  return vec::bits_float(static_cast<uint32_t>(best ^ ((best >> 31) & 0x7fffffff)));
}

double row_max(const double* row, int64_t V) {
  double m = row[0];
  for (int64_t v = 1; v < V; ++v) m = std::max(m, row[v]);
  return m;
}

// log(sum_v exp(row[v] - m)) + m, the sum in double.
XLM_VEC_CLONES double row_lse(const float* row, int64_t V) {
  const float m = row_max(row, V);
  double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t v = 0;
  for (; v + 8 <= V; v += 8)
    for (int j = 0; j < 8; ++j) part[j] += static_cast<double>(vec::exp(row[v + j] - m));
  for (int j = 0; v < V; ++v, ++j) part[j] += static_cast<double>(vec::exp(row[v] - m));
  const double sum = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
  return static_cast<double>(m) + std::log(sum);
}

double row_lse(const double* row, int64_t V) {
  const double m = row_max(row, V);
  double sum = 0;
  for (int64_t v = 0; v < V; ++v) sum += std::exp(row[v] - m);
  return m + std::log(sum);
}

// out[v] = exp(row[v] - lse) * scale, in T.
XLM_VEC_CLONES void row_softmax_scaled(const float* row, double lse, double scale, float* out, int64_t V) {
  for (int64_t v = 0; v < V; ++v)
    out[v] = static_cast<float>(
        static_cast<double>(exp_t(static_cast<float>(static_cast<double>(row[v]) - lse))) * scale);
}

void row_softmax_scaled(const double* row, double lse, double scale, double* out, int64_t V) {
  for (int64_t v = 0; v < V; ++v) out[v] = exp_t(row[v] - lse) * scale;
}

}  // namespace

void cross_entropy_forward_cpu(const Tensor& logits, const Tensor& targets, int64_t ignore_index, int64_t count,
                               Tensor& loss, Tensor& lse) {
  XLM_DISPATCH_CPU_FLOAT(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    using S = LossType<T>;
    const int64_t N = logits.size(0), V = logits.size(1);
    const T* px = static_cast<const T*>(logits.data_ptr());  // (N, V)
    const std::vector<int64_t> t = host_targets(targets);   // (N,)
    S* plse = static_cast<S*>(lse.data_ptr());               // (N,)
    std::vector<double> row_loss(static_cast<size_t>(N), 0.0);  // (N,)
    parallel_for(N, row_grain(V), [&](int64_t n0, int64_t n1) {
      for (int64_t n = n0; n < n1; ++n) {
        const T* row = px + n * V;
        const double l = row_lse(row, V);
        plse[n] = static_cast<S>(l);
        const int64_t target = t[static_cast<size_t>(n)];
        if (target != ignore_index) row_loss[static_cast<size_t>(n)] = l - row[target];
      }
    });
    double total = 0;
    for (int64_t n = 0; n < N; ++n)
      if (t[static_cast<size_t>(n)] != ignore_index) total += row_loss[static_cast<size_t>(n)];
    *static_cast<S*>(loss.data_ptr()) = static_cast<S>(count > 0 ? total / static_cast<double>(count) : 0.0);
  });
}

void cross_entropy_backward_cpu(const Tensor& logits, const Tensor& targets, const Tensor& lse,
                                const Tensor& grad_loss, int64_t ignore_index, int64_t count, Tensor& grad_logits) {
  XLM_DISPATCH_CPU_FLOAT(logits.dtype(), "cross_entropy_backward", [&](auto tag) {
    using T = decltype(tag);
    using S = LossType<T>;
    const int64_t N = logits.size(0), V = logits.size(1);
    const T* px = static_cast<const T*>(logits.data_ptr());   // (N, V)
    const std::vector<int64_t> t = host_targets(targets);    // (N,)
    const S* plse = static_cast<const S*>(lse.data_ptr());    // (N,)
    T* pg = static_cast<T*>(grad_logits.data_ptr());          // (N, V)
    const double scale =
        count > 0 ? static_cast<double>(*static_cast<const S*>(grad_loss.data_ptr())) / static_cast<double>(count)
                  : 0.0;
    parallel_for(N, row_grain(V), [&](int64_t n0, int64_t n1) {
      for (int64_t n = n0; n < n1; ++n) {
        const int64_t target = t[static_cast<size_t>(n)];
        T* out = pg + n * V;
        if (target == ignore_index) {
          std::fill(out, out + V, T(0));
          continue;
        }
        const T* row = px + n * V;
        const double row_lse_n = plse[n];
        row_softmax_scaled(row, row_lse_n, scale, out, V);
        // The target's term again with the one-hot subtracted before scaling, as the formula reads.
        out[target] = static_cast<T>(
            (static_cast<double>(exp_t(static_cast<T>(static_cast<double>(row[target]) - row_lse_n))) - 1.0) *
            scale);
      }
    });
  });
}

}  // namespace xlm
