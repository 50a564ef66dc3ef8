// The Hugging Face XLM layout, as a pure mapping to and from ours: parameter
// names (HF's XLMWithLMHeadModel keeps XLM's names under a `transformer.`
// prefix, the output layer `pred_layer.proj` at the top level), config.json
// keys (XLM's params names plus HF's vocab_size / max_position_embeddings /
// is_encoder), and the vocabulary's end-of-word convention (fastBPE marks
// non-final pieces with `@@`, HF's vocab.json marks final pieces with `</w>`).
// No file access here, so every rule is unit-testable on its own.
#pragma once

#include "nn/transformer_config.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace xlm::tasks {

// "embeddings.weight" -> "transformer.embeddings.weight"; "pred_layer.*" unchanged.
std::string hf_param_name(const std::string& xlm_name);
// The inverse; "" for names that carry no parameter (HF's `transformer.position_ids` buffer).
// FormatError naming `source` for a name outside both prefixes.
std::string xlm_param_name(const std::string& hf_name, const std::string& source);

// config.json for XLMWithLMHeadModel. ConfigError for a decoder (HF's XLM is encoder-only).
nlohmann::json hf_config_json(const nn::TransformerConfig& config);
// From a config.json (model_type "xlm"); FormatError naming `source` and the field.
// max_position_embeddings absent: left at -1 for the caller to take from the tensor.
nn::TransformerConfig config_from_hf_json(const nlohmann::json& j, const std::string& source);

// One vocabulary entry, by id. Ids below text::kFirstWordIndex are XLM's
// special words and are the same in both conventions.
std::string hf_token(const std::string& xlm_word, int64_t id);   // "le@@" -> "le", "er" -> "er</w>"
std::string xlm_word(const std::string& hf_token, int64_t id);   // "le" -> "le@@", "er</w>" -> "er"

// vocab.json object {token: id} from id-ordered words (specials first).
nlohmann::json hf_vocab_json(const std::vector<std::string>& xlm_words);
// Id-ordered fastBPE words from a vocab.json object: ids must be 0..N-1 once
// each and 0..13 XLM's special words. FormatError naming `source`.
std::vector<std::string> xlm_words_from_hf_vocab(const nlohmann::json& vocab, const std::string& source);

}  // namespace xlm::tasks
