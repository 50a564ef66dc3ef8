// See finetune_layers.h. A parameter's layer is read from its XLM name
// ("attentions.3.q_lin.weight" -> layer 4), so the selection needs no access
// to the model's internals and stays right for any layer count.
#include "tasks/classify/finetune_layers.h"

#include "core/error.h"

#include <cstdlib>

namespace xlm::tasks {

namespace {

int64_t parse_end(const std::string& text, const std::string& part, int64_t n_layers) {
  std::string s = part;
  for (char& c : s) {
    if (c == '_') c = '-';
  }
  char* end = nullptr;
  const long long v = s.empty() ? 0 : std::strtoll(s.c_str(), &end, 10);
  XLM_CHECK(!s.empty() && end != nullptr && *end == '\0', ConfigError,
            "--finetune_layers {}: '{}' is not an integer (write _1 for -1)", text, part);
  const int64_t value = v < 0 ? n_layers + v + 1 : v;
  XLM_CHECK(value >= 0 && value <= n_layers, ConfigError,
            "--finetune_layers {}: '{}' is outside the model's layers (0 = embeddings .. {}, or _1 .. _{})", text,
            part, n_layers, n_layers + 1);
  return value;
}

}  // namespace

LayerRange parse_finetune_layers(const std::string& text, int64_t n_layers) {
  const size_t colon = text.find(':');
  XLM_CHECK(colon != std::string::npos && text.find(':', colon + 1) == std::string::npos, ConfigError,
            "--finetune_layers {}: expected 'first:last', e.g. 0:_1", text);
  LayerRange range;
  range.first = parse_end(text, text.substr(0, colon), n_layers);
  range.last = parse_end(text, text.substr(colon + 1), n_layers);
  return range;
}

bool is_finetuned(const std::string& name, const LayerRange& range) {
  for (const char* prefix : {"embeddings.", "position_embeddings.", "lang_embeddings.", "layer_norm_emb."}) {
    if (name.rfind(prefix, 0) == 0) return range.includes_embeddings();
  }
  for (const char* prefix : {"attentions.", "layer_norm1.", "ffns.", "layer_norm2."}) {
    const std::string p = prefix;
    if (name.rfind(p, 0) == 0) {
      const int64_t index = std::strtoll(name.c_str() + p.size(), nullptr, 10);  // 0-based
      return range.includes_layer(index + 1);
    }
  }
  return false;  // pred_layer.*, decoder-only blocks
}

nn::NamedTensors select_finetuned(const nn::NamedTensors& params, const LayerRange& range) {
  nn::NamedTensors out;
  for (const auto& [name, tensor] : params) {
    Tensor t = tensor;
    const bool train = is_finetuned(name, range);
    t.set_requires_grad(train);
    if (train) out.emplace_back(name, tensor);
  }
  return out;
}

}  // namespace xlm::tasks
