// End-to-end check of decoding on a model that knows its task: a tiny
// encoder-decoder is trained here (plain loop: encoder forward, decoder
// forward with src_enc, cross-entropy on the next target token, Adam) to
// reverse short sequences, then greedy and beam search must reproduce the
// reversed sequences of held-out inputs exactly. Words 14..19 are the
// symbols (0..13 are XLM's special ids).
#include "core/autograd.h"
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/gather_rows/gather_rows.h"
#include "nn/optimizer.h"
#include "nn/transformer.h"
#include "support.h"
#include "tasks/mt/generate.h"

#include <random>

using namespace xlm;

namespace {

nn::TransformerConfig reverse_config(bool decoder) {
  nn::TransformerConfig c;
  c.n_words = 20;
  c.emb_dim = 32;
  c.n_layers = 1;
  c.n_heads = 4;
  c.n_langs = 1;
  c.id2lang = {"xx"};
  c.dropout = 0.0;
  c.attention_dropout = 0.0;
  c.max_positions = 16;
  c.is_decoder = decoder;
  return c;
}

struct Batch {
  Tensor x, x_len, y, y_len;  // (B, S), (B), (B, T), (B): </s> w.. </s> <pad>..
  std::vector<std::vector<int64_t>> targets;  // reversed symbols per sentence
};

Batch make_batch(std::mt19937& rng, int64_t B) {
  std::uniform_int_distribution<int64_t> len_dist(2, 5), sym(14, 19);
  std::vector<std::vector<int64_t>> src(static_cast<size_t>(B));
  Batch batch;
  int64_t S = 0;
  for (auto& s : src) {
    s.resize(static_cast<size_t>(len_dist(rng)));
    for (auto& w : s) w = sym(rng);
    S = std::max<int64_t>(S, static_cast<int64_t>(s.size()) + 2);
  }
  std::vector<int64_t> x(static_cast<size_t>(B * S), 2), y(static_cast<size_t>(B * S), 2), len(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    const auto& s = src[static_cast<size_t>(b)];
    const int64_t n = static_cast<int64_t>(s.size());
    std::vector<int64_t> r(s.rbegin(), s.rend());
    x[static_cast<size_t>(b * S)] = y[static_cast<size_t>(b * S)] = 1;
    for (int64_t t = 0; t < n; ++t) {
      x[static_cast<size_t>(b * S + 1 + t)] = s[static_cast<size_t>(t)];
      y[static_cast<size_t>(b * S + 1 + t)] = r[static_cast<size_t>(t)];
    }
    x[static_cast<size_t>(b * S + n + 1)] = y[static_cast<size_t>(b * S + n + 1)] = 1;
    len[static_cast<size_t>(b)] = n + 2;
    batch.targets.push_back(r);
  }
  batch.x = Tensor::from_vector(x, {B, S});
  batch.y = Tensor::from_vector(y, {B, S});
  batch.x_len = batch.y_len = Tensor::from_vector(len, {B});
  return batch;
}

Tensor encode(nn::TransformerModel& encoder, const Batch& batch) {
  nn::ForwardArgs a;
  a.words = batch.x;
  a.lengths = batch.x_len;
  return encoder.forward(a);  // (B, S, D)
}

}  // namespace

TEST_CASE("generate: a trained tiny encoder-decoder reverses sequences under greedy and beam", "[tasks][generate]") {
  nn::TransformerModel encoder(reverse_config(false), 31), decoder(reverse_config(true), 32);
  nn::Optimizer enc_opt(nn::parse_optimizer_spec("adam,lr=0.003"), encoder.parameters());
  nn::Optimizer dec_opt(nn::parse_optimizer_spec("adam,lr=0.003"), decoder.parameters());
  std::mt19937 rng(5);
  double loss_value = 0;
  for (int step = 0; step < 250; ++step) {
    const Batch batch = make_batch(rng, 32);
    const int64_t B = batch.y.size(0), T = batch.y.size(1);
    const Tensor src_enc = encode(encoder, batch);
    nn::ForwardArgs d;
    d.words = batch.y;
    d.lengths = batch.y_len;
    d.causal = true;
    d.src_enc = src_enc;
    d.src_len = batch.x_len;
    const Tensor hidden = decoder.forward(d).reshape({B * T, 32});  // (B*T, D)
    // Position t predicts y[t + 1] for t < length - 1.
    std::vector<int64_t> rows, targets;
    const std::vector<int64_t> y = batch.y.to_vector<int64_t>(), len = batch.y_len.to_vector<int64_t>();
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t + 1 < len[static_cast<size_t>(b)]; ++t) {
        rows.push_back(b * T + t);
        targets.push_back(y[static_cast<size_t>(b * T + t + 1)]);
      }
    const int64_t n = static_cast<int64_t>(rows.size());
    const Tensor logits = decoder.predict(gather_rows(hidden, Tensor::from_vector(rows, {n})));  // (n, V)
    const Tensor loss = cross_entropy(logits, Tensor::from_vector(targets, {n}));
    loss.backward();
    enc_opt.step();
    dec_opt.step();
    enc_opt.zero_grad();
    dec_opt.zero_grad();
    loss_value = loss.item();
  }
  INFO("final training loss " << loss_value);
  CHECK(loss_value < 0.05);

  encoder.set_training(false);
  decoder.set_training(false);
  std::mt19937 held_out(99);
  const Batch test = make_batch(held_out, 12);
  autograd::NoGradGuard no_grad;
  const Tensor src_enc = encode(encoder, test);
  const int64_t max_len = static_cast<int64_t>(1.5 * static_cast<double>(test.x.size(1)) + 10);
  const tasks::Generated greedy = tasks::generate_greedy(decoder, src_enc, test.x_len, 0, max_len);
  const tasks::Generated beam =
      tasks::generate_beam(decoder, src_enc, test.x_len, 0, max_len, tasks::GenerationOptions{3, 1.0, false});
  for (const tasks::Generated* g : {&greedy, &beam}) {
    const int64_t L = g->words.size(1);
    const std::vector<int64_t> w = g->words.to_vector<int64_t>(), len = g->lengths.to_vector<int64_t>();
    for (size_t b = 0; b < test.targets.size(); ++b) {
      INFO((g == &greedy ? "greedy" : "beam") << " sentence " << b);
      const auto& want = test.targets[b];
      REQUIRE(len[b] == static_cast<int64_t>(want.size()) + 2);
      const std::vector<int64_t> got(w.begin() + static_cast<int64_t>(b) * L + 1,
                                     w.begin() + static_cast<int64_t>(b) * L + len[b] - 1);
      CHECK(got == want);
    }
  }
}
