// The batch of one back-translation step, as XLM's bt_step
// (src/trainer.py): sentences x1 in lang1 are translated into lang2 by the
// current models, in eval mode (no dropout) and without gradients, then
// the lang2 -> lang1 direction trains on (translation, original): the
// generated sentences are the encoder's input and x1 the decoder's
// target. The models' training modes are restored before returning.
#pragma once

#include "core/tensor.h"
#include "nn/transformer.h"
#include "objectives/mt.h"

#include <cstdint>

namespace xlm::tasks {

// XLM's cap on the generated length: int(1.3 * max(len1) + 5) tokens, both </s> included.
int64_t back_translation_max_len(const Tensor& len1);

// x1 (B, S) i64 `</s> w .. </s>` then <pad>, len1 (B); lang ids as the
// models' id2lang. Greedy decoding (tasks/mt/generate.h). The batch is on the CPU.
objectives::MtBatch back_translation_batch(nn::TransformerModel& encoder, nn::TransformerModel& decoder,
                                           const Tensor& x1, const Tensor& len1, int64_t lang1, int64_t lang2);

}  // namespace xlm::tasks
