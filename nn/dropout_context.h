// What every dropout in the model needs to know: whether the model is
// training and where to draw masks from. Passed down the module tree by value
// so that modules hold no back-pointer to the model. A dropout is an identity
// (no op, no draw) when not training or p == 0, as F.dropout(training=False).
#pragma once

#include "core/tensor.h"
#include "kernels/attention/attention.h"
#include "kernels/residual_layer_norm/residual_layer_norm.h"
#include "nn/philox_stream.h"

namespace xlm::nn {

struct DropoutContext {
  bool training = false;
  PhiloxStream* stream = nullptr;  // required when training
};

// x with inverted dropout p applied (a fresh mask of x.numel() draws), or x itself.
Tensor apply_dropout(const Tensor& x, double p, const DropoutContext& ctx);

// The dropout a fused op applies to a tensor of `numel` elements: reserves
// numel draws exactly as apply_dropout would (so masks and the stream's
// offset match the unfused path), or p = 0 when dropout is inactive.
ResidualDropout residual_dropout(double p, int64_t numel, const DropoutContext& ctx);

// Attention options for dropout p on a (B, H, Tq, Tk) weight tensor: reserves
// B*H*Tq*Tk draws (what kernels/attention uses per call) when dropout is active.
AttentionOptions attention_dropout_options(bool causal, double p, int64_t batch, int64_t heads, int64_t q_len,
                                           int64_t k_len, const DropoutContext& ctx);

}  // namespace xlm::nn
