// XLM's MultiHeadAttention: q/k/v/out projections (dim -> dim) around the
// attention op, used as self-attention and, in the decoder, as attention over
// the encoder output. Dropout (attention_dropout) acts on the attention
// weights. For incremental decoding a KeyValueCache keeps the projected keys
// and values: self-attention appends each call's new ones (concat along
// time), cross-attention projects the source once and reuses it.
#pragma once

#include "nn/dropout_context.h"
#include "nn/linear.h"

#include <cstdint>
#include <string>

namespace xlm::nn {

struct KeyValueCache {
  Tensor k;  // (B, Tk, H, Dh), undefined until first filled
  Tensor v;  // (B, Tk, H, Dh)
};

class MultiHeadAttention {
 public:
  MultiHeadAttention() = default;
  // `name` is the XLM prefix, "attentions.3" or "encoder_attn.3".
  MultiHeadAttention(const std::string& name, int64_t dim, int64_t n_heads, double dropout, uint64_t seed, DType dtype,
                     Device device);

  // x (B, T, D) attends to itself; keys past key_lengths[b] are hidden; with
  // `causal`, query i sees keys j <= i + (Tk - T). With a cache, the keys and
  // values of x are appended to the cached ones first (Tk = cached + T).
  Tensor self_attention(const Tensor& x, const Tensor& key_lengths, bool causal, const DropoutContext& ctx,
                        KeyValueCache* cache = nullptr) const;
  // x (B, T, D) attends to src (B, S, D) with src_lengths (B). With a cache,
  // src is projected on the first call only.
  Tensor cross_attention(const Tensor& x, const Tensor& src, const Tensor& src_lengths, const DropoutContext& ctx,
                         KeyValueCache* cache = nullptr) const;

  void collect(const std::string& name, NamedTensors& out) const;  // name.{q,k,v,out}_lin.{weight,bias}

 private:
  Tensor heads(const Tensor& x) const;  // (B, T, D) -> (B, T, H, Dh)
  Tensor attend(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_lengths, bool causal,
                const DropoutContext& ctx) const;  // -> (B, Tq, D) after out_lin

  int64_t dim_ = 0;
  int64_t n_heads_ = 1;
  double dropout_ = 0;
  Linear q_lin_, k_lin_, v_lin_, out_lin_;
};

}  // namespace xlm::nn
