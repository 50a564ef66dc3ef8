// Multi-head scaled dot-product attention as one fused op with hand-written
// backward twins (design principle 4): the (B, H, Tq, Tk) weights never exist
// as a tensor. The forward keeps the per-row logsumexp of the masked, scaled
// scores, so the backward recomputes the weights from q, k and it alone.
//   q: [B, Tq, H, D]   k, v: [B, Tk, H, D]   key_lengths: i32/i64 [B] or undefined
//   out: [B, Tq, H, D] = dropout(softmax(q k^T / sqrt(D) + masks)) v
//   logsumexp: [B, H, Tq] = log sum_j exp(q_i . k_j / sqrt(D)) over the visible keys
//     (-inf for a query that sees no key); f32, or f64 when q is f64
// Masks: key j of batch b is hidden when j >= key_lengths[b]; with `causal`,
// query i sees keys j <= i + (Tk - Tq). Fully masked queries give zeros.
// Dropout: weight (b, h, i, j) is kept iff
//   philox_uniform(seed, offset + ((b*H + h)*Tq + i)*Tk + j) > dropout_threshold(p)
// and kept weights are scaled by 1/(1-p): the dropout op's rule on the flat
// (B, H, Tq, Tk) weight tensor, so a caller advances offset by B*H*Tq*Tk.
// attention_backward (D_i = rowsum(dO_i * O_i), dS = P * (dP - D)):
//   grad_q = dS k / sqrt(D), grad_k = dS^T q / sqrt(D), grad_v = P_dropped^T dO.
// CPU: f32 (f32 GEMMs, softmax statistics in double), f64 (f64 throughout). CUDA: f32, bf16, f16 (fp32 softmax and
// accumulation; tensor cores for bf16/f16 at D = 64 and 128; D <= 256).
#pragma once

#include "core/tensor.h"

#include <cstdint>

namespace xlm {

struct AttentionOptions {
  bool causal = false;
  double dropout = 0.0;   // probability of dropping an attention weight, in [0, 1]
  uint64_t seed = 0;      // Philox seed and offset of the dropout mask
  uint64_t offset = 0;
};

struct AttentionResult {
  Tensor out;        // (B, Tq, H, D), q's dtype
  Tensor logsumexp;  // (B, H, Tq), f32 (f64 for f64 inputs)
};

struct AttentionGrads {
  Tensor q, k, v;  // shaped like q, k, v
};

// The op: out only (the logsumexp is kept in the autograd node).
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_lengths,
                 const AttentionOptions& options = {});
// The same forward, also returning the logsumexp; recorded for autograd like attention().
AttentionResult attention_with_logsumexp(const Tensor& q, const Tensor& k, const Tensor& v,
                                         const Tensor& key_lengths, const AttentionOptions& options = {});
AttentionGrads attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                                  const Tensor& logsumexp, const Tensor& grad_out, const Tensor& key_lengths,
                                  const AttentionOptions& options);

// Backend twins: outputs preallocated by the front (key_lengths may be undefined,
// and are already checked to lie in [0, Tk]).
void attention_forward_cpu(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_lengths,
                           const AttentionOptions& options, Tensor& out, Tensor& logsumexp);
void attention_backward_cpu(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                            const Tensor& logsumexp, const Tensor& grad_out, const Tensor& key_lengths,
                            const AttentionOptions& options, Tensor& grad_q, Tensor& grad_k, Tensor& grad_v);
void attention_forward_cuda(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_lengths,
                            const AttentionOptions& options, Tensor& out, Tensor& logsumexp);
void attention_backward_cuda(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                             const Tensor& logsumexp, const Tensor& grad_out, const Tensor& key_lengths,
                             const AttentionOptions& options, Tensor& grad_q, Tensor& grad_k, Tensor& grad_v);

}  // namespace xlm
