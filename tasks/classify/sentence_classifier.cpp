// See sentence_classifier.h. Batches are right-padded with <pad> and carry
// their lengths, so the model's key-padding mask keeps a row's vector
// independent of the other rows in its batch.
#include "tasks/classify/sentence_classifier.h"

#include "core/autograd.h"
#include "core/error.h"
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/gather_rows/gather_rows.h"
#include "nn/dropout_context.h"
#include "text/dictionary.h"

#include <algorithm>

namespace xlm::tasks {

SentenceClassifier::SentenceClassifier(nn::TransformerModel& model, int64_t n_classes, double dropout, uint64_t seed)
    : model_(model), n_classes_(n_classes), dropout_(dropout), dropout_stream_(seed ^ 0x70726f6aull) {
  XLM_CHECK(n_classes >= 2, ConfigError, "a classifier needs at least 2 classes, got {}", n_classes);
  XLM_CHECK(dropout >= 0 && dropout < 1, ConfigError, "--dropout {}: expected a value in [0, 1)", dropout);
  proj_ = nn::Linear::create("proj", model.config().emb_dim, n_classes, seed, model.dtype(), model.device());
}

void SentenceClassifier::set_training(bool training) {
  training_ = training;
  model_.set_training(training);
}

nn::NamedTensors SentenceClassifier::head_parameters() const {
  nn::NamedTensors out;
  proj_.collect("proj", out);
  return out;
}

Tensor SentenceClassifier::forward(const std::vector<const EncodedExample*>& rows, int64_t lang_id) {
  const int64_t b = static_cast<int64_t>(rows.size());
  XLM_CHECK(b >= 1, ShapeError, "classifier forward on an empty batch");
  int64_t t = 0;
  for (const auto* row : rows) t = std::max<int64_t>(t, static_cast<int64_t>(row->ids.size()));
  XLM_CHECK(t <= model_.config().max_positions, ConfigError,
            "an input of {} tokens is longer than the model's {} positions (lower --max_len)", t,
            model_.config().max_positions);
  const Device device = model_.device();
  std::vector<int64_t> words(static_cast<size_t>(b * t), text::kPadIndex);  // (B, T)
  std::vector<int64_t> lengths(static_cast<size_t>(b));                     // (B)
  std::vector<int64_t> first_rows(static_cast<size_t>(b));                  // (B) flat index of position 0
  for (int64_t r = 0; r < b; ++r) {
    const auto& ids = rows[static_cast<size_t>(r)]->ids;
    std::copy(ids.begin(), ids.end(), words.begin() + r * t);
    lengths[static_cast<size_t>(r)] = static_cast<int64_t>(ids.size());
    first_rows[static_cast<size_t>(r)] = r * t;
  }
  nn::ForwardArgs args;
  args.words = Tensor::from_vector(words, {b, t}, device);
  args.lengths = Tensor::from_vector(lengths, {b}, device);
  if (model_.config().has_lang_embeddings()) {
    args.langs = Tensor::full({b, t}, static_cast<double>(lang_id), DType::i64, device);
  }
  const int64_t d = model_.config().emb_dim;
  const Tensor hidden = model_.forward(args);                                                    // (B, T, D)
  const Tensor first = gather_rows(hidden.reshape({b * t, d}), Tensor::from_vector(first_rows, {b}, device));  // (B, D)
  const Tensor dropped = nn::apply_dropout(first, dropout_, nn::DropoutContext{training_, &dropout_stream_});
  return proj_.forward(dropped);  // (B, n_classes)
}

Tensor SentenceClassifier::loss(const std::vector<const EncodedExample*>& rows, int64_t lang_id) {
  std::vector<int64_t> labels;
  labels.reserve(rows.size());
  for (const auto* row : rows) {
    XLM_CHECK(row->label >= 0 && row->label < n_classes_, IndexError, "label {} outside [0, {})", row->label,
              n_classes_);
    labels.push_back(row->label);
  }
  const Tensor logits = forward(rows, lang_id);
  // The loss's label scan reads the host copy, so a step never waits for the device.
  const Tensor host_labels = Tensor::from_vector(labels, {static_cast<int64_t>(labels.size())});  // (B)
  return cross_entropy(logits, host_labels.to(model_.device()), host_labels);
}

std::vector<int64_t> SentenceClassifier::predict(const std::vector<const EncodedExample*>& rows, int64_t lang_id) {
  autograd::NoGradGuard no_grad;
  const std::vector<double> logits = forward(rows, lang_id).to_doubles();  // (B, C)
  std::vector<int64_t> out(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const double* row = logits.data() + r * static_cast<size_t>(n_classes_);
    out[r] = std::max_element(row, row + n_classes_) - row;
  }
  return out;
}

}  // namespace xlm::tasks
