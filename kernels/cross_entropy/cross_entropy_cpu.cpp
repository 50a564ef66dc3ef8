// CPU reference for cross-entropy: per row a max-subtracted log-sum-exp
// (exponentials in the logits' type, as the CUDA twin's expf: a double exp
// per logit was a visible share of a CPU step; sums in double), the kept
// rows' losses summed in double, then divided by the count.
// lse is stored in the loss dtype S (f32, or f64 for f64 logits) and the
// backward reads it back from there, exactly as the CUDA twin does.
#include "core/dispatch.h"
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
  std::vector<int64_t> out;
  for (double v : targets.to_doubles()) out.push_back(static_cast<int64_t>(v));
  return out;
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
    double total = 0;
    for (int64_t n = 0; n < N; ++n) {
      const T* row = px + n * V;
      double m = row[0];
      for (int64_t v = 1; v < V; ++v) m = std::max(m, static_cast<double>(row[v]));
      double sum = 0;
      for (int64_t v = 0; v < V; ++v) sum += std::exp(static_cast<T>(row[v] - m));
      const double row_lse = m + std::log(sum);
      plse[n] = static_cast<S>(row_lse);
      if (t[static_cast<size_t>(n)] != ignore_index) total += row_lse - row[t[static_cast<size_t>(n)]];
    }
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
    for (int64_t n = 0; n < N; ++n) {
      const int64_t target = t[static_cast<size_t>(n)];
      T* out = pg + n * V;
      if (target == ignore_index) {
        std::fill(out, out + V, T(0));
        continue;
      }
      const double row_lse = plse[n];
      for (int64_t v = 0; v < V; ++v)
        out[v] = static_cast<T>((std::exp(static_cast<T>(px[n * V + v] - row_lse)) - (v == target ? 1.0 : 0.0)) * scale);
    }
  });
}

}  // namespace xlm
