// params.json reading/writing and validation of TransformerConfig. Writing
// follows XLM's dump of its `params` (id2lang as an object keyed by the id
// as a string, lang2id alongside); reading accepts id2lang as that object or
// as a plain list, takes XLM's defaults for absent optional fields, and names
// the file and the field in every error.
#include "nn/transformer_config.h"

#include "core/error.h"

#include <set>

namespace xlm::nn {

void TransformerConfig::validate() const {
  auto fail = [](const char* field, const std::string& what) {
    throw ConfigError(fmt::format("model config: {} {}", field, what));
  };
  if (n_words < 1) fail("n_words", fmt::format("must be >= 1, got {}", n_words));
  if (emb_dim < 1) fail("emb_dim", fmt::format("must be >= 1, got {}", emb_dim));
  if (n_layers < 1) fail("n_layers", fmt::format("must be >= 1, got {}", n_layers));
  if (n_heads < 1) fail("n_heads", fmt::format("must be >= 1, got {}", n_heads));
  if (emb_dim % n_heads != 0)
    fail("n_heads", fmt::format("must divide emb_dim {}, got {}", emb_dim, n_heads));
  if (n_langs < 1) fail("n_langs", fmt::format("must be >= 1, got {}", n_langs));
  if (!id2lang.empty()) {
    if (static_cast<int64_t>(id2lang.size()) != n_langs)
      fail("id2lang", fmt::format("has {} names for n_langs {}", id2lang.size(), n_langs));
    std::set<std::string> seen;
    for (const auto& name : id2lang) {
      if (name.empty()) fail("id2lang", "has an empty language name");
      if (!seen.insert(name).second) fail("id2lang", fmt::format("names '{}' twice", name));
    }
  }
  if (!(dropout >= 0 && dropout < 1)) fail("dropout", fmt::format("must be in [0, 1), got {}", dropout));
  if (!(attention_dropout >= 0 && attention_dropout < 1))
    fail("attention_dropout", fmt::format("must be in [0, 1), got {}", attention_dropout));
  if (!share_inout_emb) fail("share_inout_emb", "must be true (only tied input/output embeddings are supported)");
  if (max_positions < 1) fail("max_positions", fmt::format("must be >= 1, got {}", max_positions));
  auto check_index = [&](const char* field, int64_t v) {
    if (v < 0 || v >= n_words) fail(field, fmt::format("must be in [0, n_words {}), got {}", n_words, v));
  };
  check_index("pad_index", pad_index);
  check_index("eos_index", eos_index);
  check_index("mask_index", mask_index);
  if (!(layer_norm_eps > 0)) fail("layer_norm_eps", fmt::format("must be > 0, got {}", layer_norm_eps));
}

std::map<std::string, int64_t> TransformerConfig::lang2id() const {
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i < id2lang.size(); ++i) out[id2lang[i]] = static_cast<int64_t>(i);
  return out;
}

nlohmann::json TransformerConfig::to_json() const {
  nlohmann::json id2lang_json = nlohmann::json::object();
  for (size_t i = 0; i < id2lang.size(); ++i) id2lang_json[std::to_string(i)] = id2lang[i];
  nlohmann::json lang2id_json = nlohmann::json::object();
  for (const auto& [name, id] : lang2id()) lang2id_json[name] = id;
  return nlohmann::json{
      {"n_words", n_words},
      {"emb_dim", emb_dim},
      {"n_layers", n_layers},
      {"n_heads", n_heads},
      {"n_langs", n_langs},
      {"id2lang", id2lang_json},
      {"lang2id", lang2id_json},
      {"dropout", dropout},
      {"attention_dropout", attention_dropout},
      {"gelu_activation", gelu_activation},
      {"sinusoidal_embeddings", sinusoidal_embeddings},
      {"use_lang_emb", use_lang_emb},
      {"share_inout_emb", share_inout_emb},
      {"causal", causal},
      {"is_decoder", is_decoder},
      {"max_positions", max_positions},
      {"pad_index", pad_index},
      {"eos_index", eos_index},
      {"mask_index", mask_index},
      {"layer_norm_eps", layer_norm_eps},
  };
}

namespace {

[[noreturn]] void bad_field(const std::string& source, const char* field, const std::string& what) {
  throw FormatError(fmt::format("{}: field '{}' {}", source, field, what));
}

void read_int(const nlohmann::json& j, const std::string& source, const char* field, bool required, int64_t& out) {
  auto it = j.find(field);
  if (it == j.end()) {
    if (required) bad_field(source, field, "is missing");
    return;
  }
  if (!it->is_number_integer()) bad_field(source, field, fmt::format("must be an integer, got {}", it->dump()));
  out = it->get<int64_t>();
}

void read_double(const nlohmann::json& j, const std::string& source, const char* field, double& out) {
  auto it = j.find(field);
  if (it == j.end()) return;
  if (!it->is_number()) bad_field(source, field, fmt::format("must be a number, got {}", it->dump()));
  out = it->get<double>();
}

void read_bool(const nlohmann::json& j, const std::string& source, const char* field, bool& out) {
  auto it = j.find(field);
  if (it == j.end()) return;
  if (!it->is_boolean()) bad_field(source, field, fmt::format("must be true or false, got {}", it->dump()));
  out = it->get<bool>();
}

std::vector<std::string> read_id2lang(const nlohmann::json& v, const std::string& source) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& name : v) {
      if (!name.is_string()) bad_field(source, "id2lang", fmt::format("must hold strings, got {}", name.dump()));
      out.push_back(name.get<std::string>());
    }
    return out;
  }
  if (!v.is_object()) bad_field(source, "id2lang", "must be an object {\"0\": \"en\", ...} or a list");
  out.resize(v.size());
  std::vector<bool> filled(v.size(), false);
  for (auto it = v.begin(); it != v.end(); ++it) {
    size_t id = 0;
    size_t used = 0;
    try {
      id = std::stoul(it.key(), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != it.key().size() || id >= out.size() || filled[id])
      bad_field(source, "id2lang", fmt::format("key '{}' is not a distinct id in [0, {})", it.key(), out.size()));
    if (!it.value().is_string())
      bad_field(source, "id2lang", fmt::format("value of '{}' must be a string", it.key()));
    out[id] = it.value().get<std::string>();
    filled[id] = true;
  }
  return out;
}

}  // namespace

TransformerConfig TransformerConfig::from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw FormatError(fmt::format("{}: expected a JSON object of model parameters", source));
  TransformerConfig c;
  read_int(j, source, "n_words", true, c.n_words);
  read_int(j, source, "emb_dim", true, c.emb_dim);
  read_int(j, source, "n_layers", true, c.n_layers);
  read_int(j, source, "n_heads", true, c.n_heads);
  read_int(j, source, "n_langs", true, c.n_langs);
  read_int(j, source, "max_positions", false, c.max_positions);
  read_int(j, source, "pad_index", false, c.pad_index);
  read_int(j, source, "eos_index", false, c.eos_index);
  read_int(j, source, "mask_index", false, c.mask_index);
  read_double(j, source, "dropout", c.dropout);
  read_double(j, source, "attention_dropout", c.attention_dropout);
  read_double(j, source, "layer_norm_eps", c.layer_norm_eps);
  read_bool(j, source, "gelu_activation", c.gelu_activation);
  read_bool(j, source, "sinusoidal_embeddings", c.sinusoidal_embeddings);
  read_bool(j, source, "use_lang_emb", c.use_lang_emb);
  read_bool(j, source, "share_inout_emb", c.share_inout_emb);
  read_bool(j, source, "causal", c.causal);
  read_bool(j, source, "is_decoder", c.is_decoder);
  if (auto it = j.find("id2lang"); it != j.end()) c.id2lang = read_id2lang(*it, source);
  if (auto it = j.find("lang2id"); it != j.end()) {
    if (!it->is_object()) bad_field(source, "lang2id", "must be an object {\"en\": 0, ...}");
    std::map<std::string, int64_t> given;
    for (auto kv = it->begin(); kv != it->end(); ++kv) {
      if (!kv.value().is_number_integer())
        bad_field(source, "lang2id", fmt::format("value of '{}' must be an integer", kv.key()));
      given[kv.key()] = kv.value().get<int64_t>();
    }
    if (c.id2lang.empty() && !given.empty()) {
      c.id2lang.assign(given.size(), "");
      for (const auto& [name, id] : given) {
        if (id < 0 || id >= static_cast<int64_t>(given.size()) || !c.id2lang[static_cast<size_t>(id)].empty())
          bad_field(source, "lang2id", fmt::format("id {} of '{}' is not a distinct id in [0, {})", id, name,
                                                   given.size()));
        c.id2lang[static_cast<size_t>(id)] = name;
      }
    } else if (given != c.lang2id()) {
      bad_field(source, "lang2id", "disagrees with id2lang");
    }
  }
  try {
    c.validate();
  } catch (const ConfigError& e) {
    throw FormatError(fmt::format("{}: {}", source, e.what()));
  }
  return c;
}

}  // namespace xlm::nn
