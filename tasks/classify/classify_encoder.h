// Text -> model input for classification, as XLM's get-data-xnli.sh and
// XNLI trainer prepare it: each sentence is Moses-tokenized for its language
// (optionally lowercased with accents removed, for models trained that way),
// BPE-split with the model's codes, indexed with the model's vocabulary and
// wrapped as `</s> w1 .. wn </s>`; a sentence longer than max_len is cut to
// max_len with a final </s> (XLM's truncate), and a pair becomes
// `</s> a </s> b </s>` (XLM's concat_batches: the second sentence's leading
// </s> is dropped, positions run on, both halves carry the same language).
#pragma once

#include "tasks/classify/classify_data.h"
#include "text/bpe_apply.h"
#include "text/dictionary.h"
#include "text/language.h"

#include <cstdint>
#include <string>
#include <vector>

namespace xlm::tasks {

struct EncodedExample {
  std::vector<int64_t> ids;  // (T) including the </s> markers
  int64_t label = 0;
};

struct EncodeOptions {
  bool lowercase_and_remove_accent = false;
  int64_t max_len = 256;  // per sentence, </s> markers included (XLM's --max_len)
};

class ClassifyEncoder {
 public:
  // `bpe` may be null: the text is then indexed word by word after tokenization.
  ClassifyEncoder(const text::Dictionary& dictionary, const text::BpeApplier* bpe, EncodeOptions options);

  // The ids of one sentence, `</s> ... </s>`, truncated to max_len.
  std::vector<int64_t> sentence_ids(const std::string& text, text::Language lang) const;
  EncodedExample encode(const ClassifyExample& example, text::Language lang) const;
  std::vector<EncodedExample> encode_all(const std::vector<ClassifyExample>& examples, text::Language lang) const;
  // Words that mapped to <unk>, over every call so far (a sign of mismatched codes).
  const text::IndexStats& stats() const { return stats_; }

 private:
  const text::Dictionary& dictionary_;
  const text::BpeApplier* bpe_;
  EncodeOptions options_;
  mutable text::IndexStats stats_;
};

}  // namespace xlm::tasks
