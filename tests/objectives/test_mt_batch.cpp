// The MT batch layout of XLM's mt_step, worked out by hand: the decoder's
// state at t predicts x2[t + 1] for t < len2 - 1 (never a <pad>, the last
// </s> predicted, the first never), language ids per side; and the loss on a
// tiny encoder-decoder equals the cross-entropy of a full decoder forward.
#include "core/autograd.h"
#include "core/error.h"
#include "objectives/mt.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace xlm;
using namespace xlm::objectives;
using V = std::vector<int64_t>;

TEST_CASE("mt_batch lays out encoder input, decoder input and shifted targets", "[objectives][mt]") {
  const Tensor x1 = Tensor::from_vector<int64_t>({1, 20, 21, 1, 1, 30, 1, 2}, {2, 4});
  const Tensor len1 = Tensor::from_vector<int64_t>({4, 3}, {2});
  const Tensor x2 = Tensor::from_vector<int64_t>({1, 40, 1, 2, 2, 1, 50, 51, 52, 1}, {2, 5});
  const Tensor len2 = Tensor::from_vector<int64_t>({3, 5}, {2});
  const MtBatch b = mt_batch(x1, len1, 1, x2, len2, 0);
  CHECK(b.x1.to_vector<int64_t>() == x1.to_vector<int64_t>());
  CHECK(b.langs1.to_vector<int64_t>() == V(8, 1));
  CHECK(b.langs2.to_vector<int64_t>() == V(10, 0));
  CHECK(b.pred_index.to_vector<int64_t>() == V{0, 1, 5, 6, 7, 8});
  CHECK(b.targets.to_vector<int64_t>() == V{40, 1, 50, 51, 52, 1});
  CHECK(b.n_sentences == 2);
  const Tensor bad_len = Tensor::from_vector<int64_t>({6, 3}, {2});
  CHECK_THROWS_AS(mt_batch(x1, len1, 1, x2, bad_len, 0), ShapeError);
  const Tensor one = Tensor::from_vector<int64_t>({1, 20, 1}, {1, 3});
  CHECK_THROWS_AS(mt_batch(one, Tensor::from_vector<int64_t>({3}, {1}), 0, x2, len2, 0), ShapeError);
}

TEST_CASE("mt_loss is the cross-entropy of the full decoder's next-word distributions", "[objectives][mt]") {
  nn::TransformerConfig c;
  c.n_words = 60;
  c.emb_dim = 16;
  c.n_layers = 1;
  c.n_heads = 2;
  c.n_langs = 2;
  c.dropout = 0;
  c.attention_dropout = 0;
  nn::TransformerModel encoder(c, 1);
  c.is_decoder = true;
  nn::TransformerModel decoder(c, 2);
  encoder.set_training(false);
  decoder.set_training(false);
  const Tensor x1 = Tensor::from_vector<int64_t>({1, 20, 21, 1, 1, 30, 1, 2}, {2, 4});
  const Tensor len1 = Tensor::from_vector<int64_t>({4, 3}, {2});
  const Tensor x2 = Tensor::from_vector<int64_t>({1, 40, 1, 2, 2, 1, 50, 51, 52, 1}, {2, 5});
  const Tensor len2 = Tensor::from_vector<int64_t>({3, 5}, {2});
  const MtBatch b = mt_batch(x1, len1, 0, x2, len2, 1);
  autograd::NoGradGuard no_grad;
  const double loss = mt_loss(encoder, decoder, b).item();

  // Reference: every position's logits from a full forward, log-softmax by hand.
  nn::ForwardArgs enc;
  enc.words = x1;
  enc.lengths = len1;
  enc.langs = b.langs1;
  const Tensor src = encoder.forward(enc);
  nn::ForwardArgs dec;
  dec.words = x2;
  dec.lengths = len2;
  dec.causal = true;
  dec.langs = b.langs2;
  dec.src_enc = src;
  dec.src_len = len1;
  const Tensor h = decoder.forward(dec);                               // (2, 5, 16)
  const std::vector<float> logits = decoder.predict(h.reshape({-1, 16})).to_vector<float>();  // (10, 60)
  const V idx = b.pred_index.to_vector<int64_t>(), tgt = b.targets.to_vector<int64_t>();
  double sum = 0;
  for (size_t i = 0; i < idx.size(); ++i) {
    const float* row = logits.data() + idx[i] * 60;
    double m = row[0];
    for (int v = 1; v < 60; ++v) m = std::max(m, static_cast<double>(row[v]));
    double z = 0;
    for (int v = 0; v < 60; ++v) z += std::exp(row[v] - m);
    sum += -(row[tgt[i]] - m - std::log(z));
  }
  CHECK(loss == Approx(sum / static_cast<double>(idx.size())).epsilon(1e-5));
  const LmScore score = score_mt(encoder, decoder, b);
  CHECK(score.n_words == 6);
  CHECK(score.loss_sum == Approx(sum).epsilon(1e-5));
}
