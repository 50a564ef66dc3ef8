// Autoregressive decoding for translation, as XLM's TransformerModel.generate
// (greedy) and generate_beam (beam search with BeamHypotheses) in
// facebookresearch/XLM src/model/transformer.py. The decoder runs one new
// position per step on a DecoderCache; the per-step bookkeeping (argmax,
// top-k, hypotheses) is on the host in double precision because it is a few
// (B*beam, n_words) rows per step, and doing it in fp64 makes ties and the
// beam-1 / greedy equivalence exact instead of rounding-dependent.
#pragma once

#include "core/tensor.h"
#include "nn/transformer.h"

#include <cstdint>

namespace xlm::tasks {

struct Generated {
  Tensor words;    // (B, L) i64: </s> w_1 .. w_n </s> then <pad>, on the CPU
  Tensor lengths;  // (B) i64: n + 2 (includes both </s>)
  // (B) f64, CPU: the sum of the log-probabilities of the steps that produced
  // w_1 .. w_n and the final </s> (when a sentence reaches max_len, its last
  // step's word is replaced by </s> and that word's log-probability counted,
  // as XLM does). Beam search ranks by scores / (lengths - 1)^length_penalty.
  Tensor scores;
};

struct GenerationOptions {
  int64_t beam_size = 1;
  double length_penalty = 1.0;  // hypothesis score = sum of log-probs / length^length_penalty
  bool early_stopping = false;  // stop a sentence once beam_size hypotheses are finished
};

// src_enc (B, S, D) from the encoder (eval mode, no_grad), src_len (B) i64,
// both on the decoder's device; max_len: generated length cap including both
// </s> (XLM: int(1.5 * max(src_len) + 10)), at least 2, lowered to the
// decoder's max_positions + 1 (the last position is never fed back);
// tgt_lang_id: filled into langs when the decoder has language embeddings.
// Both run under NoGradGuard; decoder.training() must be false (ConfigError otherwise).
Generated generate_greedy(nn::TransformerModel& decoder, const Tensor& src_enc, const Tensor& src_len,
                          int64_t tgt_lang_id, int64_t max_len);
// Beam search over options.beam_size beams per sentence; returns the best
// finished hypothesis of each sentence. With beam_size 1 and early_stopping
// it returns exactly generate_greedy's words (XLM's translate uses greedy for
// beam 1; without early_stopping a single beam keeps searching after </s>).
Generated generate_beam(nn::TransformerModel& decoder, const Tensor& src_enc, const Tensor& src_len,
                        int64_t tgt_lang_id, int64_t max_len, const GenerationOptions& options);

}  // namespace xlm::tasks
