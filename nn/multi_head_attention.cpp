// Multi-head attention over the attention op. Heads are a reshape of the
// projections ((B, T, D) -> (B, T, H, Dh) is free on contiguous tensors); the
// 1/sqrt(Dh) scaling XLM applies to q is done inside the attention op.
#include "nn/multi_head_attention.h"

#include "core/error.h"
#include "kernels/attention/attention.h"
#include "kernels/concat/concat.h"

namespace xlm::nn {

MultiHeadAttention::MultiHeadAttention(const std::string& name, int64_t dim, int64_t n_heads, double dropout,
                                       uint64_t seed, DType dtype, Device device)
    : dim_(dim),
      n_heads_(n_heads),
      dropout_(dropout),
      q_lin_(Linear::create(name + ".q_lin", dim, dim, seed, dtype, device)),
      k_lin_(Linear::create(name + ".k_lin", dim, dim, seed, dtype, device)),
      v_lin_(Linear::create(name + ".v_lin", dim, dim, seed, dtype, device)),
      out_lin_(Linear::create(name + ".out_lin", dim, dim, seed, dtype, device)) {
  XLM_CHECK(n_heads > 0 && dim % n_heads == 0, ConfigError, "{}: n_heads {} must divide dim {}", name, n_heads, dim);
}

Tensor MultiHeadAttention::heads(const Tensor& x) const {
  return x.reshape({x.size(0), x.size(1), n_heads_, dim_ / n_heads_});
}

Tensor MultiHeadAttention::attend(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_lengths,
                                  bool causal, const DropoutContext& ctx) const {
  const int64_t B = q.size(0), Tq = q.size(1), Tk = k.size(1);
  const AttentionOptions options = attention_dropout_options(causal, dropout_, B, n_heads_, Tq, Tk, ctx);
  Tensor context = attention(q, k, v, key_lengths, options);  // (B, Tq, H, Dh)
  return out_lin_.forward(context.reshape({B, Tq, dim_}));     // (B, Tq, D)
}

Tensor MultiHeadAttention::self_attention(const Tensor& x, const Tensor& key_lengths, bool causal,
                                          const DropoutContext& ctx, KeyValueCache* cache) const {
  XLM_CHECK(x.dim() == 3 && x.size(2) == dim_, ShapeError, "self_attention: x must be (B, T, {}), got {}", dim_,
            x.describe());
  Tensor q = heads(q_lin_.forward(x));  // (B, T, H, Dh)
  Tensor k = heads(k_lin_.forward(x));  // (B, T, H, Dh)
  Tensor v = heads(v_lin_.forward(x));  // (B, T, H, Dh)
  if (cache != nullptr) {
    if (cache->k.defined()) {
      k = concat({cache->k, k}, 1);  // (B, cached + T, H, Dh)
      v = concat({cache->v, v}, 1);
    }
    cache->k = k;
    cache->v = v;
  }
  return attend(q, k, v, key_lengths, causal, ctx);
}

Tensor MultiHeadAttention::cross_attention(const Tensor& x, const Tensor& src, const Tensor& src_lengths,
                                           const DropoutContext& ctx, KeyValueCache* cache) const {
  XLM_CHECK(x.dim() == 3 && x.size(2) == dim_, ShapeError, "cross_attention: x must be (B, T, {}), got {}", dim_,
            x.describe());
  XLM_CHECK(src.dim() == 3 && src.size(0) == x.size(0) && src.size(2) == dim_, ShapeError,
            "cross_attention: src must be (B={}, S, {}), got {}", x.size(0), dim_, src.describe());
  Tensor q = heads(q_lin_.forward(x));  // (B, T, H, Dh)
  Tensor k, v;                          // (B, S, H, Dh)
  if (cache != nullptr && cache->k.defined()) {
    k = cache->k;
    v = cache->v;
  } else {
    k = heads(k_lin_.forward(src));
    v = heads(v_lin_.forward(src));
    if (cache != nullptr) {
      cache->k = k;
      cache->v = v;
    }
  }
  return attend(q, k, v, src_lengths, false, ctx);
}

void MultiHeadAttention::collect(const std::string& name, NamedTensors& out) const {
  q_lin_.collect(name + ".q_lin", out);
  k_lin_.collect(name + ".k_lin", out);
  v_lin_.collect(name + ".v_lin", out);
  out_lin_.collect(name + ".out_lin", out);
}

}  // namespace xlm::nn
