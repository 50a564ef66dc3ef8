// CPU reference for decode_topk: per row, the fp64 log-softmax exactly as the
// host decoding loop computed it before this op existed (max, then the sum of
// exponentials in word order), then a partial sort of the word ids by the
// op's order. Rows are independent and split over the thread pool.
#include "core/cpu_parallel.h"
#include "core/dispatch.h"
#include "kernels/decode_topk/decode_topk.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace xlm {

void decode_topk_forward_cpu(const Tensor& logits, const Tensor& bias, Tensor& values, Tensor& indices) {
  const int64_t N = logits.size(0), V = logits.size(1), k = values.size(1);
  const double* pb = bias.data<double>();  // (N)
  double* pv = values.data<double>();      // (N, k)
  int64_t* pi = indices.data<int64_t>();   // (N, k)
  XLM_DISPATCH_CPU_FLOAT(logits.dtype(), "decode_topk", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(logits.data_ptr());  // (N, V)
    parallel_for(N, 1, [&](int64_t begin, int64_t end) {
      std::vector<double> key(static_cast<size_t>(V));     // (V)
      std::vector<int64_t> order(static_cast<size_t>(V));  // (V)
      for (int64_t r = begin; r < end; ++r) {
        const T* row = px + r * V;
        for (int64_t v = 0; v < V; ++v) key[static_cast<size_t>(v)] = static_cast<double>(row[v]);
        const double top = *std::max_element(key.begin(), key.end());
        double sum = 0;
        for (int64_t v = 0; v < V; ++v) sum += std::exp(key[static_cast<size_t>(v)] - top);
        const double lse = top + std::log(sum);
        for (double& x : key) x = pb[r] + (x - lse);
        std::iota(order.begin(), order.end(), int64_t{0});
        std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) {
          return decode_topk_before(key[static_cast<size_t>(a)], a, key[static_cast<size_t>(b)], b);
        });
        for (int64_t j = 0; j < k; ++j) {
          pi[r * k + j] = order[static_cast<size_t>(j)];
          pv[r * k + j] = key[static_cast<size_t>(order[static_cast<size_t>(j)])];
        }
      }
    });
  });
}

}  // namespace xlm
