// See mt_reload.h. The strict nn::TransformerModel::load_state_dict stays
// the only loader: the allowed gaps are filled with the decoder's own tensors
// first, so every other check (unexpected names, shapes, tied copies) holds.
#include "tasks/pretrain/mt_reload.h"

#include "core/error.h"
#include "nn/model_dir.h"

#include <filesystem>

namespace xlm::tasks {

bool is_cross_attention_name(const std::string& name) {
  return name.rfind("encoder_attn.", 0) == 0 || name.rfind("layer_norm15.", 0) == 0;
}

std::vector<std::string> load_decoder_weights(nn::TransformerModel& decoder, std::map<std::string, Tensor> weights,
                                              const std::string& source) {
  std::vector<std::string> kept;
  for (const auto& [name, tensor] : decoder.state_dict()) {
    if (weights.count(name) != 0 || !is_cross_attention_name(name)) continue;
    weights[name] = tensor;
    kept.push_back(name);
  }
  decoder.load_state_dict(weights, source);
  return kept;
}

std::vector<std::string> reload_into(nn::TransformerModel& model, const std::string& dir, const std::string& flag) {
  XLM_CHECK(std::filesystem::is_directory(dir), ConfigError, "{} {}: no such folder", flag, dir);
  nn::LoadedModel loaded = nn::load_model_dir(dir, model.device());
  const nn::TransformerConfig& want = model.config();
  XLM_CHECK(loaded.config.n_words == want.n_words && loaded.config.emb_dim == want.emb_dim &&
                loaded.config.n_layers == want.n_layers && loaded.config.n_heads == want.n_heads,
            ConfigError,
            "{} {}: its model (n_words {}, emb_dim {}, n_layers {}, n_heads {}) does not match this "
            "run's (n_words {}, emb_dim {}, n_layers {}, n_heads {})",
            flag, dir, loaded.config.n_words, loaded.config.emb_dim, loaded.config.n_layers, loaded.config.n_heads,
            want.n_words, want.emb_dim, want.n_layers, want.n_heads);
  XLM_CHECK(!loaded.config.is_decoder || want.is_decoder, ConfigError,
            "{} {}: a decoder's directory cannot initialise an encoder", flag, dir);
  std::map<std::string, Tensor> weights;
  for (auto& [name, t] : loaded.model->state_dict()) weights[name] = t;
  if (want.is_decoder) return load_decoder_weights(model, std::move(weights), dir);
  model.load_state_dict(weights, dir);
  return {};
}

}  // namespace xlm::tasks
