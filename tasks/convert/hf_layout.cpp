// Name, config and vocabulary rules of the HF XLM layout; see hf_layout.h.
// The config is translated into XLM's params names and then read by
// TransformerConfig::from_json, so validation and its messages stay in one place.
#include "tasks/convert/hf_layout.h"

#include "core/error.h"
#include "text/dictionary.h"

#include <fmt/format.h>

#include <cmath>

namespace xlm::tasks {

namespace {

constexpr const char* kPrefix = "transformer.";
constexpr const char* kEndOfWord = "</w>";
constexpr const char* kContinuation = "@@";

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

std::string special_word(int64_t id) {
  switch (id) {
    case 0: return "<s>";
    case 1: return "</s>";
    case 2: return "<pad>";
    case 3: return "<unk>";
    default: return fmt::format("<special{}>", id - 4);
  }
}

}  // namespace

std::string hf_param_name(const std::string& xlm_name) {
  if (starts_with(xlm_name, "pred_layer.")) return xlm_name;
  return kPrefix + xlm_name;
}

std::string xlm_param_name(const std::string& hf_name, const std::string& source) {
  if (starts_with(hf_name, "pred_layer.")) return hf_name;
  if (hf_name == "transformer.position_ids") return "";
  if (!starts_with(hf_name, kPrefix))
    throw FormatError(fmt::format("{}: tensor '{}' is neither 'transformer.*' nor 'pred_layer.*' (not an XLMWithLMHeadModel "
                                  "or XLMModel checkpoint)",
                                  source, hf_name));
  return hf_name.substr(std::string(kPrefix).size());
}

nlohmann::json hf_config_json(const nn::TransformerConfig& c) {
  if (c.is_decoder)
    throw ConfigError("convert --to hf: the model is a decoder (is_decoder true); Hugging Face's XLM is encoder-only");
  const nlohmann::json ours = c.to_json();
  nlohmann::json j = {
      {"architectures", {"XLMWithLMHeadModel"}},
      {"model_type", "xlm"},
      {"vocab_size", c.n_words},
      {"n_words", c.n_words},
      {"emb_dim", c.emb_dim},
      {"n_layers", c.n_layers},
      {"n_heads", c.n_heads},
      {"n_langs", c.n_langs},
      {"use_lang_emb", c.use_lang_emb},
      {"id2lang", ours["id2lang"]},
      {"lang2id", ours["lang2id"]},
      {"dropout", c.dropout},
      {"attention_dropout", c.attention_dropout},
      {"gelu_activation", c.gelu_activation},
      {"sinusoidal_embeddings", c.sinusoidal_embeddings},
      {"causal", c.causal},
      {"asm", false},
      {"is_encoder", true},
      {"max_position_embeddings", c.max_positions},
      {"layer_norm_eps", c.layer_norm_eps},
      {"bos_index", text::kBosIndex},
      {"eos_index", c.eos_index},
      {"pad_index", c.pad_index},
      {"unk_index", text::kUnkIndex},
      {"mask_index", c.mask_index},
      {"bos_token_id", text::kBosIndex},
      {"pad_token_id", c.pad_index},
      {"embed_init_std", 1.0 / std::sqrt(static_cast<double>(c.emb_dim))},
      {"init_std", 0.02},
  };
  return j;
}

nn::TransformerConfig config_from_hf_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw FormatError(fmt::format("{}: expected a JSON object", source));
  auto type = j.find("model_type");
  if (type != j.end() && *type != "xlm")
    throw FormatError(fmt::format("{}: field 'model_type' must be \"xlm\", got {}", source, type->dump()));
  auto flag = [&](const char* field, bool fallback) {
    auto it = j.find(field);
    if (it == j.end()) return fallback;
    if (!it->is_boolean()) throw FormatError(fmt::format("{}: field '{}' must be true or false, got {}", source, field, it->dump()));
    return it->get<bool>();
  };
  if (!flag("is_encoder", true))
    throw FormatError(fmt::format("{}: field 'is_encoder' is false; only XLM encoders are supported", source));
  if (flag("asm", false))
    throw FormatError(fmt::format("{}: field 'asm' is true; the adaptive-softmax output layer is not supported", source));

  // XLM's params names, HF's aliases where HF renamed them.
  nlohmann::json p = nlohmann::json::object();
  for (const char* field : {"emb_dim", "n_layers", "n_heads", "n_langs", "id2lang", "lang2id", "dropout",
                            "attention_dropout", "gelu_activation", "sinusoidal_embeddings", "use_lang_emb", "causal",
                            "pad_index", "eos_index", "mask_index", "layer_norm_eps"}) {
    if (auto it = j.find(field); it != j.end()) p[field] = *it;
  }
  if (auto it = j.find("vocab_size"); it != j.end()) {
    p["n_words"] = *it;
  } else if (auto w = j.find("n_words"); w != j.end()) {
    p["n_words"] = *w;
  } else {
    throw FormatError(fmt::format("{}: field 'vocab_size' (or 'n_words') is missing", source));
  }
  if (!p.contains("n_langs")) p["n_langs"] = 1;  // HF's default
  if (auto it = j.find("max_position_embeddings"); it != j.end()) p["max_positions"] = *it;
  nn::TransformerConfig c = nn::TransformerConfig::from_json(p, source);
  if (!j.contains("max_position_embeddings")) c.max_positions = -1;
  return c;
}

std::string hf_token(const std::string& xlm_word, int64_t id) {
  if (id < text::kFirstWordIndex) return xlm_word;
  if (ends_with(xlm_word, kContinuation)) return xlm_word.substr(0, xlm_word.size() - 2);
  return xlm_word + kEndOfWord;
}

std::string xlm_word(const std::string& hf_token, int64_t id) {
  if (id < text::kFirstWordIndex) return hf_token;
  if (ends_with(hf_token, kEndOfWord)) return hf_token.substr(0, hf_token.size() - 4);
  return hf_token + kContinuation;
}

nlohmann::json hf_vocab_json(const std::vector<std::string>& xlm_words) {
  nlohmann::json j = nlohmann::json::object();
  for (size_t id = 0; id < xlm_words.size(); ++id) j[hf_token(xlm_words[id], static_cast<int64_t>(id))] = id;
  return j;
}

std::vector<std::string> xlm_words_from_hf_vocab(const nlohmann::json& vocab, const std::string& source) {
  if (!vocab.is_object()) throw FormatError(fmt::format("{}: expected a JSON object {{token: id}}", source));
  const size_t n = vocab.size();
  std::vector<std::string> words(n);
  std::vector<bool> seen(n, false);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer())
      throw FormatError(fmt::format("{}: id of token '{}' must be an integer, got {}", source, it.key(), it.value().dump()));
    const int64_t id = it.value().get<int64_t>();
    if (id < 0 || id >= static_cast<int64_t>(n) || seen[static_cast<size_t>(id)])
      throw FormatError(fmt::format("{}: token '{}' has id {}; ids must be 0..{} once each", source, it.key(), id, n - 1));
    seen[static_cast<size_t>(id)] = true;
    words[static_cast<size_t>(id)] = xlm_word(it.key(), id);
  }
  for (int64_t id = 0; id < text::kFirstWordIndex && id < static_cast<int64_t>(n); ++id) {
    if (words[static_cast<size_t>(id)] != special_word(id))
      throw FormatError(fmt::format("{}: id {} is '{}', expected XLM's special word '{}'", source, id,
                                    words[static_cast<size_t>(id)], special_word(id)));
  }
  if (static_cast<int64_t>(n) < text::kFirstWordIndex)
    throw FormatError(fmt::format("{}: {} tokens, fewer than XLM's {} special words", source, n, text::kFirstWordIndex));
  return words;
}

}  // namespace xlm::tasks
