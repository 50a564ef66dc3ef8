// TransformerModel: construction in XLM's parameter order, the forward pass
// of XLM's TransformerModel.fwd, the tied output layer and state_dict I/O.
// Default positions are built on the host (B*T values, negligible next to
// the layers) and queued to the device (an asynchronous copy); the padding
// mask is built on the lengths' device (length_mask), so the forward pass
// never reads the lengths back.
#include "nn/transformer.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/op_profile.h"
#include "kernels/add/add.h"
#include "kernels/cast/cast.h"
#include "kernels/gather_rows/gather_rows.h"
#include "kernels/length_mask/length_check.h"
#include "kernels/length_mask/length_mask.h"
#include "kernels/matmul/matmul.h"
#include "kernels/scale_rows/scale_rows.h"
#include "nn/init.h"
#include "nn/sinusoidal.h"

#include <cmath>
#include <cstring>
#include <set>

namespace xlm::nn {

TransformerModel::TransformerModel(TransformerConfig config, uint64_t init_seed, Device device, DType dtype)
    : config_(std::move(config)), device_(device), dtype_(dtype) {
  config_.validate();
  XLM_CHECK(is_floating(dtype_), DTypeError, "TransformerModel: parameters must be floating, got {}",
            dtype_name(dtype_));
  const TransformerConfig& c = config_;
  const int64_t D = c.emb_dim;
  if (c.sinusoidal_embeddings) {
    position_embeddings_.weight = sinusoidal_embeddings(c.max_positions, D, dtype_, device_);  // frozen
  } else {
    position_embeddings_ =
        EmbeddingTable::create("position_embeddings.weight", c.max_positions, D, init_seed, dtype_, device_);
  }
  if (c.has_lang_embeddings())
    lang_embeddings_ = EmbeddingTable::create("lang_embeddings.weight", c.n_langs, D, init_seed, dtype_, device_);
  embeddings_ = EmbeddingTable::create("embeddings.weight", c.n_words, D, init_seed, dtype_, device_, c.pad_index);
  layer_norm_emb_ = LayerNormLayer::create(D, c.layer_norm_eps, dtype_, device_);
  layers_.resize(static_cast<size_t>(c.n_layers));
  for (int64_t i = 0; i < c.n_layers; ++i) {
    Layer& L = layers_[static_cast<size_t>(i)];
    const std::string id = std::to_string(i);
    L.attention = MultiHeadAttention("attentions." + id, D, c.n_heads, c.attention_dropout, init_seed, dtype_, device_);
    L.layer_norm1 = LayerNormLayer::create(D, c.layer_norm_eps, dtype_, device_);
    if (c.is_decoder) {
      L.encoder_attn =
          MultiHeadAttention("encoder_attn." + id, D, c.n_heads, c.attention_dropout, init_seed, dtype_, device_);
      L.layer_norm15 = LayerNormLayer::create(D, c.layer_norm_eps, dtype_, device_);
    }
    L.ffn = TransformerFFN("ffns." + id, D, c.hidden_dim(), c.dropout, c.gelu_activation, init_seed, dtype_, device_);
    L.layer_norm2 = LayerNormLayer::create(D, c.layer_norm_eps, dtype_, device_);
  }
  pred_bias_ = init_uniform({c.n_words}, 1.0 / std::sqrt(static_cast<double>(D)), init_seed, "pred_layer.proj.bias",
                            dtype_, device_);
  pred_bias_.set_requires_grad(true);
}

namespace {

void check_ids(const Tensor& t, const Shape& shape, Device device, const char* arg) {
  XLM_CHECK(t.defined(), ShapeError, "TransformerModel::forward: {} is required", arg);
  check_dtype(t, DType::i64, "TransformerModel::forward", arg);
  check_shape(t, shape, "TransformerModel::forward", arg);
  XLM_CHECK(t.device() == device, DeviceError, "TransformerModel::forward: {} is on {}, the model on {}", arg,
            t.device().str(), device.str());
}

}  // namespace

Tensor TransformerModel::embed(const Tensor& words, const Tensor& positions, const Tensor& langs) const {
  Tensor h = add(embeddings_.forward(words), position_embeddings_.forward(positions));  // (B, T, D)
  if (langs.defined() && config_.has_lang_embeddings()) h = add(h, lang_embeddings_.forward(langs));
  return h;
}

Tensor TransformerModel::residual_norm(const LayerNormLayer& ln, const Tensor& h, const Tensor& f, double p,
                                       const DropoutContext& ctx, const Tensor& row_scale) const {
  profile::RegionScope region("residual_norm");
  if (!fused_kernels_) {
    const Tensor y = ln.forward(add(h, apply_dropout(f, p, ctx)));
    return row_scale.defined() ? scale_rows(y, row_scale) : y;
  }
  // Draws as apply_dropout would; the mask multiplies inside the fused op.
  return ln.forward_residual(h, f, residual_dropout(p, f.numel(), ctx), row_scale);
}

Tensor TransformerModel::forward(const ForwardArgs& args) {
  XLM_CHECK(args.words.defined() && args.words.dim() == 2, ShapeError,
            "TransformerModel::forward: words must be (B, T), got {}",
            args.words.defined() ? args.words.describe() : "undefined");
  const int64_t B = args.words.size(0), T = args.words.size(1);
  check_ids(args.words, {B, T}, device_, "words");
  check_ids(args.lengths, {B}, device_, "lengths");
  DecoderCache* cache = args.cache;
  const int64_t start = cache != nullptr ? cache->slen : 0;  // absolute position of the first new token

  // Lengths stay where they are: checked in place on the CPU, by a kernel on a
  // device (reported at the next device read, kernels/length_mask/length_check.h).
  const auto raise = [limit = start + T](int64_t b, int64_t v, const std::string& suffix) {
    throw ShapeError(
        fmt::format("TransformerModel::forward: lengths[{}] = {} is outside [1, {}]{}", b, v, limit, suffix));
  };
  check_lengths_in_range(args.lengths, 1, start + T, raise);

  const bool cross = args.src_enc.defined();
  XLM_CHECK(cross == args.src_len.defined(), ShapeError,
            "TransformerModel::forward: src_enc and src_len must be given together");
  if (cross) {
    XLM_CHECK(config_.is_decoder, ConfigError, "TransformerModel::forward: src_enc given to an encoder (is_decoder false)");
    XLM_CHECK(args.src_enc.dim() == 3 && args.src_enc.size(0) == B && args.src_enc.size(2) == config_.emb_dim,
              ShapeError, "TransformerModel::forward: src_enc must be (B={}, S, {}), got {}", B, config_.emb_dim,
              args.src_enc.describe());
    check_ids(args.src_len, {B}, device_, "src_len");
  }

  Tensor positions = args.positions;
  if (positions.defined()) {
    check_ids(positions, {B, T}, device_, "positions");
  } else {
    XLM_CHECK(start + T <= config_.max_positions, IndexError,
              "TransformerModel::forward: position {} exceeds max_positions {}", start + T - 1, config_.max_positions);
    std::vector<int64_t> pos(static_cast<size_t>(B * T));  // (B, T)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t) pos[static_cast<size_t>(b * T + t)] = start + t;
    positions = Tensor::from_vector(pos, {B, T}, device_);
  }
  if (args.langs.defined()) check_ids(args.langs, {B, T}, device_, "langs");

  // 1 where the (absolute) position is inside the sentence, 0 on padding.
  Tensor mask;  // (B, T)
  {
    profile::RegionScope region("input_block");
    mask = length_mask(args.lengths, T, start, dtype_);
  }

  if (cache != nullptr) {
    cache->self_attn.resize(layers_.size());
    cache->cross_attn.resize(layers_.size());
  }
  const DropoutContext ctx = dropout_context();
  const double p = config_.dropout;

  // Profile regions (core/op_profile.h) name the parts of the model a step's
  // time is reported by: input_block, attention, ffn, residual_norm.
  Tensor h;
  {
    profile::RegionScope region("input_block");
    h = layer_norm_emb_.forward(embed(args.words, positions, args.langs));  // (B, T, D)
    h = apply_dropout(h, p, ctx);
    h = scale_rows(h, mask);
  }
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& L = layers_[i];
    Tensor attn;
    {
      profile::RegionScope region("attention");
      attn = L.attention.self_attention(h, args.lengths, args.causal, ctx,
                                        cache != nullptr ? &cache->self_attn[i] : nullptr);
    }
    h = residual_norm(L.layer_norm1, h, attn, p, ctx);
    if (cross) {
      {
        profile::RegionScope region("attention");
        attn = L.encoder_attn.cross_attention(h, args.src_enc, args.src_len, ctx,
                                              cache != nullptr ? &cache->cross_attn[i] : nullptr);
      }
      h = residual_norm(L.layer_norm15, h, attn, p, ctx);
    }
    Tensor ffn;
    {
      profile::RegionScope region("ffn");
      ffn = L.ffn.forward_undropped(h, fused_kernels_);  // (B, T, D), before its output dropout
    }
    h = residual_norm(L.layer_norm2, h, ffn, L.ffn.dropout(), ctx, mask);  // XLM's `tensor *= mask` after a layer
  }
  if (cache != nullptr) cache->slen += T;
  return h;
}

namespace {

// Rows of a (B, ...) cache tensor picked by index (N) -> (N, ...).
Tensor gather_cache_rows(const Tensor& t, const Tensor& index) {
  if (!t.defined()) return t;
  Shape shape = t.shape();
  const int64_t rows = shape[0];
  const Tensor flat = t.reshape({rows, rows == 0 ? 0 : t.numel() / rows});  // (B, Tk*H*Dh)
  shape[0] = index.size(0);
  return gather_rows(flat, index).reshape(shape);
}

}  // namespace

void DecoderCache::reorder(const Tensor& index) {
  XLM_CHECK(index.defined() && index.dim() == 1, ShapeError, "DecoderCache::reorder: index must be (N), got {}",
            index.defined() ? index.describe() : "undefined");
  autograd::NoGradGuard no_grad;
  for (std::vector<KeyValueCache>* caches : {&self_attn, &cross_attn}) {
    for (KeyValueCache& kv : *caches) {
      kv.k = gather_cache_rows(kv.k, index);
      kv.v = gather_cache_rows(kv.v, index);
    }
  }
}

Tensor TransformerModel::predict(const Tensor& rows) const {
  XLM_CHECK(rows.dim() == 2 && rows.size(1) == config_.emb_dim, ShapeError,
            "TransformerModel::predict: rows must be (N, {}), got {}", config_.emb_dim, rows.describe());
  profile::RegionScope region("output");
  return add(matmul(rows, embeddings_.weight, false, true), pred_bias_);  // (N, n_words)
}

NamedTensors TransformerModel::parameters() const {
  NamedTensors out;
  if (!config_.sinusoidal_embeddings) out.emplace_back("position_embeddings.weight", position_embeddings_.weight);
  if (config_.has_lang_embeddings()) out.emplace_back("lang_embeddings.weight", lang_embeddings_.weight);
  out.emplace_back("embeddings.weight", embeddings_.weight);
  layer_norm_emb_.collect("layer_norm_emb", out);
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i].attention.collect(fmt::format("attentions.{}", i), out);
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i].layer_norm1.collect(fmt::format("layer_norm1.{}", i), out);
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i].ffn.collect(fmt::format("ffns.{}", i), out);
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i].layer_norm2.collect(fmt::format("layer_norm2.{}", i), out);
  if (config_.is_decoder) {
    for (size_t i = 0; i < layers_.size(); ++i)
      layers_[i].layer_norm15.collect(fmt::format("layer_norm15.{}", i), out);
    for (size_t i = 0; i < layers_.size(); ++i)
      layers_[i].encoder_attn.collect(fmt::format("encoder_attn.{}", i), out);
  }
  out.emplace_back("pred_layer.proj.bias", pred_bias_);
  return out;
}

NamedTensors TransformerModel::state_dict() const {
  NamedTensors params = parameters();
  NamedTensors out;
  out.reserve(params.size() + 2);
  if (config_.sinusoidal_embeddings) out.emplace_back("position_embeddings.weight", position_embeddings_.weight);
  for (auto& named : params) {
    if (named.first == "pred_layer.proj.bias") out.emplace_back("pred_layer.proj.weight", embeddings_.weight);
    out.push_back(std::move(named));
  }
  return out;
}

namespace {

// `t` as a tensor of `dtype` on `device`, detached.
Tensor converted(const Tensor& t, DType dtype, Device device) {
  Tensor out = t.detach().to(device);
  return out.dtype() == dtype ? out : cast(out, dtype);
}

}  // namespace

void TransformerModel::load_state_dict(const std::map<std::string, Tensor>& tensors, const std::string& source) {
  autograd::NoGradGuard no_grad;
  const NamedTensors expected = state_dict();
  std::set<std::string> known;
  for (const auto& [name, param] : expected) known.insert(name);
  for (const auto& [name, t] : tensors)
    XLM_CHECK(known.count(name) != 0, FormatError, "{}: unexpected parameter '{}' ({}) for this model config", source,
              name, t.describe());

  // Check everything before copying anything, so a failed load leaves the model as it was.
  std::vector<std::pair<Tensor, Tensor>> copies;  // (destination, converted source)
  Tensor tied_copy;
  for (const auto& [name, param] : expected) {
    auto it = tensors.find(name);
    const bool is_tied = name == "pred_layer.proj.weight";
    if (it == tensors.end()) {
      if (is_tied) continue;  // a duplicate of embeddings.weight; its absence loses nothing
      throw FormatError(fmt::format("{}: missing parameter '{}' (expected shape {})", source, name,
                                    shape_str(param.shape())));
    }
    const Tensor& src = it->second;
    XLM_CHECK(src.defined() && is_floating(src.dtype()), FormatError,
              "{}: parameter '{}' must be floating, got {}", source, name, src.defined() ? src.describe() : "undefined");
    XLM_CHECK(src.shape() == param.shape(), FormatError, "{}: parameter '{}' has shape {}, expected {}", source, name,
              shape_str(src.shape()), shape_str(param.shape()));
    Tensor value = converted(src, dtype_, device_);
    if (is_tied) {
      tied_copy = value;
      continue;
    }
    copies.emplace_back(param, value);
  }
  if (tied_copy.defined()) {
    const Tensor host_tied = tied_copy.to(Device::cpu());
    const Tensor host_emb = converted(tensors.at("embeddings.weight"), dtype_, Device::cpu());
    XLM_CHECK(std::memcmp(host_tied.data_ptr(), host_emb.data_ptr(), host_emb.nbytes()) == 0, FormatError,
              "{}: parameter 'pred_layer.proj.weight' differs from 'embeddings.weight' (they are tied)", source);
  }
  for (auto& [dst, value] : copies) copy_bytes(dst.data_ptr(), dst.device(), value.data_ptr(), value.device(), dst.nbytes());
}

}  // namespace xlm::nn
