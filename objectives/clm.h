// Causal language modelling batches (XLM's clm_step, src/trainer.py): the
// model reads words[0..t] under a causal mask and predicts words[t+1], so the
// predicted positions are t = 0..length-2 of every row and the targets are
// the input shifted left by one. Streams carry no padding (every length is
// bptt); pairs use the TLM row layout of objectives/pair_layout.h.
#pragma once

#include "objectives/lm_batch.h"
#include "objectives/pair_layout.h"
#include "text/stream_dataset.h"

#include <cstdint>

namespace xlm::objectives {

// CLM on a monolingual stream window, tokens (B, T) of language `lang_id`:
// words = tokens, lengths all T, positions undefined (0..T-1), langs (B, T)
// filled with lang_id when n_langs > 1 and undefined otherwise (XLM passes no
// langs to a one-language model), pred_index b*T + t for t < T-1 in
// increasing order, targets tokens[b, t+1], causal, n_sentences = B.
// ShapeError when T < 2 (nothing to predict).
LmBatch clm_stream_batch(const text::StreamBatch& stream, int64_t lang_id, int64_t n_langs);

// CLM on sentence pairs (XLM's clm_step with lang2): concat_pair's row, causal,
// predicting t < lengths[b]-1 with target words[b, t+1].
LmBatch clm_pair_batch(const text::ParallelBatch& batch, const PairSides& sides);

// Sets batch.pred_index / batch.targets to every t < lengths[b]-1 with
// target words[b, t+1] (XLM: pred_mask = alen < lengths - 1, y = x[1:]).
void set_next_word_targets(LmBatch& batch);

}  // namespace xlm::objectives
