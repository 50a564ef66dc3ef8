// What greedy and beam decoding share: argument checks, and one cached
// decoder step that turns the newest token of every row into its k best next
// words (fp64 log-probabilities, kernels/decode_topk), chosen on the model's
// device: a step copies (N, k) candidates to the host, not (N, n_words) logits.
#pragma once

#include "core/tensor.h"
#include "nn/transformer.h"

#include <cstdint>
#include <vector>

namespace xlm::tasks {

// ConfigError/ShapeError for a training-mode or non-decoder model, bad
// src_enc/src_len shapes or max_len < 2. Returns max_len lowered to the
// decoder's max_positions + 1.
int64_t check_generation_args(const nn::TransformerModel& decoder, const Tensor& src_enc, const Tensor& src_len,
                              int64_t tgt_lang_id, int64_t max_len, const char* fn);

struct DecodeStep {
  nn::TransformerModel& decoder;
  nn::DecoderCache& cache;
  Tensor src_enc;  // (N, S, D)
  Tensor src_len;  // (N) i64
  int64_t tgt_lang_id;

  struct Best {
    std::vector<double> values;   // (N, k) row-major: bias[r] + log p(word), best first
    std::vector<int64_t> words;   // (N, k)
  };
  // tokens (N): the token at position cache.slen of each row; lengths (N):
  // each row's total length including it; bias (N) or empty for 0: added to
  // every log-probability of its row (beam search's running scores). -> the k
  // best words of each row in decode_topk's order (ties: the lower word id).
  Best best_words(const std::vector<int64_t>& tokens, const std::vector<int64_t>& lengths, int64_t k,
                  const std::vector<double>& bias);
};

}  // namespace xlm::tasks
