// The denoising auto-encoder's noise (XLM's add_noise) on seeded batches:
// shuffle permutes only the words and moves none of them k positions or
// more; dropout and blank hit words at their rate, keep both </s>, keep at
// least one word, and re-pad exactly; a seed replays the same noise.
#include "core/error.h"
#include "objectives/noise.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace xlm;
using namespace xlm::objectives;
using V = std::vector<int64_t>;

namespace {

// B rows of n_words words each (ids 100 + b * 1000 + j), </s> at both ends, the
// last row shorter by `shorter` words and padded.
Sentences batch(int64_t B, int64_t n_words, int64_t shorter = 0) {
  const int64_t L = n_words + 2;
  V words(static_cast<size_t>(B * L), text::kPadIndex), lengths;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t n = b == B - 1 ? n_words - shorter : n_words;
    words[static_cast<size_t>(b * L)] = text::kEosIndex;
    for (int64_t j = 0; j < n; ++j) words[static_cast<size_t>(b * L + 1 + j)] = 100 + b * 1000 + j;
    words[static_cast<size_t>(b * L + n + 1)] = text::kEosIndex;
    lengths.push_back(n + 2);
  }
  return {Tensor::from_vector(words, {B, L}), Tensor::from_vector(lengths, {B})};
}

V row(const Sentences& s, int64_t b) {
  const V w = s.words.to_vector<int64_t>();
  const int64_t L = s.words.size(1);
  return V(w.begin() + b * L, w.begin() + (b + 1) * L);
}

}  // namespace

TEST_CASE("word_shuffle permutes words by less than k positions and keeps </s>", "[objectives][mt][noise]") {
  const Sentences in = batch(40, 12, 5);
  text::SplitMix64 rng(7);
  const double k = 3;
  const Sentences out = word_shuffle(in, k, rng);
  CHECK(out.lengths.to_vector<int64_t>() == in.lengths.to_vector<int64_t>());
  REQUIRE(out.words.shape() == in.words.shape());
  int64_t moved = 0;
  for (int64_t b = 0; b < 40; ++b) {
    const V a = row(in, b), c = row(out, b);
    const int64_t len = in.lengths.to_vector<int64_t>()[static_cast<size_t>(b)];
    CHECK(c[0] == text::kEosIndex);
    CHECK(c[static_cast<size_t>(len - 1)] == text::kEosIndex);
    for (int64_t t = len; t < in.words.size(1); ++t) CHECK(c[static_cast<size_t>(t)] == text::kPadIndex);
    V sa(a.begin() + 1, a.begin() + len - 1), sc(c.begin() + 1, c.begin() + len - 1);
    for (size_t j = 0; j < sc.size(); ++j) {
      const int64_t original = (sc[j] - 100) % 1000;  // the word's position before shuffling
      CHECK(std::abs(original - static_cast<int64_t>(j)) < k);
      if (original != static_cast<int64_t>(j)) ++moved;
    }
    std::sort(sa.begin(), sa.end());
    std::sort(sc.begin(), sc.end());
    CHECK(sa == sc);  // a permutation
  }
  CHECK(moved > 100);  // it does shuffle
  text::SplitMix64 again(7);
  CHECK(word_shuffle(in, k, again).words.to_vector<int64_t>() == out.words.to_vector<int64_t>());
  text::SplitMix64 off(7);
  CHECK(word_shuffle(in, 0, off).words.to_vector<int64_t>() == in.words.to_vector<int64_t>());
}

TEST_CASE("word_dropout drops words at its rate, keeps </s> and one word, re-pads", "[objectives][mt][noise]") {
  const Sentences in = batch(200, 10);
  text::SplitMix64 rng(3);
  const Sentences out = word_dropout(in, 0.3, rng);
  const V lengths = out.lengths.to_vector<int64_t>();
  int64_t kept = 0, max_len = 0;
  for (int64_t b = 0; b < 200; ++b) {
    const V c = row(out, b);
    const int64_t len = lengths[static_cast<size_t>(b)];
    max_len = std::max(max_len, len);
    REQUIRE(len >= 3);  // at least one word
    CHECK(c[0] == text::kEosIndex);
    CHECK(c[static_cast<size_t>(len - 1)] == text::kEosIndex);
    for (int64_t t = len; t < out.words.size(1); ++t) CHECK(c[static_cast<size_t>(t)] == text::kPadIndex);
    for (int64_t t = 2; t < len - 1; ++t) CHECK(c[static_cast<size_t>(t)] > c[static_cast<size_t>(t - 1)]);  // order kept
    kept += len - 2;
  }
  CHECK(out.words.size(1) == max_len);  // padded to the new longest row
  const double rate = 1.0 - static_cast<double>(kept) / 2000.0;
  CHECK(rate == Approx(0.3).margin(0.04));
}

TEST_CASE("word_dropout keeps one word of a sentence it would empty", "[objectives][mt][noise]") {
  // One-word sentences: with p = 0.9 most words are drawn out and put back.
  const Sentences in = batch(50, 1);
  text::SplitMix64 rng(11);
  const Sentences out = word_dropout(in, 0.9, rng);
  CHECK(out.lengths.to_vector<int64_t>() == V(50, 3));
  CHECK(out.words.to_vector<int64_t>() == in.words.to_vector<int64_t>());
}

TEST_CASE("word_blank masks words at its rate and nothing else", "[objectives][mt][noise]") {
  const Sentences in = batch(200, 10, 4);
  text::SplitMix64 rng(5);
  const Sentences out = word_blank(in, 0.2, rng);
  CHECK(out.lengths.to_vector<int64_t>() == in.lengths.to_vector<int64_t>());
  const V a = in.words.to_vector<int64_t>(), c = out.words.to_vector<int64_t>();
  REQUIRE(a.size() == c.size());
  int64_t masked = 0, words = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] >= 100) {
      ++words;
      if (c[i] == text::kMaskIndex) ++masked;
      else CHECK(c[i] == a[i]);
    } else {
      CHECK(c[i] == a[i]);  // </s> and <pad> untouched
    }
  }
  CHECK(static_cast<double>(masked) / static_cast<double>(words) == Approx(0.2).margin(0.04));
}

TEST_CASE("add_noise applies the three in order and validates its flags", "[objectives][mt][noise]") {
  const Sentences in = batch(8, 6);
  NoiseOptions o;
  o.word_shuffle = 3;
  o.word_dropout = 0.1;
  o.word_blank = 0.1;
  text::SplitMix64 a(9), b(9);
  const Sentences got = add_noise(in, o, a);
  Sentences want = word_shuffle(in, 3, b);
  want = word_dropout(want, 0.1, b);
  want = word_blank(want, 0.1, b);
  CHECK(got.words.to_vector<int64_t>() == want.words.to_vector<int64_t>());
  CHECK(got.lengths.to_vector<int64_t>() == want.lengths.to_vector<int64_t>());
  o.word_shuffle = 0.5;
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("--word_shuffle"));
  o.word_shuffle = 0;
  o.word_dropout = 1;
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("--word_dropout"));
  o.word_dropout = 0;
  o.word_blank = -0.1;
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("--word_blank"));
}
