// What greedy and beam decoding share: argument checks, and one cached
// decoder step that turns the newest token of every row into next-token
// log-probabilities on the host (fp64 log-softmax of the (N, n_words) logits).
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

  // tokens (N): the token at position cache.slen of each row; lengths (N):
  // each row's total length including it. -> log-probs (N, n_words) row-major.
  std::vector<double> log_probs(const std::vector<int64_t>& tokens, const std::vector<int64_t>& lengths);
};

}  // namespace xlm::tasks
