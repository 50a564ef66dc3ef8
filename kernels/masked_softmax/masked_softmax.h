// Attention softmax with XLM's two masks fused in, so attention never builds
// a (B, H, Tq, Tk) mask tensor: padding (key j is masked when
// j >= key_lengths[b]) and causality (when `causal`, key j is masked for
// query i when j > i + (Tk - Tq), i.e. the queries are the last Tq positions
// of the keys' sequence: self-attention when Tq == Tk, incremental decoding
// when Tq < Tk). Both masks keep a prefix of the keys, so a row's visible keys
// are j < limit(b, i) = min(key_lengths[b], causal ? i + Tk - Tq + 1 : Tk).
//   masked_softmax(scores, key_lengths, causal, scale):
//     scores (B, ..., Tq, Tk) floating, rank >= 3
//     key_lengths (B,) i32 or i64 on scores' device, each in [0, Tk]; or an
//       undefined Tensor for no padding mask
//     y = softmax_j(scale * scores) over the visible keys, 0 on masked keys;
//       a row with no visible key is all zeros (never NaN)    -> scores' shape and dtype
//   masked_softmax_backward(y, grad_y, scale):
//     grad_scores = scale * y * (grad_y - sum_j(grad_y * y))  (0 where y is masked)
// CPU: f32, f64 (sums in double). CUDA: f32, bf16, f16 (softmax in fp32).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor masked_softmax(const Tensor& scores, const Tensor& key_lengths, bool causal, double scale);
Tensor masked_softmax_backward(const Tensor& y, const Tensor& grad_y, double scale);

// Backend twins (write into preallocated outputs of scores' shape and dtype;
// key_lengths may be undefined).
void masked_softmax_forward_cpu(const Tensor& scores, const Tensor& key_lengths, bool causal, double scale,
                                Tensor& y);
void masked_softmax_backward_cpu(const Tensor& y, const Tensor& grad_y, double scale, Tensor& grad_scores);
void masked_softmax_forward_cuda(const Tensor& scores, const Tensor& key_lengths, bool causal, double scale,
                                 Tensor& y);
void masked_softmax_backward_cuda(const Tensor& y, const Tensor& grad_y, double scale, Tensor& grad_scores);

}  // namespace xlm
