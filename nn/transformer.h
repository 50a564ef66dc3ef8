// XLM's TransformerModel (facebookresearch/XLM, src/model/transformer.py),
// encoder or decoder, with its tied output layer. Post-LN blocks exactly as
// the original:
//   h = LN_emb(word[x] + pos[positions] (+ lang[langs])) -> dropout -> zero padding
//   per layer: h = LN1(h + dropout(SelfAttn(h)))
//              decoder with src_enc: h = LN15(h + dropout(CrossAttn(h, src_enc)))
//              h = LN2(h + FFN(h))  (FFN ends with its own dropout) -> zero padding
// Each "LN(h + dropout(f))" runs as one residual_layer_norm op and the FFN's
// lin1 + GELU as one bias_gelu op (set_fused_kernels(false) for the plain ops).
// Parameters are named and ordered as XLM's state_dict, so a model directory
// loads in PyTorch with a few lines. The model works in any floating dtype
// the ops support on its device (f64 on the CPU for gradient checks).
#pragma once

#include "core/tensor.h"
#include "nn/dropout_context.h"
#include "nn/embedding_layer.h"
#include "nn/layer_norm_layer.h"
#include "nn/multi_head_attention.h"
#include "nn/named_tensors.h"
#include "nn/philox_stream.h"
#include "nn/transformer_config.h"
#include "nn/transformer_ffn.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace xlm::nn {

// Per-layer key/value cache for incremental decoding. Start with an empty one
// (DecoderCache{}); each forward appends its T new positions to the
// self-attention caches and advances slen; the encoder's keys/values are
// projected on the first call and reused after. Beam search reorders the
// rows between steps: reorder(index) keeps row index[n] as row n of every
// cached tensor (index (N) i64 on the cache's device, values in [0, B)).
struct DecoderCache {
  int64_t slen = 0;                       // positions already processed
  std::vector<KeyValueCache> self_attn;   // per layer, (B, slen, H, Dh)
  std::vector<KeyValueCache> cross_attn;  // per layer, (B, S, H, Dh)

  void reorder(const Tensor& index);      // every (B, ...) tensor -> (N, ...)
};

struct ForwardArgs {
  Tensor words;                      // (B, T) i64 ids, <pad> after each length
  Tensor lengths;                    // (B) i64, each in [1, T] (with a cache: in [1, cache->slen + T], total lengths)
  bool causal = false;
  Tensor positions;                  // (B, T) i64, or undefined = 0..T-1 on every row (cache->slen.. with a cache)
  Tensor langs;                      // (B, T) i64, or undefined (no language embedding added)
  Tensor src_enc;                    // decoder only: (B, S, D) encoder output
  Tensor src_len;                    // decoder only: (B) i64
  DecoderCache* cache = nullptr;     // decoder incremental generation (no_grad): words are the new T positions
};

class TransformerModel {
 public:
  // Parameters initialised as XLM: embeddings (word, position, language)
  // N(0, emb_dim^-1/2) with the pad row of the word table zero; Linear
  // weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's
  // default); LayerNorm weight 1, bias 0; pred_layer.proj.bias like a
  // Linear bias. Deterministic for `init_seed` on every device (nn/init.h).
  // `dtype` is the parameters' dtype (f32 by default; f64 for CPU gradient checks).
  TransformerModel(TransformerConfig config, uint64_t init_seed, Device device = Device::cpu(),
                   DType dtype = DType::f32);
  const TransformerConfig& config() const { return config_; }
  Device device() const { return device_; }
  DType dtype() const { return dtype_; }

  // Last layer's hidden states (B, T, D); rows past each length are zero.
  Tensor forward(const ForwardArgs& args);
  // The output layer (weight tied to embeddings.weight, own bias):
  // rows (N, D) -> logits (N, n_words).
  Tensor predict(const Tensor& rows) const;

  // Fused kernels (residual_layer_norm, bias_gelu; default) or the unfused
  // composition of the same ops, kept as their reference: both draw the same
  // dropout masks in the same order and compute the same function.
  void set_fused_kernels(bool fused) { fused_kernels_ = fused; }
  bool fused_kernels() const { return fused_kernels_; }

  void set_training(bool training) { training_ = training; }  // dropout on/off (default: training)
  bool training() const { return training_; }
  PhiloxStream& dropout_stream() { return dropout_stream_; }  // every dropout draws from it (checkpointed)

  // Unique trainable tensors (requires_grad leaves), in a fixed order, XLM names.
  // A sinusoidal position table is frozen and so not listed here.
  NamedTensors parameters() const;
  // What model.safetensors holds, in XLM's state_dict order: every parameter,
  // the frozen sinusoidal table if any, and the tied duplicate
  // "pred_layer.proj.weight" (XLM's state_dict has both names).
  NamedTensors state_dict() const;
  // Copies values in (any device/dtype source converted) without replacing the
  // parameter tensors (optimizers keep their handles); FormatError naming
  // `source` and the missing/unexpected/mis-shaped parameter. Tied copies must be equal.
  void load_state_dict(const std::map<std::string, Tensor>& tensors, const std::string& source);

 private:
  struct Layer {
    MultiHeadAttention attention;
    LayerNormLayer layer_norm1;
    MultiHeadAttention encoder_attn;  // decoder only
    LayerNormLayer layer_norm15;      // decoder only
    TransformerFFN ffn;
    LayerNormLayer layer_norm2;
  };
  Tensor embed(const Tensor& words, const Tensor& positions, const Tensor& langs) const;  // (B, T, D)
  // h = ln(h + dropout(f; p)), times row_scale (B, T) per position when given, fused or not.
  Tensor residual_norm(const LayerNormLayer& ln, const Tensor& h, const Tensor& f, double p,
                       const DropoutContext& ctx, const Tensor& row_scale = Tensor()) const;
  DropoutContext dropout_context() { return DropoutContext{training_, &dropout_stream_}; }

  TransformerConfig config_;
  Device device_;
  DType dtype_;
  bool training_ = true;
  bool fused_kernels_ = true;
  PhiloxStream dropout_stream_;
  EmbeddingTable position_embeddings_;
  EmbeddingTable lang_embeddings_;  // only when config_.has_lang_embeddings()
  EmbeddingTable embeddings_;
  LayerNormLayer layer_norm_emb_;
  std::vector<Layer> layers_;
  Tensor pred_bias_;  // (n_words) pred_layer.proj.bias
};

}  // namespace xlm::nn
