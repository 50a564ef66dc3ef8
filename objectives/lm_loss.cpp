// See objectives/lm_loss.h. score_lm takes the argmax with max_last's backend
// twin (which returns the indices the front keeps private), so a validation
// pass copies N indices to the host rather than N x n_words logits; given a
// host batch it reads back only the loss and those indices.
#include "objectives/lm_loss.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/host_reads.h"
#include "core/op_profile.h"
#include "kernels/backend.h"
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/gather_rows/gather_rows.h"
#include "kernels/max_last/max_last.h"

#include <vector>

namespace xlm::objectives {

Tensor predicted_logits(nn::TransformerModel& model, const LmBatch& host_batch) {
  XLM_CHECK(n_predicted(host_batch) > 0, Error,
            "lm_loss: the batch predicts no position (no real word in it); skip it");
  const LmBatch batch = to_device(host_batch, model.device());
  nn::ForwardArgs args;
  args.words = batch.words;
  args.lengths = batch.lengths;
  args.causal = batch.causal;
  args.positions = batch.positions;
  args.langs = batch.langs;
  const Tensor hidden = model.forward(args);  // (B, T, D)
  const int64_t D = hidden.size(2);
  profile::RegionScope region("output");
  const Tensor rows = gather_rows(hidden.reshape({-1, D}), batch.pred_index);  // (N, D)
  return model.predict(rows);                                                   // (N, n_words)
}

Tensor lm_loss(nn::TransformerModel& model, const LmBatch& batch) {
  const Tensor logits = predicted_logits(model, batch);  // (N, n_words)
  // The host batch's targets are scanned (range, count), not a copy back from the device.
  profile::RegionScope region("loss");
  return cross_entropy(logits, batch.targets.to(logits.device()), batch.targets.to(Device::cpu()));
}

LmScore score_lm(nn::TransformerModel& model, const LmBatch& batch) {
  autograd::NoGradGuard no_grad;
  return score_logits(predicted_logits(model, batch), batch.targets);
}

LmScore score_logits(const Tensor& logits, const Tensor& targets) {
  autograd::NoGradGuard no_grad;
  const int64_t N = logits.size(0);
  // Scored from a host batch, the targets are already here: the loss's scan
  // and the accuracy read them without a copy back from the device.
  const Tensor host_targets = targets.to(Device::cpu());  // (N)
  const double mean = cross_entropy(logits, targets.to(logits.device()), host_targets).item();
  Tensor best_values = Tensor::empty({N}, logits.dtype(), logits.device());  // (N)
  Tensor best = Tensor::empty({N}, DType::i64, logits.device());             // (N)
  XLM_CALL_BACKEND(logits.device(), max_last_forward, logits, best_values, best);
  const std::vector<int64_t> predicted = best.to_vector<int64_t>();
  const std::vector<int64_t> wanted = host_values<int64_t>(host_targets);
  LmScore score;
  score.loss_sum = mean * static_cast<double>(N);
  score.n_words = N;
  for (int64_t i = 0; i < N; ++i)
    if (predicted[static_cast<size_t>(i)] == wanted[static_cast<size_t>(i)]) ++score.n_correct;
  return score;
}

}  // namespace xlm::objectives
