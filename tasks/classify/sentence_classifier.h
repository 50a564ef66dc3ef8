// XLM's XNLI classifier (src/evaluation/xnli.py): the encoder's last-layer
// state at position 0 (the leading </s>) is the sentence vector, followed by
// dropout and one Linear(emb_dim, n_classes) layer, the "projection". The
// encoder is borrowed (the caller owns the loaded model); the head is owned
// here, named proj.weight / proj.bias, and initialised like nn.Linear.
#pragma once

#include "nn/linear.h"
#include "nn/philox_stream.h"
#include "nn/transformer.h"
#include "tasks/classify/classify_encoder.h"

#include <cstdint>
#include <vector>

namespace xlm::tasks {

class SentenceClassifier {
 public:
  // The head lives on the model's device, in its dtype; `seed` draws its
  // initial weights and its dropout masks.
  SentenceClassifier(nn::TransformerModel& model, int64_t n_classes, double dropout, uint64_t seed);

  // rows: B examples (any lengths <= the model's positions) -> logits (B, n_classes).
  // `lang_id` is the language embedding of every position (ignored when the
  // model has no language embeddings).
  Tensor forward(const std::vector<const EncodedExample*>& rows, int64_t lang_id);
  // Mean cross-entropy of forward() against the rows' labels (0-dim).
  Tensor loss(const std::vector<const EncodedExample*>& rows, int64_t lang_id);
  // Argmax class of each row, evaluated without recording (call in eval mode).
  std::vector<int64_t> predict(const std::vector<const EncodedExample*>& rows, int64_t lang_id);

  void set_training(bool training);  // encoder dropout and head dropout together
  nn::NamedTensors head_parameters() const;
  int64_t n_classes() const { return n_classes_; }

 private:
  nn::TransformerModel& model_;
  int64_t n_classes_;
  double dropout_;
  bool training_ = true;
  nn::PhiloxStream dropout_stream_;
  nn::Linear proj_;
};

}  // namespace xlm::tasks
