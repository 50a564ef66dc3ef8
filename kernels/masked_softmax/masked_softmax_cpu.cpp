// CPU reference for the masked softmax: one row (b, ..., i) at a time, the
// visible keys are the prefix j < limit. Max-subtracted exp, each computed
// once in the scores' type as the CUDA twin's expf (f32: core/vec_math.h's,
// which vectorises; f64: std::exp) and written straight into the output row,
// then one pass dividing by the sum; the max, the sums and the division are in
// double, the sums as eight partial sums in a fixed order. Rows are split over
// the engine's threads (core/cpu_parallel.h), each row on one thread, so the
// result does not depend on the thread count.
#include "core/cpu_parallel.h"
#include "core/dispatch.h"
#include "core/host_reads.h"
#include "core/vec_math.h"
#include "kernels/masked_softmax/masked_softmax.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace xlm {

namespace {

constexpr int kLanes = 8;               // partial sums per row
constexpr int64_t kElementsPerChunk = 16384;  // a thread's share is worth a wake-up

float exp_of(float x) { return vec::exp(x); }
double exp_of(double x) { return std::exp(x); }

// Number of visible keys for every batch entry's padding mask (Tk when there is none).
std::vector<int64_t> key_limits(const Tensor& key_lengths, int64_t batch, int64_t tk) {
  if (!key_lengths.defined()) return std::vector<int64_t>(static_cast<size_t>(batch), tk);
  return kernel_int64_values(key_lengths);  // the twin's own memory: no transfer (core/host_reads.h)
}

// out[j] = exp(T(scale * s[j] - m)) for j < n; returns their sum in double.
template <typename T>
double exp_row(const T* s, int64_t n, double scale, double m, T* out) {
  double lane[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const T e = exp_of(static_cast<T>(scale * static_cast<double>(s[j + l]) - m));
      out[j + l] = e;
      lane[l] += static_cast<double>(e);
    }
  }
  double sum = 0;
  for (; j < n; ++j) {
    const T e = exp_of(static_cast<T>(scale * static_cast<double>(s[j]) - m));
    out[j] = e;
    sum += static_cast<double>(e);
  }
  for (int l = 0; l < kLanes; ++l) sum += lane[l];
  return sum;
}

}  // namespace

void masked_softmax_forward_cpu(const Tensor& scores, const Tensor& key_lengths, bool causal, double scale,
                                Tensor& y) {
  XLM_DISPATCH_CPU_FLOAT(scores.dtype(), "masked_softmax", [&](auto tag) {
    using T = decltype(tag);
    if (scores.numel() == 0) return;
    const int64_t batch = scores.size(0), tq = scores.size(-2), tk = scores.size(-1);
    const int64_t rows = scores.numel() / tk;
    const int64_t rows_per_batch = rows / batch;
    const std::vector<int64_t> lengths = key_limits(key_lengths, batch, tk);  // (B,)
    const T* ps = static_cast<const T*>(scores.data_ptr());  // (rows, Tk)
    T* py = static_cast<T*>(y.data_ptr());                   // (rows, Tk)
    parallel_for(rows, std::max<int64_t>(1, kElementsPerChunk / tk), [&](int64_t row_begin, int64_t row_end) {
      for (int64_t r = row_begin; r < row_end; ++r) {
        const int64_t i = r % tq;
        int64_t limit = lengths[static_cast<size_t>(r / rows_per_batch)];
        if (causal) limit = std::min(limit, std::max<int64_t>(0, i + tk - tq + 1));
        const T* s = ps + r * tk;
        T* out = py + r * tk;
        double m = -INFINITY;
        for (int64_t j = 0; j < limit; ++j) m = std::max(m, scale * static_cast<double>(s[j]));
        const double sum = exp_row(s, limit, scale, m, out);  // out holds the exponentials
        for (int64_t j = 0; j < limit; ++j) out[j] = static_cast<T>(static_cast<double>(out[j]) / sum);
        std::fill(out + limit, out + tk, T(0));
      }
    });
  });
}

void masked_softmax_backward_cpu(const Tensor& y, const Tensor& grad_y, double scale, Tensor& grad_scores) {
  XLM_DISPATCH_CPU_FLOAT(y.dtype(), "masked_softmax_backward", [&](auto tag) {
    using T = decltype(tag);
    if (y.numel() == 0) return;
    const int64_t tk = y.size(-1);
    const int64_t rows = y.numel() / tk;
    const T* py = static_cast<const T*>(y.data_ptr());       // (rows, Tk)
    const T* pg = static_cast<const T*>(grad_y.data_ptr());  // (rows, Tk)
    T* po = static_cast<T*>(grad_scores.data_ptr());         // (rows, Tk)
    parallel_for(rows, std::max<int64_t>(1, kElementsPerChunk / tk), [&](int64_t row_begin, int64_t row_end) {
      for (int64_t r = row_begin; r < row_end; ++r) {
        const T* yr = py + r * tk;
        const T* gr = pg + r * tk;
        T* outr = po + r * tk;
        const double dot = vec::dot(gr, yr, tk);
        for (int64_t j = 0; j < tk; ++j)
          outr[j] = static_cast<T>(scale * static_cast<double>(yr[j]) * (static_cast<double>(gr[j]) - dot));
      }
    });
  });
}

}  // namespace xlm
