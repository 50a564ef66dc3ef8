// CPU reference for the masked softmax: one row (b, ..., i) at a time, the
// visible keys are the prefix j < limit, max-subtracted exp (each computed
// once, in the scores' type as the CUDA twin's expf, kept in a row buffer),
// sums and the division in double.
#include "core/dispatch.h"
#include "kernels/masked_softmax/masked_softmax.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace xlm {

namespace {

// Number of visible keys for every batch entry's padding mask (Tk when there is none).
std::vector<int64_t> key_limits(const Tensor& key_lengths, int64_t batch, int64_t tk) {
  if (!key_lengths.defined()) return std::vector<int64_t>(static_cast<size_t>(batch), tk);
  std::vector<int64_t> out;
  for (double v : key_lengths.to_doubles()) out.push_back(static_cast<int64_t>(v));
  return out;
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
    std::vector<double> e(static_cast<size_t>(tk));  // (Tk) the row's exponentials, computed once
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t i = r % tq;
      int64_t limit = lengths[static_cast<size_t>(r / rows_per_batch)];
      if (causal) limit = std::min(limit, std::max<int64_t>(0, i + tk - tq + 1));
      const T* s = ps + r * tk;
      T* out = py + r * tk;
      double m = -INFINITY;
      for (int64_t j = 0; j < limit; ++j) m = std::max(m, scale * s[j]);
      double sum = 0;
      for (int64_t j = 0; j < limit; ++j) {
        e[static_cast<size_t>(j)] = std::exp(static_cast<T>(scale * s[j] - m));
        sum += e[static_cast<size_t>(j)];
      }
      for (int64_t j = 0; j < limit; ++j) out[j] = static_cast<T>(e[static_cast<size_t>(j)] / sum);
      for (int64_t j = limit; j < tk; ++j) out[j] = T(0);
    }
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
    for (int64_t r = 0; r < rows; ++r) {
      double dot = 0;
      for (int64_t j = 0; j < tk; ++j) dot += static_cast<double>(pg[r * tk + j]) * py[r * tk + j];
      for (int64_t j = 0; j < tk; ++j)
        po[r * tk + j] = static_cast<T>(scale * py[r * tk + j] * (pg[r * tk + j] - dot));
    }
  });
}

}  // namespace xlm
