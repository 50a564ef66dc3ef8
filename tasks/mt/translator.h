// What `xlm translate` does, as XLM's translate.py: each input line (tokenized
// text) is BPE-split with the model's codes, wrapped as `</s> words </s>`,
// encoded with the source language, decoded greedily (beam_size 1) or by
// beam search with the target language and max_len = int(1.5 * source
// length + 10), and written back as words with the BPE joins ("@@ ")
// removed. Lines are batched by length; results come back in input order.
#pragma once

#include "core/device.h"
#include "tasks/mt/generate.h"
#include "tasks/mt/mt_model_dir.h"
#include "text/bpe_apply.h"
#include "text/dictionary.h"

#include <memory>
#include <string>
#include <vector>

namespace xlm::tasks {

class Translator {
 public:
  // `codes_path` "" = the model directory's codes when it has them, else the
  // input is taken as already BPE-split. ConfigError for a missing path.
  Translator(const std::string& model_dir, const std::string& codes_path, Device device);

  // One output line per input line. ConfigError for a language a half lacks,
  // a batch_size < 1 or a line longer than the encoder's positions.
  std::vector<std::string> translate(const std::vector<std::string>& lines, const std::string& src_lang,
                                     const std::string& tgt_lang, int64_t batch_size,
                                     const GenerationOptions& options);

 private:
  std::vector<int64_t> source_ids(const std::string& line, size_t line_number) const;
  std::string target_text(const int64_t* ids, int64_t length) const;

  LoadedMtModel model_;
  std::unique_ptr<text::Dictionary> dictionary_;
  std::unique_ptr<text::BpeApplier> bpe_;
  Device device_;
};

// "a@@ b c@@" -> "ab c": XLM's `.replace('@@ ', '')`, plus a dangling final "@@".
std::string remove_bpe_joins(const std::string& text);

}  // namespace xlm::tasks
