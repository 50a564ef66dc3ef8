// Model FLOPs for the MFU estimate of the training log: matmul FLOPs only
// (the convention of the PaLM paper's appendix B), counted from the shapes
// of one step, with the backward pass costing twice the forward.
#pragma once

#include "nn/transformer.h"

#include <cstdint>

namespace xlm::tasks {

// Per layer and token: 24 D^2 (q, k, v, out projections: 8 D^2; FFN D->4D->D:
// 16 D^2) + 4 T D (scores and weighted values over T keys); plus 2 D V per
// predicted token for the output layer; times 3 for forward + backward.
double training_flops(const nn::TransformerConfig& config, int64_t rows, int64_t cols, int64_t n_predicted);

// Number of scalars in the model's unique trainable tensors.
int64_t count_parameters(const nn::TransformerModel& model);

}  // namespace xlm::tasks
