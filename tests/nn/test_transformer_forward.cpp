// Exact behaviours of TransformerModel.forward that the trainer relies on:
// zeroed padding, batch independence, causality, dropout determinism and its
// exact draw count, and incremental decoding with a cache equal to the full
// causal pass.
#include "tiny_model.h"

#include "core/autograd.h"
#include "core/error.h"
#include "support.h"

#include <cmath>

using namespace xlm;
using namespace xlm::nn;

namespace {

Tensor run(TransformerModel& model, const Tensor& words, const Tensor& lengths, const Tensor& langs,
           bool causal = false) {
  ForwardArgs a;
  a.words = words;
  a.lengths = lengths;
  a.langs = langs;
  a.causal = causal;
  return model.forward(a);
}

// Values of rows [t0, t1) of sentence b of a (B, T, D) tensor.
std::vector<double> rows_of(const Tensor& h, int64_t b, int64_t t0, int64_t t1) {
  const std::vector<double> all = h.to_doubles();
  const int64_t T = h.size(1), D = h.size(2);
  return std::vector<double>(all.begin() + (b * T + t0) * D, all.begin() + (b * T + t1) * D);
}

}  // namespace

TEST_CASE("nn: rows past each length are exactly zero, in training and eval", "[nn][forward]") {
  TransformerModel model(nntest::tiny_config(), 1);
  nntest::TinyBatch batch;
  for (bool training : {true, false}) {
    model.set_training(training);
    const Tensor h = run(model, batch.words, batch.lengths, batch.langs);
    REQUIRE(h.shape() == Shape{2, 5, 8});
    for (double v : rows_of(h, 1, 3, 5)) CHECK(v == 0.0);
    double inside = 0;
    for (double v : rows_of(h, 1, 0, 3)) inside += std::fabs(v);
    CHECK(inside > 1.0);
  }
}

TEST_CASE("nn: a padded batch gives each sentence the hidden states it gets alone", "[nn][forward]") {
  TransformerModel model(nntest::tiny_config(), 2);
  model.set_training(false);
  nntest::TinyBatch batch;
  const Tensor h = run(model, batch.words, batch.lengths, batch.langs);
  const Tensor alone = run(model, nntest::ids({0, 4, 10}, {1, 3}), nntest::ids({3}, {1}), nntest::ids({1, 1, 1}, {1, 3}));
  XLM_CHECK_CLOSE(rows_of(h, 1, 0, 3), rows_of(alone, 0, 0, 3), 1e-6, 0.0);
  const Tensor first = run(model, nntest::ids({0, 10, 19, 7, 1}, {1, 5}), nntest::ids({5}, {1}),
                           nntest::ids({0, 0, 0, 0, 0}, {1, 5}));
  XLM_CHECK_CLOSE(rows_of(h, 0, 0, 5), rows_of(first, 0, 0, 5), 1e-6, 0.0);
}

TEST_CASE("nn: causal attention: changing a later word leaves earlier outputs unchanged", "[nn][forward]") {
  TransformerModel model(nntest::tiny_config(), 3);
  model.set_training(false);
  const Tensor lengths = nntest::ids({5}, {1});
  const Tensor a = run(model, nntest::ids({0, 10, 19, 7, 1}, {1, 5}), lengths, Tensor(), true);
  const Tensor b = run(model, nntest::ids({0, 10, 19, 3, 12}, {1, 5}), lengths, Tensor(), true);
  XLM_CHECK_CLOSE(rows_of(a, 0, 0, 3), rows_of(b, 0, 0, 3), 1e-6, 0.0);
  CHECK(xlm::test::first_mismatch(rows_of(a, 0, 3, 5), rows_of(b, 0, 3, 5), 1e-3, 0.0) >= 0);
  // Without the causal mask the change reaches the first positions too.
  const Tensor c = run(model, nntest::ids({0, 10, 19, 7, 1}, {1, 5}), lengths, Tensor(), false);
  const Tensor d = run(model, nntest::ids({0, 10, 19, 3, 12}, {1, 5}), lengths, Tensor(), false);
  CHECK(xlm::test::first_mismatch(rows_of(c, 0, 0, 3), rows_of(d, 0, 0, 3), 1e-4, 0.0) >= 0);
}

TEST_CASE("nn: the language embedding is added only when langs are given", "[nn][forward]") {
  TransformerModel model(nntest::tiny_config(), 4);
  model.set_training(false);
  nntest::TinyBatch batch;
  const Tensor with = run(model, batch.words, batch.lengths, batch.langs);
  const Tensor without = run(model, batch.words, batch.lengths, Tensor());
  CHECK(xlm::test::first_mismatch(with.to_doubles(), without.to_doubles(), 1e-4, 0.0) >= 0);
  // use_lang_emb false: no table, langs ignored.
  TransformerConfig c = nntest::tiny_config();
  c.use_lang_emb = false;
  TransformerModel plain(c, 4);
  plain.set_training(false);
  XLM_CHECK_CLOSE(run(plain, batch.words, batch.lengths, batch.langs).to_doubles(),
                  run(plain, batch.words, batch.lengths, Tensor()).to_doubles(), 0.0, 0.0);
}

TEST_CASE("nn: dropout is off in eval and replayable from the stream state in training", "[nn][forward][dropout]") {
  TransformerModel model(nntest::tiny_config(), 5);
  nntest::TinyBatch batch;
  model.set_training(false);
  const uint64_t before = model.dropout_stream().offset();
  const Tensor e1 = run(model, batch.words, batch.lengths, batch.langs);
  const Tensor e2 = run(model, batch.words, batch.lengths, batch.langs);
  CHECK(model.dropout_stream().offset() == before);  // eval draws nothing
  XLM_CHECK_CLOSE(e1.to_doubles(), e2.to_doubles(), 0.0, 0.0);

  model.set_training(true);
  model.dropout_stream() = PhiloxStream(77, 1000);
  const Tensor t1 = run(model, batch.words, batch.lengths, batch.langs);
  const uint64_t used = model.dropout_stream().offset() - 1000;
  // Draws: embeddings B*T*D, then per layer attention weights B*H*T*T, attention
  // output B*T*D and FFN output B*T*D (each rounded up to a multiple of 4).
  const uint64_t btd = 2 * 5 * 8, bhtt = 2 * 2 * 5 * 5;
  CHECK(used == btd + 2 * (bhtt + btd + btd));
  model.dropout_stream() = PhiloxStream(77, 1000);
  const Tensor t2 = run(model, batch.words, batch.lengths, batch.langs);
  XLM_CHECK_CLOSE(t1.to_doubles(), t2.to_doubles(), 0.0, 0.0);
  const Tensor t3 = run(model, batch.words, batch.lengths, batch.langs);  // stream moved on: new masks
  CHECK(xlm::test::first_mismatch(t1.to_doubles(), t3.to_doubles(), 1e-6, 0.0) >= 0);
  CHECK(xlm::test::first_mismatch(t1.to_doubles(), e1.to_doubles(), 1e-6, 0.0) >= 0);
}

TEST_CASE("nn: p = 0 dropout is skipped even in training", "[nn][forward][dropout]") {
  TransformerConfig c = nntest::tiny_config();
  c.dropout = 0;
  c.attention_dropout = 0;
  TransformerModel model(c, 6);
  nntest::TinyBatch batch;
  const Tensor t = run(model, batch.words, batch.lengths, batch.langs);
  CHECK(model.dropout_stream().offset() == 0);
  model.set_training(false);
  XLM_CHECK_CLOSE(t.to_doubles(), run(model, batch.words, batch.lengths, batch.langs).to_doubles(), 0.0, 0.0);
}

TEST_CASE("nn: incremental decoding with a cache equals the full causal forward", "[nn][forward][cache]") {
  TransformerModel model(nntest::tiny_config(true), 7);
  model.set_training(false);
  const int64_t B = 2, T = 5, S = 4;
  const std::vector<int64_t> words = {1, 10, 19, 7, 3, 1, 4, 10, 6, 9};  // (B, T)
  const std::vector<int64_t> langs = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
  const Tensor src_enc = nntest::random_tensor({B, S, 8}, 9, DType::f32);  // (B, S, D)
  const Tensor src_len = nntest::ids({4, 2}, {B});

  ForwardArgs full;
  full.words = nntest::ids(words, {B, T});
  full.lengths = nntest::ids({T, T}, {B});
  full.langs = nntest::ids(langs, {B, T});
  full.causal = true;
  full.src_enc = src_enc;
  full.src_len = src_len;
  const Tensor h = model.forward(full);  // (B, T, D)

  autograd::NoGradGuard no_grad;
  DecoderCache cache;
  for (int64_t t = 0; t < T; ++t) {
    ForwardArgs step;
    step.words = nntest::ids({words[static_cast<size_t>(t)], words[static_cast<size_t>(T + t)]}, {B, 1});
    step.langs = nntest::ids({langs[static_cast<size_t>(t)], langs[static_cast<size_t>(T + t)]}, {B, 1});
    step.lengths = nntest::ids({t + 1, t + 1}, {B});
    step.causal = true;
    step.src_enc = src_enc;
    step.src_len = src_len;
    step.cache = &cache;
    const Tensor out = model.forward(step);  // (B, 1, D)
    REQUIRE(out.shape() == Shape{B, 1, 8});
    CHECK(cache.slen == t + 1);
    REQUIRE(cache.self_attn.size() == 2);
    CHECK(cache.self_attn[0].k.shape() == Shape{B, t + 1, 2, 4});
    CHECK(cache.cross_attn[1].k.shape() == Shape{B, S, 2, 4});
    for (int64_t b = 0; b < B; ++b) {
      INFO("step " << t << " sentence " << b);
      XLM_CHECK_CLOSE(rows_of(out, b, 0, 1), rows_of(h, b, t, t + 1), 1e-5, 0.0);
    }
  }
}

TEST_CASE("nn: forward rejects bad inputs with a message naming the argument", "[nn][forward]") {
  TransformerModel model(nntest::tiny_config(), 8);
  nntest::TinyBatch batch;
  ForwardArgs a;
  a.words = batch.words;
  a.lengths = nntest::ids({6, 3}, {2});
  XLM_CHECK_THROWS(model.forward(a), ShapeError, "lengths[0] = 6");
  a.lengths = nntest::ids({5}, {1});
  XLM_CHECK_THROWS(model.forward(a), ShapeError, "lengths");
  a.lengths = batch.lengths;
  a.src_enc = nntest::random_tensor({2, 3, 8}, 1, DType::f32);
  a.src_len = nntest::ids({3, 3}, {2});
  XLM_CHECK_THROWS(model.forward(a), ConfigError, "is_decoder");
  ForwardArgs b;
  b.words = nntest::ids(std::vector<int64_t>(2 * 17, 4), {2, 17});
  b.lengths = nntest::ids({17, 17}, {2});
  XLM_CHECK_THROWS(model.forward(b), IndexError, "max_positions 16");
}
