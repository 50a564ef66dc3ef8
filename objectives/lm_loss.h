// The language-model loss shared by CLM, MLM and TLM (XLM's
// TransformerModel.fwd + PredLayer): run the model over the whole batch, keep
// only the predicted rows of the hidden states, and send just those through
// the output layer. With 15% of positions predicted this skips 85% of the
// (rows x vocabulary) projection, which dominates the step for a large vocabulary.
#pragma once

#include "nn/transformer.h"
#include "objectives/lm_batch.h"

#include <cstdint>

namespace xlm::objectives {

// Forward + output layer on the predicted rows only + cross_entropy: 0-dim loss (nats/word).
// The batch is moved to the model's device first; pass the host batch: a batch
// already on a GPU costs one blocking read of its targets (the range and count
// scan). Error when the batch predicts nothing.
Tensor lm_loss(nn::TransformerModel& model, const LmBatch& batch);

// Sums for validation (no_grad): loss sum (nats), words, correct argmax predictions.
struct LmScore { double loss_sum = 0; int64_t n_words = 0; int64_t n_correct = 0; };
LmScore score_lm(nn::TransformerModel& model, const LmBatch& batch);
// The sums of LmScore for logits (N, V) against targets (N) (any device).
LmScore score_logits(const Tensor& logits, const Tensor& targets);

// The logits of the predicted positions (N, n_words): the shared first half of both.
Tensor predicted_logits(nn::TransformerModel& model, const LmBatch& batch);

}  // namespace xlm::objectives
