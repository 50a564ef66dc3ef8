// The unit every language-model objective hands to the model: the model's
// inputs (words, lengths, positions, langs, causal) plus the flat positions
// to predict and their targets. Objectives build it on the CPU from the data
// loaders' batches; the trainer moves it once (to_device) and the loss only
// sends the predicted rows through the output layer, as XLM's PredLayer does
// with pred_mask (a flat index list replaces XLM's boolean mask so that the
// row selection is one gather_rows).
#pragma once

#include "core/device.h"
#include "core/tensor.h"

#include <cstdint>

namespace xlm::objectives {

// One model input + what to predict. Built on the CPU; the trainer moves it.
struct LmBatch {
  Tensor words;        // (B, T) i64
  Tensor lengths;      // (B) i64
  Tensor positions;    // (B, T) i64 or undefined
  Tensor langs;        // (B, T) i64 or undefined
  Tensor pred_index;   // (N) i64 flat indices into B*T of the predicted positions
  Tensor targets;      // (N) i64 the words to predict there
  bool causal = false;
  int64_t n_sentences = 0;  // for epoch accounting (XLM counts batch size)
};

// Copies every defined tensor to `device` (tensors already there are shared).
LmBatch to_device(const LmBatch& b, Device device);
// t on `device`, or undefined when t is (optional batch fields).
Tensor to_device_if_defined(const Tensor& t, Device device);

// Number of predicted positions (0 when pred_index is undefined).
int64_t n_predicted(const LmBatch& b);

}  // namespace xlm::objectives
