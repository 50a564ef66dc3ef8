// Sentence embeddings as XLM's embedder computes them: each line, BPE-split
// with the model's codes, is wrapped as `</s> words </s>`, encoded (no
// dropout, no causal mask, the line's language embedding), and represented
// by the last layer's hidden state at position 0. Lines are batched by
// length; key-padding masks keep a line's vector independent of its batch.
#pragma once

#include "core/device.h"
#include "nn/model_dir.h"
#include "text/bpe_apply.h"
#include "text/dictionary.h"

#include <memory>
#include <string>
#include <vector>

namespace xlm::tasks {

class SentenceEmbedder {
 public:
  // `codes_path` "" = the model directory's codes when it has them, else the
  // input is taken as already BPE-split. ConfigError for a missing path.
  SentenceEmbedder(const std::string& model_dir, const std::string& codes_path, Device device);

  int64_t dim() const;
  // (lines.size(), dim()) row-major. ConfigError for a language the model lacks.
  std::vector<float> embed(const std::vector<std::string>& lines, const std::string& lang, int64_t batch_size);

 private:
  nn::LoadedModel model_;
  std::unique_ptr<text::Dictionary> dictionary_;
  std::unique_ptr<text::BpeApplier> bpe_;
  Device device_;
};

}  // namespace xlm::tasks
