// Multi-head scaled dot-product attention, composed from registered ops
// (permute, matmul, masked_softmax, dropout). It is the reference the fused
// flash-attention kernel must match, and it works on every device and dtype
// its parts support; its gradient comes from the parts' backward passes.
//   q: [B, Tq, H, D]   k, v: [B, Tk, H, D]   key_lengths: i32/i64 [B] or undefined
//   out: [B, Tq, H, D] = softmax(q k^T / sqrt(D) + masks) v, dropout on the weights
// Masks: key j of batch b is hidden when j >= key_lengths[b]; with `causal`,
// query i sees keys j <= i + (Tk - Tq). Fully masked queries give zeros.
#pragma once

#include "core/tensor.h"

#include <cstdint>

namespace xlm {

struct AttentionOptions {
  bool causal = false;
  double dropout = 0.0;   // probability of dropping an attention weight
  uint64_t seed = 0;      // Philox seed and offset of the dropout mask
  uint64_t offset = 0;
};

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_lengths,
                 const AttentionOptions& options = {});

}  // namespace xlm
