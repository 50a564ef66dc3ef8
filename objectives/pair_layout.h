// XLM's concat_batches (src/utils.py, reset_positions=True): a sentence pair
// becomes one row `</s> x </s> </s> y </s>` so that TLM (and CLM on pairs)
// attends across both languages. Positions restart at 0 for the second
// sentence and each segment carries its own language id, which is how the
// model tells the two halves apart. XLM's pair datasets store the languages
// in sorted order and a step named the other way round (fr-en) swaps the
// sides, so both directions train from one dataset.
#pragma once

#include "objectives/lm_batch.h"
#include "text/parallel_dataset.h"

#include <cstdint>

namespace xlm::objectives {

struct PairSides {
  bool swap = false;        // false: x1 first; true: x2 first
  int64_t first_lang = 0;   // language id of the side placed first
  int64_t second_lang = 0;  // language id of the side placed second
};

// The plain concatenation, no masking (pred_index/targets empty, causal false):
//   words[b]     = first[0..lenA) ++ second[0..lenB) ++ <pad>...   (B, lenA+lenB max)
//   lengths[b]   = lenA + lenB
//   positions[b] = 0..lenA-1, then t - lenA for every later t (pads included, as XLM)
//   langs[b]     = first_lang over [0, lenA), second_lang from lenA on (pads included)
// n_sentences = B. ShapeError when a length is outside [1, its side's width].
LmBatch concat_pair(const text::ParallelBatch& batch, const PairSides& sides, int64_t pad_index = text::kPadIndex);

}  // namespace xlm::objectives
