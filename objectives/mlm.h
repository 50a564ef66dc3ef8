// Masked language modelling batches (XLM's mlm_step, src/trainer.py): MLM on
// a monolingual stream window and TLM on a sentence pair laid out by
// concat_pair, both corrupted by mask_words. The model sees the whole row
// (not causal) and only the chosen positions are predicted.
#pragma once

#include "objectives/lm_batch.h"
#include "objectives/masking.h"
#include "objectives/pair_layout.h"
#include "text/parallel_dataset.h"
#include "text/shuffle.h"
#include "text/stream_dataset.h"

#include <cstdint>

namespace xlm::objectives {

// MLM on a stream window tokens (B, T) of language `lang_id`: lengths all T,
// positions undefined, langs filled with lang_id when n_langs > 1 (else
// undefined), words/pred_index/targets from mask_words, n_sentences = B.
LmBatch mlm_stream_batch(const text::StreamBatch& stream, int64_t lang_id, int64_t n_langs,
                         const MaskingOptions& options, text::SplitMix64& rng);

// TLM: concat_pair(batch, sides) then mask_words over the whole row (both
// sentences; the four </s> and the padding are never chosen).
LmBatch tlm_batch(const text::ParallelBatch& batch, const PairSides& sides, const MaskingOptions& options,
                  text::SplitMix64& rng);

}  // namespace xlm::objectives
