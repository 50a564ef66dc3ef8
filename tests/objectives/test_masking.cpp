// MLM masking (objectives/masking.h): the rates XLM's mask_out produces
// (15% chosen, 80/10/10 mask/keep/rand) within a few standard deviations on
// ~20k candidates, the exact count and rare-word preference of
// sample_alpha, specials/padding never chosen, targets = original words,
// the forced single prediction, flag parsing, and replay from a state.
#include "core/error.h"
#include "objectives/masking.h"
#include "text/dictionary.h"
#include "text/shuffle.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace xlm;
using namespace xlm::objectives;

namespace {

constexpr int64_t kWords = 1000;  // dictionary size of the synthetic batches

struct Batch {
  Tensor words, lengths;
  std::vector<int64_t> w, len;
  int64_t B = 0, T = 0;
};

// (B, T) rows of random real words with ~5% specials mixed in, padded after
// random lengths in [T/2, T].
Batch synthetic_batch(int64_t B, int64_t T, uint64_t seed) {
  text::SplitMix64 rng(seed);
  Batch b;
  b.B = B;
  b.T = T;
  b.w.assign(static_cast<size_t>(B * T), text::kPadIndex);
  for (int64_t r = 0; r < B; ++r) {
    const int64_t len = T / 2 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(T / 2 + 1)));
    b.len.push_back(len);
    for (int64_t t = 0; t < len; ++t) {
      const bool special = rng.below(20) == 0;
      b.w[static_cast<size_t>(r * T + t)] =
          special ? static_cast<int64_t>(rng.below(14)) : 14 + static_cast<int64_t>(rng.below(kWords - 14));
    }
  }
  b.words = Tensor::from_vector(b.w, {B, T});
  b.lengths = Tensor::from_vector(b.len, {B});
  return b;
}

int64_t count_candidates(const Batch& b) {
  int64_t n = 0;
  for (int64_t r = 0; r < b.B; ++r)
    for (int64_t t = 0; t < b.len[static_cast<size_t>(r)]; ++t) n += b.w[static_cast<size_t>(r * b.T + t)] >= 14;
  return n;
}

MaskingOptions default_options() {
  MaskingOptions o;
  o.n_words = kWords;
  return o;
}

// Checks every structural rule of a masking result against its input.
void check_structure(const Batch& in, const MaskedWords& m, const MaskingOptions& o) {
  const auto out = m.words.to_vector<int64_t>();
  const auto index = m.pred_index.to_vector<int64_t>();
  const auto targets = m.targets.to_vector<int64_t>();
  REQUIRE(index.size() == targets.size());
  std::set<int64_t> chosen(index.begin(), index.end());
  for (size_t i = 0; i < index.size(); ++i) {
    if (i > 0) REQUIRE(index[i] > index[i - 1]);
    const int64_t r = index[i] / in.T, t = index[i] % in.T;
    REQUIRE(t < in.len[static_cast<size_t>(r)]);                       // never padding
    REQUIRE(targets[i] == in.w[static_cast<size_t>(index[i])]);        // targets are the original words
    REQUIRE(targets[i] >= text::kFirstWordIndex);                       // never a special token
    const int64_t now = out[static_cast<size_t>(index[i])];
    REQUIRE((now == o.mask_index || (now >= text::kFirstWordIndex && now < o.n_words)));
  }
  for (size_t f = 0; f < out.size(); ++f)
    if (!chosen.count(static_cast<int64_t>(f))) REQUIRE(out[f] == in.w[f]);  // the rest untouched
}

}  // namespace

TEST_CASE("masking: 15% of candidates chosen, 80/10/10 mask/keep/rand, specials never", "[objectives]") {
  const Batch in = synthetic_batch(40, 600, 7);
  const int64_t n_cand = count_candidates(in);
  REQUIRE(n_cand > 15000);
  const MaskingOptions o = default_options();
  text::SplitMix64 rng(123);
  const MaskedWords m = mask_words(in.words, in.lengths, o, rng);
  check_structure(in, m, o);

  const int64_t n = m.pred_index.numel();
  // sd of the rate is sqrt(.15*.85/n_cand) ~ 0.0025: 1% is four of them.
  CHECK(std::fabs(static_cast<double>(n) / static_cast<double>(n_cand) - 0.15) < 0.01);

  const auto out = m.words.to_vector<int64_t>();
  const auto index = m.pred_index.to_vector<int64_t>();
  const auto targets = m.targets.to_vector<int64_t>();
  int64_t masked = 0, kept = 0, replaced = 0;
  for (size_t i = 0; i < index.size(); ++i) {
    const int64_t now = out[static_cast<size_t>(index[i])];
    if (now == text::kMaskIndex) ++masked;
    else if (now == targets[i]) ++kept;
    else ++replaced;
  }
  const double dn = static_cast<double>(n);
  CHECK(std::fabs(masked / dn - 0.8) < 0.03);     // sd ~0.0073
  CHECK(std::fabs(kept / dn - 0.1) < 0.025);      // sd ~0.0055 (a random word equal to the original counts as kept)
  CHECK(std::fabs(replaced / dn - 0.1) < 0.025);
}

TEST_CASE("masking: keep_rand extremes are exact", "[objectives]") {
  const Batch in = synthetic_batch(8, 100, 3);
  MaskingOptions o = default_options();
  o.word_pred = 0.5;
  text::SplitMix64 rng(5);
  o.keep_rand = {1, 0, 0};
  MaskedWords m = mask_words(in.words, in.lengths, o, rng);
  for (int64_t f : m.pred_index.to_vector<int64_t>()) REQUIRE(m.words.to_vector<int64_t>()[static_cast<size_t>(f)] == 5);
  o.keep_rand = {0, 1, 0};
  m = mask_words(in.words, in.lengths, o, rng);
  REQUIRE(m.pred_index.numel() > 0);
  REQUIRE(m.words.to_vector<int64_t>() == in.w);
  o.keep_rand = {0, 0, 1};
  o.n_words = 15;  // the only real word is 14: every replacement must be 14
  Batch small = synthetic_batch(4, 50, 9);
  for (int64_t& v : small.w)
    if (v >= 14) v = 14;
  small.words = Tensor::from_vector(small.w, {small.B, small.T});
  m = mask_words(small.words, small.lengths, o, rng);
  check_structure(small, m, o);
  for (int64_t f : m.pred_index.to_vector<int64_t>()) REQUIRE(m.words.to_vector<int64_t>()[static_cast<size_t>(f)] == 14);
}

TEST_CASE("masking: sample_alpha picks exactly ceil(word_pred * candidates), favouring rare words", "[objectives]") {
  const Batch in = synthetic_batch(20, 300, 11);
  const int64_t n_cand = count_candidates(in);
  MaskingOptions o = default_options();
  o.sample_alpha = 0.5;
  // Even ids are frequent (count 10000), odd ids rare (count 10): weights differ by sqrt(1000) ~ 31.6.
  o.word_scores.assign(kWords, 0.0);
  for (int64_t id = 14; id < kWords; ++id) o.word_scores[static_cast<size_t>(id)] = std::pow(id % 2 ? 10.0 : 10000.0, -0.5);
  text::SplitMix64 rng(77);
  const MaskedWords m = mask_words(in.words, in.lengths, o, rng);
  check_structure(in, m, o);
  REQUIRE(m.pred_index.numel() == static_cast<int64_t>(std::ceil(0.15 * static_cast<double>(n_cand))));
  int64_t rare = 0;
  for (int64_t t : m.targets.to_vector<int64_t>()) rare += t % 2;
  // Half the candidates are rare; drawing 15% with 31:1 odds leaves few frequent picks.
  CHECK(static_cast<double>(rare) / static_cast<double>(m.targets.numel()) > 0.9);

  // Uniform scores: the share of rare picks stays near the share of rare candidates (1/2).
  o.word_scores.assign(kWords, 1.0);
  for (int64_t id = 0; id < 14; ++id) o.word_scores[static_cast<size_t>(id)] = 0.0;
  const MaskedWords u = mask_words(in.words, in.lengths, o, rng);
  rare = 0;
  for (int64_t t : u.targets.to_vector<int64_t>()) rare += t % 2;
  CHECK(std::fabs(static_cast<double>(rare) / static_cast<double>(u.targets.numel()) - 0.5) < 0.06);
}

TEST_CASE("masking: mask_scores follows the dictionary counts, specials get 0", "[objectives]") {
  std::istringstream vocab("the 100\nof 25\nrare 1\n");
  const text::Dictionary dico = text::Dictionary::from_vocab_stream(vocab, "vocab");
  const std::vector<double> s = mask_scores(dico, 0.5);
  REQUIRE(s.size() == 17);
  for (int i = 0; i < 14; ++i) CHECK(s[static_cast<size_t>(i)] == 0.0);
  CHECK(s[14] == Approx(0.1));
  CHECK(s[15] == Approx(0.2));
  CHECK(s[16] == Approx(1.0));
}

TEST_CASE("masking: at least one prediction when any real word exists, none otherwise", "[objectives]") {
  MaskingOptions o = default_options();
  o.word_pred = 0.0;
  // Row 0: </s> 20 21 </s>, row 1: </s> 30 </s> <pad>.
  const Tensor words = Tensor::from_vector<int64_t>({1, 20, 21, 1, 1, 30, 1, 2}, {2, 4});
  const Tensor lengths = Tensor::from_vector<int64_t>({4, 3}, {2});
  text::SplitMix64 rng(1);
  const MaskedWords m = mask_words(words, lengths, o, rng);
  REQUIRE(m.pred_index.numel() == 1);
  const int64_t f = m.pred_index.to_vector<int64_t>()[0];
  CHECK((f == 1 || f == 2 || f == 5));

  const Tensor specials = Tensor::from_vector<int64_t>({1, 5, 1, 2}, {1, 4});
  const MaskedWords none = mask_words(specials, Tensor::from_vector<int64_t>({3}, {1}), o, rng);
  CHECK(none.pred_index.numel() == 0);
  CHECK(none.words.to_vector<int64_t>() == specials.to_vector<int64_t>());
}

TEST_CASE("masking: the same generator state gives the same batch", "[objectives]") {
  const Batch in = synthetic_batch(6, 64, 21);
  MaskingOptions o = default_options();
  text::SplitMix64 a(99);
  (void)a.next();
  text::SplitMix64 b(a.state());
  const MaskedWords ma = mask_words(in.words, in.lengths, o, a);
  const MaskedWords mb = mask_words(in.words, in.lengths, o, b);
  CHECK(ma.words.to_vector<int64_t>() == mb.words.to_vector<int64_t>());
  CHECK(ma.pred_index.to_vector<int64_t>() == mb.pred_index.to_vector<int64_t>());
  CHECK(a.state() == b.state());
  const MaskedWords next = mask_words(in.words, in.lengths, o, a);
  CHECK(next.pred_index.to_vector<int64_t>() != ma.pred_index.to_vector<int64_t>());
}

TEST_CASE("masking: --word_mask_keep_rand parsing and option checks name the flag", "[objectives]") {
  const MaskKeepRand k = parse_mask_keep_rand("0.8,0.1,0.1");
  CHECK(k.mask == 0.8);
  CHECK(k.keep == 0.1);
  CHECK(k.rand == 0.1);
  const MaskKeepRand all_mask = parse_mask_keep_rand("1,0,0");
  CHECK(all_mask.mask == 1.0);
  for (const char* bad : {"0.8,0.1", "0.8,0.1,0.2", "a,0.1,0.1", "-0.2,0.6,0.6", "0.8,0.1,0.1,0", "", "0.8,,0.2"}) {
    INFO(bad);
    CHECK_THROWS_WITH(parse_mask_keep_rand(bad), Catch::Contains("--word_mask_keep_rand"));
    CHECK_THROWS_AS(parse_mask_keep_rand(bad), ConfigError);
  }
  MaskingOptions o = default_options();
  o.word_pred = 1.5;
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("--word_pred"));
  o = default_options();
  o.sample_alpha = 0.3;  // no scores given
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("--sample_alpha"));
  o = default_options();
  o.n_words = 14;
  CHECK_THROWS_AS(o.validate(), ConfigError);
  o = default_options();
  const Tensor words = Tensor::from_vector<int64_t>({1, kWords}, {1, 2});
  text::SplitMix64 rng(0);
  CHECK_THROWS_AS(mask_words(words, Tensor::from_vector<int64_t>({2}, {1}), o, rng), IndexError);
}
