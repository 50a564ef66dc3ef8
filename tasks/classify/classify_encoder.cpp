// See classify_encoder.h. Punctuation normalization and URL protection follow
// the tokenizer's defaults, which are what XLM's tokenize.sh runs.
#include "tasks/classify/classify_encoder.h"

#include "core/error.h"
#include "text/tokenizer.h"

#include <algorithm>

namespace xlm::tasks {

ClassifyEncoder::ClassifyEncoder(const text::Dictionary& dictionary, const text::BpeApplier* bpe,
                                 EncodeOptions options)
    : dictionary_(dictionary), bpe_(bpe), options_(options) {
  XLM_CHECK(options_.max_len >= 2, ConfigError, "--max_len {}: expected at least 2 (the two </s> markers)",
            options_.max_len);
}

std::vector<int64_t> ClassifyEncoder::sentence_ids(const std::string& text, text::Language lang) const {
  text::TokenizeOptions tok;
  tok.lowercase_and_remove_accent = options_.lowercase_and_remove_accent;
  const std::string tokens = text::tokenize(text, lang, tok);
  const std::string split = bpe_ != nullptr ? bpe_->apply_line(tokens) : tokens;
  std::vector<int64_t> ids{text::kEosIndex};
  dictionary_.index_line(split, ids, stats_);
  ids.push_back(text::kEosIndex);
  if (static_cast<int64_t>(ids.size()) > options_.max_len) {
    ids.resize(static_cast<size_t>(options_.max_len));
    ids.back() = text::kEosIndex;
  }
  return ids;
}

EncodedExample ClassifyEncoder::encode(const ClassifyExample& example, text::Language lang) const {
  EncodedExample out;
  out.label = example.label;
  out.ids = sentence_ids(example.sentence1, lang);
  if (!example.sentence2.empty()) {
    const std::vector<int64_t> second = sentence_ids(example.sentence2, lang);
    out.ids.insert(out.ids.end(), second.begin() + 1, second.end());
  }
  return out;
}

std::vector<EncodedExample> ClassifyEncoder::encode_all(const std::vector<ClassifyExample>& examples,
                                                        text::Language lang) const {
  std::vector<EncodedExample> out;
  out.reserve(examples.size());
  for (const auto& ex : examples) out.push_back(encode(ex, lang));
  return out;
}

}  // namespace xlm::tasks
