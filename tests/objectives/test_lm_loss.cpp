// lm_loss / score_lm against the same quantities computed the long way: the
// model's hidden states for every position, the output layer on all rows,
// and the loss/argmax of the predicted rows picked on the host. Checks that
// only the chosen rows reach the loss, that gradients flow to the model, and
// that the validation sums agree with the training loss.
#include "core/autograd.h"
#include "core/error.h"
#include "core/host_reads.h"
#include "nn/transformer.h"
#include "objectives/clm.h"
#include "objectives/lm_loss.h"
#include "objectives/mlm.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace xlm;
using namespace xlm::objectives;

namespace {

nn::TransformerConfig tiny_config() {
  nn::TransformerConfig c;
  c.n_words = 40;
  c.emb_dim = 16;
  c.n_layers = 1;
  c.n_heads = 2;
  c.n_langs = 2;
  c.id2lang = {"en", "fr"};
  c.dropout = 0;
  c.attention_dropout = 0;
  c.max_positions = 32;
  return c;
}

text::StreamBatch stream() {
  text::StreamBatch s;
  s.tokens = Tensor::from_vector<int64_t>({1, 20, 21, 1, 22, 30,  //
                                           23, 1, 24, 25, 26, 39},
                                          {2, 6});
  return s;
}

// Mean cross-entropy, argmax hits and the number of rows, computed from the logits of every position.
struct Reference { double mean = 0; int64_t correct = 0; int64_t n = 0; std::vector<int64_t> argmax; };

Reference reference(nn::TransformerModel& model, const LmBatch& batch) {
  autograd::NoGradGuard no_grad;
  nn::ForwardArgs args;
  args.words = batch.words;
  args.lengths = batch.lengths;
  args.causal = batch.causal;
  args.positions = batch.positions;
  args.langs = batch.langs;
  const Tensor hidden = model.forward(args);                                        // (B, T, D)
  const Tensor logits = model.predict(hidden.reshape({-1, hidden.size(2)}));       // (B*T, V)
  const std::vector<double> all = logits.to_doubles();
  const int64_t V = logits.size(1);
  const auto index = batch.pred_index.to_vector<int64_t>();
  const auto targets = batch.targets.to_vector<int64_t>();
  Reference r;
  for (size_t i = 0; i < index.size(); ++i) {
    const double* row = all.data() + index[i] * V;
    double m = row[0];
    int64_t best = 0;
    for (int64_t v = 1; v < V; ++v)
      if (row[v] > m) m = row[v], best = v;
    double s = 0;
    for (int64_t v = 0; v < V; ++v) s += std::exp(row[v] - m);
    r.mean += m + std::log(s) - row[targets[i]];
    r.correct += best == targets[i];
    r.argmax.push_back(best);
  }
  r.n = static_cast<int64_t>(index.size());
  r.mean /= static_cast<double>(r.n);
  return r;
}

// The MLM batch of stream() with 40% of the words predicted (seed 12).
LmBatch mlm_batch() {
  MaskingOptions o;
  o.n_words = 40;
  o.word_pred = 0.4;
  text::SplitMix64 rng(12);
  return mlm_stream_batch(stream(), 0, 2, o, rng);
}

}  // namespace

TEST_CASE("lm_loss: CLM loss is the mean cross-entropy of the predicted rows", "[objectives]") {
  nn::TransformerModel model(tiny_config(), 17);
  const LmBatch batch = clm_stream_batch(stream(), 1, 2);
  const Reference ref = reference(model, batch);
  const Tensor loss = lm_loss(model, batch);
  CHECK(loss.dim() == 0);
  CHECK(loss.item() == Approx(ref.mean).epsilon(1e-5));
  loss.backward();
  double grad_norm = 0;
  for (const auto& [name, p] : model.parameters())
    if (p.grad().defined())
      for (double g : p.grad().to_doubles()) grad_norm += g * g;
  CHECK(grad_norm > 0);

  const LmScore score = score_lm(model, batch);
  CHECK(score.n_words == 10);
  CHECK(score.loss_sum == Approx(ref.mean * 10).epsilon(1e-5));
  CHECK(score.n_correct == ref.correct);

  // Retarget every other row to the model's own argmax: exactly those count as correct.
  LmBatch half = batch;
  std::vector<int64_t> targets = batch.targets.to_vector<int64_t>();
  int64_t want = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (i % 2 == 0) targets[i] = ref.argmax[i];
    want += targets[i] == ref.argmax[i];
  }
  half.targets = Tensor::from_vector(targets, {static_cast<int64_t>(targets.size())});
  CHECK(want >= 5);
  CHECK(score_lm(model, half).n_correct == want);
}

TEST_CASE("lm_loss: MLM predicts only the masked rows", "[objectives]") {
  nn::TransformerModel model(tiny_config(), 3);
  model.set_training(false);
  const LmBatch batch = mlm_batch();
  REQUIRE(batch.pred_index.numel() >= 1);
  const Reference ref = reference(model, batch);
  CHECK(lm_loss(model, batch).item() == Approx(ref.mean).epsilon(1e-5));
  const LmScore score = score_lm(model, batch);
  CHECK(score.n_words == batch.pred_index.numel());
  CHECK(score.n_correct == ref.correct);

  LmBatch empty = batch;
  empty.pred_index = Tensor::from_vector(std::vector<int64_t>{}, {0});
  empty.targets = empty.pred_index;
  CHECK_THROWS_AS(lm_loss(model, empty), Error);
}

TEST_CASE("score_lm on the stand-in device cpu:1: a host batch reads back the loss and the argmax only",
          "[objectives][eval]") {
  // Evaluation scores the host batch (score_lm moves it): the loss's target
  // scan and the accuracy read the host's targets, so a GPU pass waits twice
  // per batch (the loss, the N argmax ids), not four times.
  nn::TransformerModel host_model(tiny_config(), 3), device_model(tiny_config(), 3, Device::parse("cpu:1"));
  host_model.set_training(false);
  device_model.set_training(false);
  const LmBatch batch = mlm_batch();
  const LmScore on_host = score_lm(host_model, batch);
  const int64_t transfers = host_transfer_count(), reads = host_read_count();
  const LmScore on_device = score_lm(device_model, batch);
  CHECK(host_transfer_count() - transfers == 2);
  CHECK(host_read_count() - reads == 1);  // the loss
  CHECK(on_device.loss_sum == on_host.loss_sum);
  CHECK(on_device.n_correct == on_host.n_correct);
  CHECK(on_device.n_words == on_host.n_words);
}
