// What a trained encoder says about input lines, as XLM's embedder computes
// it: each line, BPE-split with the model's codes, is wrapped as
// `</s> words </s>`, encoded (no dropout, no causal mask, the line's language
// embedding), and read out in one of three ways:
//   sentence: the last layer's state at position 0 (XLM's sentence vector),
//   tokens:   the last layer's state at every position,
//   logits:   the tied output layer's scores at every position, i.e. the
//             masked-LM prediction a token in that slot gets (a line holding
//             the mask word `<special1>` asks the model to fill it in).
// Lines are batched by length; key-padding masks keep a line's numbers
// independent of its batch (tested), so the per-position outputs can be
// compared with another implementation token for token.
#pragma once

#include "core/device.h"
#include "nn/model_dir.h"
#include "text/bpe_apply.h"
#include "text/dictionary.h"

#include <memory>
#include <string>
#include <vector>

namespace xlm::tasks {

enum class EmbedOutput { sentence, tokens, logits };

// "sentence", "tokens", "logits"; parse throws ConfigError naming --output.
EmbedOutput parse_embed_output(const std::string& text);

struct EmbedResult {
  std::vector<int64_t> shape;  // sentence: (N, D); tokens: (N, T, D); logits: (N, T, n_words)
  std::vector<float> values;   // row-major; T = the longest line's length with its two </s>,
                               // positions past a line's own length are 0
};

class SentenceEmbedder {
 public:
  // `codes_path` "" = the model directory's codes when it has them, else the
  // input is taken as already BPE-split. ConfigError for a missing path.
  SentenceEmbedder(const std::string& model_dir, const std::string& codes_path, Device device);

  int64_t dim() const;
  // ConfigError for a language the model lacks, a line longer than the
  // model's positions, or batch_size < 1.
  EmbedResult embed(const std::vector<std::string>& lines, const std::string& lang, int64_t batch_size,
                    EmbedOutput output = EmbedOutput::sentence);

 private:
  nn::LoadedModel model_;
  std::unique_ptr<text::Dictionary> dictionary_;
  std::unique_ptr<text::BpeApplier> bpe_;
  Device device_;
};

}  // namespace xlm::tasks
