// XLM's mask_out (src/trainer.py) for MLM and TLM: choose the positions to
// predict, corrupt them (mostly <mask>), keep the original words as targets.
// Only real words (ids >= text::kFirstWordIndex) inside each length can be
// chosen, so padding, </s> and the other special tokens are never predicted.
// Two ways to choose, as XLM: independently with probability word_pred
// (sample_alpha == 0), or exactly ceil(word_pred * candidates) positions
// without replacement, weighted by count^-sample_alpha so that rare words
// are predicted more often (sample_alpha > 0). Draws come from a SplitMix64
// passed by reference, so a saved generator state replays the same masks.
#pragma once

#include "core/tensor.h"
#include "text/dictionary.h"
#include "text/shuffle.h"

#include <cstdint>
#include <string>
#include <vector>

namespace xlm::objectives {

// What becomes of a chosen position, in XLM's --word_mask_keep_rand order.
struct MaskKeepRand {
  double mask = 0.8;  // replaced by <mask>
  double keep = 0.1;  // left unchanged
  double rand = 0.1;  // replaced by a random real word
};

// "0.8,0.1,0.1" -> {mask, keep, rand}; ConfigError naming `flag` unless three
// non-negative numbers summing to 1 (within 1e-6).
MaskKeepRand parse_mask_keep_rand(const std::string& text, const std::string& flag = "--word_mask_keep_rand");

struct MaskingOptions {
  double word_pred = 0.15;      // XLM --word_pred: fraction of candidates to predict
  MaskKeepRand keep_rand;       // XLM --word_mask_keep_rand
  double sample_alpha = 0;      // XLM --sample_alpha: 0 = uniform choice
  int64_t n_words = 0;          // dictionary size; random words are drawn from [14, n_words)
  int64_t mask_index = text::kMaskIndex;
  // (n_words) weight of each word when sample_alpha > 0: mask_scores(dictionary, sample_alpha).
  std::vector<double> word_scores;
  // ConfigError naming the XLM flag of the first bad field.
  void validate() const;
};

// XLM's mask_scores: max(count, 1)^-alpha for real words with a positive
// count, 0 for the special words (and for words counted 0, as XLM).
std::vector<double> mask_scores(const text::Dictionary& dictionary, double sample_alpha);

struct MaskedWords {
  Tensor words;       // (B, T) i64: the input with the chosen positions corrupted
  Tensor pred_index;  // (N) i64: chosen positions as b*T + t, increasing
  Tensor targets;     // (N) i64: the original words there
};

// words (B, T) i64 on the CPU, lengths (B) i64 in [0, T]. Positions t <
// lengths[b] holding a real word are the candidates (with sample_alpha > 0,
// those whose score is positive). When the draw chooses none, one candidate
// is chosen uniformly so that the loss is defined; N is 0 only when the
// batch has no candidate at all. IndexError for a word outside [0, n_words).
MaskedWords mask_words(const Tensor& words, const Tensor& lengths, const MaskingOptions& options,
                       text::SplitMix64& rng);

}  // namespace xlm::objectives
