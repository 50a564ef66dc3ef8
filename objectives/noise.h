// The denoising auto-encoder's input corruption, XLM's add_noise
// (src/trainer.py): word_shuffle, then word_dropout, then word_blank. Each
// works on sentences laid out as the data loaders give them, `</s> w_1 ..
// w_n </s>` then <pad>, and never touches the two </s>. Draws come from a
// text::SplitMix64 passed by reference (one per sentence position, row by
// row), so a saved generator state replays the same noise on every build;
// XLM draws the same distributions with numpy.
#pragma once

#include "core/tensor.h"
#include "text/dictionary.h"
#include "text/shuffle.h"

#include <cstdint>

namespace xlm::objectives {

struct Sentences {
  Tensor words;    // (B, L) i64: </s> w_1 .. w_n </s> then <pad>
  Tensor lengths;  // (B) i64: n + 2
};

struct NoiseOptions {
  double word_shuffle = 0;  // XLM --word_shuffle: max shift of a word (0 = off, else > 1)
  double word_dropout = 0;  // XLM --word_dropout: probability to drop a word
  double word_blank = 0;    // XLM --word_blank: probability to replace a word by <mask>
  int64_t mask_index = text::kMaskIndex;
  int64_t pad_index = text::kPadIndex;
  // ConfigError naming the XLM flag of the first bad field.
  void validate() const;
  bool active() const { return word_shuffle > 0 || word_dropout > 0 || word_blank > 0; }
};

// Each word w_j gets the key j + u, u uniform in [0, k); words are stably
// sorted by key. A word therefore moves fewer than k positions. Lengths
// unchanged. k == 0 returns the input.
Sentences word_shuffle(const Sentences& in, double k, text::SplitMix64& rng);

// Each word is dropped with probability p; a sentence whose words are all
// dropped keeps one of them, drawn uniformly (XLM keeps a random original
// word). Lengths shrink accordingly; the result is re-padded with pad_index
// to the new longest row. p == 0 returns the input.
Sentences word_dropout(const Sentences& in, double p, text::SplitMix64& rng, int64_t pad_index = text::kPadIndex);

// Each word is replaced by mask_index with probability p. Lengths unchanged.
Sentences word_blank(const Sentences& in, double p, text::SplitMix64& rng, int64_t mask_index = text::kMaskIndex);

// word_shuffle, word_dropout, word_blank in XLM's order.
Sentences add_noise(const Sentences& in, const NoiseOptions& options, text::SplitMix64& rng);

}  // namespace xlm::objectives
