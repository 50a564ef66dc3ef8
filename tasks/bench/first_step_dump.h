// `xlm bench train --dump_first_step DIR`: what the first step starts from,
// written so that another implementation can take the very same step. The
// first-step loss of a freshly initialised XLM model depends strongly on the
// draw (the tied <mask> embedding row alone moves it by tenths of a nat,
// docs/model.md "Initialisation"), so comparing two engines' first losses
// means giving both the same parameters and the same batch;
// scripts/reference/first_step_check.py does that with the PyTorch peer.
//   DIR/model.safetensors  the initial state_dict (XLM names, the model's dtype)
//   DIR/batch.safetensors  the first batch: words (B, T), lengths (B),
//                          pred_index (N), targets (N), all i64, plus
//                          positions and langs (B, T) when the batch has them
#pragma once

#include "nn/transformer.h"
#include "objectives/lm_batch.h"

#include <string>

namespace xlm::tasks {

// Creates `dir` (and its parents) when missing; FormatError naming the path on failure.
void dump_first_step(const std::string& dir, const nn::TransformerModel& model, const objectives::LmBatch& batch);

}  // namespace xlm::tasks
