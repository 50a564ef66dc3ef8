// The hyper-parameters of an XLM TransformerModel, spelled as XLM's
// params.json spells them so that a model directory reads like the original's.
// One struct, validated in one place: the model constructor, the trainer's
// flags and load_model_dir all go through validate().
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace xlm::nn {

struct TransformerConfig {           // XLM's params.json names
  int64_t n_words = 0;
  int64_t emb_dim = 512;
  int64_t n_layers = 4;
  int64_t n_heads = 8;               // emb_dim % n_heads == 0
  int64_t n_langs = 1;
  std::vector<std::string> id2lang;  // n_langs names (or empty: unnamed); lang2id derived
  double dropout = 0.1;
  double attention_dropout = 0.1;
  bool gelu_activation = true;       // false: ReLU
  bool sinusoidal_embeddings = false;
  bool use_lang_emb = true;
  bool share_inout_emb = true;       // only true is supported (XLM's default)
  bool causal = false;               // the model was trained as a CLM-only model (metadata)
  bool is_decoder = false;           // adds encoder_attn + layer_norm15 per layer
  int64_t max_positions = 512;       // XLM's N_MAX_POSITIONS
  int64_t pad_index = 2, eos_index = 1, mask_index = 5;
  double layer_norm_eps = 1e-12;

  void validate() const;                             // ConfigError naming the field
  nlohmann::json to_json() const;                    // params.json, incl. lang2id, emb_dim, ...
  static TransformerConfig from_json(const nlohmann::json& j, const std::string& source);  // FormatError naming source+field

  // Derived values.
  std::map<std::string, int64_t> lang2id() const;
  int64_t head_dim() const { return emb_dim / n_heads; }
  int64_t hidden_dim() const { return 4 * emb_dim; }  // XLM's FFN width
  bool has_lang_embeddings() const { return use_lang_emb && n_langs > 1; }  // as XLM: a table only when useful
};

}  // namespace xlm::nn
