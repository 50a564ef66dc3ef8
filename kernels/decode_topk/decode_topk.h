// The k best next words of every row of a decoding step, chosen where the
// logits live, so that greedy and beam search copy (N, k) candidates to the
// host per generated token instead of the (N, V) logits (tasks/mt/decode_step.h):
//   decode_topk(logits, bias, k): logits (N, V); bias (N) f64, or undefined for 0
//     -> values (N, k) f64, indices (N, k) i64, best first, where, in f64 from
//        the logits' own values,
//          top[r] = max_v x[r, v],  lse[r] = top[r] + log(sum_v exp(x[r, v] - top[r])),
//          key[r, v] = bias[r] + (x[r, v] - lse[r])
//        (the log-probability of word v, shifted by the row's beam score), and
//        the order is key descending, NaN after every number, equal keys by the
//        lower word id. values holds the keys of the chosen words.
// Beam search passes its beam scores as bias: the best 2K extensions of a
// sentence over all its K beams are then the best 2K of the union of each
// beam's best 2K, in the same order, so the host merges K x 2K candidates.
// 1 <= k <= V. No gradient. CPU: f32, f64; the sum runs in word order, so
// the result equals the fp64 host log-softmax it replaces, bit for bit. CUDA:
// f32, bf16, f16; the sum is a parallel reduction in a fixed order, so lse
// may differ from the CPU's in the last bits of a double.
#pragma once

#include "core/tensor.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace xlm {

// values and indices are two views of one block (values first), so that a
// decoding step reads both to the host in one transfer (decode_topk_to_host):
// on a GPU, one wait per generated token instead of two.
struct DecodeTopK {
  Tensor values;   // (N, k) f64
  Tensor indices;  // (N, k) i64
};

DecodeTopK decode_topk(const Tensor& logits, const Tensor& bias, int64_t k);

struct DecodeTopKHost {
  std::vector<double> values;    // (N*k) row-major
  std::vector<int64_t> indices;  // (N*k) row-major
};

// Both outputs of one decode_topk call, copied to the host in one transfer.
// ShapeError when `top` did not come from decode_topk (views of other blocks).
DecodeTopKHost decode_topk_to_host(const DecodeTopK& top);

// The op's order on the host (the CPU twin, and beam search's merge of its
// beams' candidates with ids = beam * V + word): whether (key_a, id_a) comes
// before (key_b, id_b). The CUDA twin's `before` is the same rule.
inline bool decode_topk_before(double key_a, int64_t id_a, double key_b, int64_t id_b) {
  const bool nan_a = std::isnan(key_a), nan_b = std::isnan(key_b);
  if (nan_a || nan_b) return nan_a == nan_b ? id_a < id_b : nan_b;
  return key_a > key_b || (key_a == key_b && id_a < id_b);
}

// Backend twins: bias is defined (N) f64 (the front makes zeros); write all of values and indices.
void decode_topk_forward_cpu(const Tensor& logits, const Tensor& bias, Tensor& values, Tensor& indices);
void decode_topk_forward_cuda(const Tensor& logits, const Tensor& bias, Tensor& values, Tensor& indices);

}  // namespace xlm
