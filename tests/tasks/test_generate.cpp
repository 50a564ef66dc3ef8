// Greedy and beam decoding on tiny random decoders: the </s> ... </s> <pad>
// layout, beam 1 (with early stopping) equal to greedy word for word, the
// cached per-step log-probabilities equal to a full non-cached forward, beam
// search never scoring below greedy on these models, and XLM's
// BeamHypotheses bookkeeping.
#include "core/autograd.h"
#include "core/error.h"
#include "core/host_reads.h"
#include "nn/tiny_model.h"
#include "support.h"
#include "tasks/mt/beam_hypotheses.h"
#include "tasks/mt/generate.h"

#include <cmath>

using namespace xlm;
using namespace xlm::tasks;

namespace {

// A tiny eval-mode decoder; eos_boost is added to the </s> output bias so
// that sentences end early instead of always running into max_len.
std::unique_ptr<nn::TransformerModel> tiny_decoder(uint64_t seed, double eos_boost) {
  auto model = std::make_unique<nn::TransformerModel>(nntest::tiny_config(true), seed);
  model->set_training(false);
  for (auto& [name, t] : model->parameters())
    if (name == "pred_layer.proj.bias") t.data<float>()[1] += static_cast<float>(eos_boost);
  return model;
}

struct Source {
  Tensor enc = nntest::random_tensor({3, 4, 8}, 21, DType::f32);  // (B, S, D)
  Tensor len = nntest::ids({4, 2, 3}, {3});
};

// Sum of log p(words[t+1] | words[..t]) for t < length-1 of sentence b, from
// one full causal forward without a cache.
double full_forward_score(nn::TransformerModel& decoder, const Generated& g, int64_t b, const Source& src,
                          int64_t lang) {
  autograd::NoGradGuard no_grad;
  const int64_t L = g.words.size(1), n = g.lengths.to_vector<int64_t>()[static_cast<size_t>(b)];
  const std::vector<int64_t> all = g.words.to_vector<int64_t>();
  const std::vector<int64_t> row(all.begin() + b * L, all.begin() + b * L + n);
  nn::ForwardArgs a;
  a.words = nntest::ids(std::vector<int64_t>(row.begin(), row.end() - 1), {1, n - 1});
  a.lengths = nntest::ids({n - 1}, {1});
  a.langs = Tensor::full({1, n - 1}, static_cast<double>(lang), DType::i64);
  a.causal = true;
  a.src_enc = src.enc.slice(b, b + 1);
  a.src_len = src.len.slice(b, b + 1);
  const Tensor logits = decoder.predict(decoder.forward(a).reshape({n - 1, 8}));  // (n-1, V)
  const std::vector<double> v = logits.to_doubles();
  const int64_t V = logits.size(1);
  double sum = 0;
  for (int64_t t = 0; t + 1 < n; ++t) {
    double m = -1e300, z = 0;
    for (int64_t w = 0; w < V; ++w) m = std::max(m, v[static_cast<size_t>(t * V + w)]);
    for (int64_t w = 0; w < V; ++w) z += std::exp(v[static_cast<size_t>(t * V + w)] - m);
    sum += v[static_cast<size_t>(t * V + row[static_cast<size_t>(t + 1)])] - m - std::log(z);
  }
  return sum;
}

void check_layout(const Generated& g, int64_t max_len) {
  const int64_t B = g.words.size(0), L = g.words.size(1);
  const std::vector<int64_t> w = g.words.to_vector<int64_t>(), len = g.lengths.to_vector<int64_t>();
  REQUIRE(g.lengths.shape() == Shape{B});
  REQUIRE(g.scores.shape() == Shape{B});
  int64_t longest = 0;
  for (int64_t b = 0; b < B; ++b) {
    INFO("sentence " << b);
    const int64_t n = len[static_cast<size_t>(b)];
    longest = std::max(longest, n);
    REQUIRE(n >= 2);
    REQUIRE(n <= max_len);
    CHECK(w[static_cast<size_t>(b * L)] == 1);
    CHECK(w[static_cast<size_t>(b * L + n - 1)] == 1);
    for (int64_t t = 1; t + 1 < n; ++t) CHECK(w[static_cast<size_t>(b * L + t)] != 1);
    for (int64_t t = n; t < L; ++t) CHECK(w[static_cast<size_t>(b * L + t)] == 2);
  }
  CHECK(L == longest);
}

}  // namespace

TEST_CASE("generate: greedy layout, max_len cap and argument checks", "[tasks][generate]") {
  Source src;
  auto decoder = tiny_decoder(3, 0.0);
  const Generated capped = generate_greedy(*decoder, src.enc, src.len, 1, 3);
  check_layout(capped, 3);
  const Generated g = generate_greedy(*decoder, src.enc, src.len, 1, 12);
  check_layout(g, 12);
  // A sentence that ran into the cap has length max_len and the cap's prefix.
  const std::vector<int64_t> len = g.lengths.to_vector<int64_t>(), cl = capped.lengths.to_vector<int64_t>();
  const std::vector<int64_t> w = g.words.to_vector<int64_t>(), cw = capped.words.to_vector<int64_t>();
  for (size_t b = 0; b < 3; ++b) {
    if (cl[b] == 3) {
      CHECK(cw[b * 3 + 1] == w[b * static_cast<size_t>(g.words.size(1)) + 1]);
    }
  }
  // An eos-heavy decoder ends sentences before the cap.
  auto eager = tiny_decoder(3, 6.0);
  const Generated short_g = generate_greedy(*eager, src.enc, src.len, 1, 12);
  check_layout(short_g, 12);
  for (int64_t n : short_g.lengths.to_vector<int64_t>()) CHECK(n < 12);

  decoder->set_training(true);
  XLM_CHECK_THROWS(generate_greedy(*decoder, src.enc, src.len, 1, 12), ConfigError, "training mode");
  decoder->set_training(false);
  XLM_CHECK_THROWS(generate_greedy(*decoder, src.enc, src.len, 1, 1), ConfigError, "max_len 1");
  XLM_CHECK_THROWS(generate_greedy(*decoder, src.enc, src.len, 5, 8), ConfigError, "tgt_lang_id 5");
  XLM_CHECK_THROWS(generate_beam(*decoder, src.enc, src.len, 1, 8, GenerationOptions{0, 1.0, false}), ConfigError,
                   "beam_size 0");
  // max_len above the decoder's positions is lowered to max_positions + 1 (16 + 1).
  const Generated wide = generate_greedy(*decoder, src.enc, src.len, 1, 100);
  check_layout(wide, 17);
}

TEST_CASE("generate: beam 1 with early stopping equals greedy exactly", "[tasks][generate]") {
  Source src;
  for (uint64_t seed : {1, 2, 3, 4, 5, 6}) {
    for (double boost : {0.0, 2.0, 4.0}) {
      INFO("seed " << seed << " eos boost " << boost);
      auto decoder = tiny_decoder(seed, boost);
      const Generated greedy = generate_greedy(*decoder, src.enc, src.len, 0, 14);
      const Generated beam = generate_beam(*decoder, src.enc, src.len, 0, 14, GenerationOptions{1, 1.0, true});
      check_layout(beam, 14);
      REQUIRE(beam.words.shape() == greedy.words.shape());
      CHECK(beam.words.to_vector<int64_t>() == greedy.words.to_vector<int64_t>());
      CHECK(beam.lengths.to_vector<int64_t>() == greedy.lengths.to_vector<int64_t>());
      XLM_CHECK_CLOSE(beam.scores.to_doubles(), greedy.scores.to_doubles(), 1e-9, 0.0);
      // Without early stopping the single beam goes on after greedy's </s>
      // and keeps greedy's hypothesis unless it finds a better one.
      const Generated longer = generate_beam(*decoder, src.enc, src.len, 0, 14, GenerationOptions{1, 1.0, false});
      check_layout(longer, 14);
      for (size_t b = 0; b < 3; ++b) {
        const auto norm = [&](const Generated& g) {
          return g.scores.to_doubles()[b] / static_cast<double>(g.lengths.to_vector<int64_t>()[b] - 1);
        };
        CHECK(norm(longer) >= norm(greedy) - 1e-9);
      }
    }
  }
}

TEST_CASE("generate: cached scores match a full forward, beam k scores at least greedy", "[tasks][generate]") {
  Source src;
  int64_t improved = 0, compared = 0;
  for (uint64_t seed : {7, 8, 9, 10}) {
    auto decoder = tiny_decoder(seed, 2.5);
    const int64_t max_len = 16;
    const Generated greedy = generate_greedy(*decoder, src.enc, src.len, 1, max_len);
    check_layout(greedy, max_len);
    const std::vector<int64_t> glen = greedy.lengths.to_vector<int64_t>();
    const std::vector<double> gscore = greedy.scores.to_doubles();
    for (int64_t k : {2, 3, 5}) {
      for (bool early : {false, true}) {
        const Generated beam = generate_beam(*decoder, src.enc, src.len, 1, max_len, GenerationOptions{k, 1.0, early});
        check_layout(beam, max_len);
        const std::vector<int64_t> blen = beam.lengths.to_vector<int64_t>();
        const std::vector<double> bscore = beam.scores.to_doubles();
        for (int64_t b = 0; b < 3; ++b) {
          INFO("seed " << seed << " beam " << k << " early " << early << " sentence " << b);
          const size_t i = static_cast<size_t>(b);
          // Only sentences ended by </s>: at the cap the score counts the replaced word.
          if (glen[i] == max_len || blen[i] == max_len) continue;
          ++compared;
          const double g_full = full_forward_score(*decoder, greedy, b, src, 1);
          const double b_full = full_forward_score(*decoder, beam, b, src, 1);
          CHECK(std::abs(g_full - gscore[i]) <= 1e-5);
          CHECK(std::abs(b_full - bscore[i]) <= 1e-5);
          const double g_norm = g_full / static_cast<double>(glen[i] - 1);
          const double b_norm = b_full / static_cast<double>(blen[i] - 1);
          CHECK(b_norm >= g_norm - 1e-9);
          if (b_norm > g_norm + 1e-6) ++improved;
        }
      }
    }
  }
  CHECK(compared >= 60);  // of 4 seeds x 6 settings x 3 sentences
  CHECK(improved > 0);    // beam search does find better hypotheses on these models
}

TEST_CASE("generate: BeamHypotheses keeps the n best by length-normalised score", "[tasks][generate]") {
  BeamHypotheses h(2, 11, 1.0, false);  // ranks by sum / length; max_len - 1 = 10
  CHECK_FALSE(h.is_done(-1.0));
  h.add({1, 5}, -4.0);        // -2.0
  h.add({1, 5, 6, 7}, -4.0);  // -1.0
  REQUIRE(h.size() == 2);
  h.add({1, 9, 9}, -9.0);  // -3.0: below the worst, not kept
  CHECK(h.size() == 2);
  h.add({1, 8, 8, 8, 8}, -7.5);  // -1.5: evicts -2.0
  REQUIRE(h.size() == 2);
  CHECK(h.best().tokens == std::vector<int64_t>{1, 5, 6, 7});
  CHECK(h.hypotheses()[1].score == Approx(-1.5));
  // Done when the worst kept (-1.5) beats the best a running beam could reach: sum / 10.
  CHECK(h.is_done(-15.0));
  CHECK_FALSE(h.is_done(-14.0));
  BeamHypotheses early(1, 11, 1.0, true);
  early.add({1, 4}, -30.0);
  CHECK(early.is_done(-0.1));
  BeamHypotheses squared(1, 11, 2.0, false);
  squared.add({1, 4}, -8.0);
  CHECK(squared.best().score == Approx(-2.0));
}

TEST_CASE("generate: one transfer to the host per generated position (cpu:1)", "[tasks][generate]") {
  // decode_topk's values and ids come back together (decode_topk_to_host): on
  // a GPU, one wait per generated token. The stand-in device cpu:1 counts
  // every device-to-host copy as a GPU would make it.
  const Device standin = Device::parse("cpu:1");
  nn::TransformerModel decoder(nntest::tiny_config(true), 3, standin);
  decoder.set_training(false);
  Source src;
  const Tensor enc = src.enc.to(standin), len = src.len.to(standin);
  const int64_t before = host_transfer_count();
  const Generated g = generate_greedy(decoder, enc, len, 1, 12);
  const int64_t transfers = host_transfer_count() - before;
  check_layout(g, 12);
  CHECK(transfers == g.words.size(1) - 1);  // positions 1 .. L-1, each chosen by one decode_topk
}
