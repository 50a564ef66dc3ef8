// Random training batches for `xlm bench train`: the token streams and
// sentence pairs a data loader would hand the objectives, drawn uniformly
// from the real words, then masked by the objectives' own MLM / TLM code
// (XLM's 80/10/10 at --word_pred), so the timed step sees exactly the
// batches of `xlm train`, minus the files.
#pragma once

#include "objectives/lm_batch.h"
#include "objectives/masking.h"
#include "text/shuffle.h"

#include <cstdint>

namespace xlm::tasks {

// MLM on a (batch_size, bptt) window of random real words of language lang_id.
objectives::LmBatch random_mlm_batch(int64_t batch_size, int64_t bptt, int64_t lang_id, int64_t n_langs,
                                     const objectives::MaskingOptions& masking, text::SplitMix64& rng);

// TLM on batch_size pairs `</s> x </s>` + `</s> y </s>` of bptt/2 tokens each
// (bptt - bptt/2 for the second), x in language lang1, y in lang2: rows of
// exactly bptt tokens, positions restarting at the second sentence.
objectives::LmBatch random_tlm_batch(int64_t batch_size, int64_t bptt, int64_t lang1, int64_t lang2,
                                     const objectives::MaskingOptions& masking, text::SplitMix64& rng);

}  // namespace xlm::tasks
