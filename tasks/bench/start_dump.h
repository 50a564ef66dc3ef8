// `xlm bench train --dump_start DIR`: what the run starts from, written so
// that another implementation can take the very same steps. The first-step
// loss of a freshly initialised XLM model depends strongly on the draw (the
// tied <mask> embedding row alone moves it by half a nat from seed to seed,
// docs/model.md "Initialisation"), so comparing two engines' losses means
// giving both the same parameters and the same batches;
// scripts/reference/first_step_check.py does that with the PyTorch peer.
//   DIR/model.safetensors    the initial state_dict (XLM names, the model's dtype)
//   DIR/batch{i}.safetensors the distinct batches in the order the steps cycle
//                            through them (i = 0, 1, ...): words (B, T),
//                            lengths (B), pred_index (N), targets (N), all
//                            i64, plus positions and langs (B, T) when the
//                            batch has them
#pragma once

#include "nn/transformer.h"
#include "objectives/lm_batch.h"

#include <string>
#include <vector>

namespace xlm::tasks {

// Creates `dir` (and its parents) when missing; FormatError naming the flag and path on failure.
void dump_start(const std::string& dir, const nn::TransformerModel& model,
                const std::vector<objectives::LmBatch>& batches);

}  // namespace xlm::tasks
