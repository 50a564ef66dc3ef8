// The encoder-decoder batch and loss of XLM's mt_step (src/trainer.py),
// shared by supervised MT, the denoising auto-encoder and back-translation:
// the encoder reads x1 (language lang1) without a causal mask, the decoder
// reads x2 (lang2) causally with cross-attention on the encoder's states, and
// the hidden state at position t predicts x2[t + 1] for every t < len2 - 1
// (XLM's pred_mask / y). As in lm_loss, only the predicted rows go through
// the output layer. A flat index list replaces XLM's boolean mask.
#pragma once

#include "core/device.h"
#include "core/tensor.h"
#include "nn/transformer.h"
#include "objectives/lm_loss.h"

#include <cstdint>

namespace xlm::objectives {

struct MtBatch {
  Tensor x1;          // (B, S) i64 encoder input: </s> w .. </s> then <pad>
  Tensor len1;        // (B) i64
  Tensor langs1;      // (B, S) i64, all lang1
  Tensor x2;          // (B, T) i64 decoder input, same layout
  Tensor len2;        // (B) i64
  Tensor langs2;      // (B, T) i64, all lang2
  Tensor pred_index;  // (N) i64 flat indices b*T + t for t < len2[b] - 1, increasing
  Tensor targets;     // (N) i64 x2[b, t + 1] there
  int64_t n_sentences = 0;
};

// Builds the batch on the CPU. ShapeError when a length is outside [2, width]
// or the row counts differ.
MtBatch mt_batch(const Tensor& x1, const Tensor& len1, int64_t lang1, const Tensor& x2, const Tensor& len2,
                 int64_t lang2);

MtBatch to_device(const MtBatch& b, Device device);

// Encoder forward, decoder forward with src_enc, output layer on the predicted
// rows: (N, n_words) logits. The batch is moved to the decoder's device.
Tensor mt_logits(nn::TransformerModel& encoder, nn::TransformerModel& decoder, const MtBatch& batch);

// cross_entropy of mt_logits: 0-dim loss (nats per target word). Pass the host
// batch, as for lm_loss: a device batch costs one blocking read of its targets.
Tensor mt_loss(nn::TransformerModel& encoder, nn::TransformerModel& decoder, const MtBatch& batch);

// Sums for validation (no_grad): loss sum, target words, correct argmax predictions.
LmScore score_mt(nn::TransformerModel& encoder, nn::TransformerModel& decoder, const MtBatch& batch);

}  // namespace xlm::objectives
