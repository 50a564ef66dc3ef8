// See objectives/noise.h. Rows are copied to host vectors, edited, and
// re-padded: a batch is a few thousand ids, so clarity wins over speed.
#include "objectives/noise.h"

#include "core/error.h"
#include "core/host_reads.h"
#include "objectives/random.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace xlm::objectives {

namespace {

using Rows = std::vector<std::vector<int64_t>>;  // each row: </s> w_1 .. w_n </s>

Rows read_rows(const Sentences& in, const char* who) {
  check_dtype(in.words, DType::i64, who, "words");
  check_dtype(in.lengths, DType::i64, who, "lengths");
  XLM_CHECK(in.words.dim() == 2 && in.lengths.dim() == 1 && in.lengths.size(0) == in.words.size(0), ShapeError,
            "{}: words {} with lengths {}, expected (B, L) and (B)", who, shape_str(in.words.shape()),
            shape_str(in.lengths.shape()));
  const int64_t B = in.words.size(0), L = in.words.size(1);
  const std::vector<int64_t> words = host_values<int64_t>(in.words);      // (B*L), a host batch
  const std::vector<int64_t> lengths = host_values<int64_t>(in.lengths);  // (B)
  Rows rows(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = lengths[static_cast<size_t>(b)];
    XLM_CHECK(len >= 2 && len <= L, ShapeError, "{}: length {} of row {} is outside [2, {}]", who, len, b, L);
    const auto first = words.begin() + b * L;
    rows[static_cast<size_t>(b)].assign(first, first + len);
  }
  return rows;
}

Sentences write_rows(const Rows& rows, int64_t pad_index) {
  const auto B = static_cast<int64_t>(rows.size());
  int64_t L = 0;
  for (const auto& r : rows) L = std::max<int64_t>(L, static_cast<int64_t>(r.size()));
  std::vector<int64_t> words(static_cast<size_t>(B * L), pad_index);  // (B, L)
  std::vector<int64_t> lengths(static_cast<size_t>(B));               // (B)
  for (int64_t b = 0; b < B; ++b) {
    const auto& r = rows[static_cast<size_t>(b)];
    std::copy(r.begin(), r.end(), words.begin() + b * L);
    lengths[static_cast<size_t>(b)] = static_cast<int64_t>(r.size());
  }
  return Sentences{Tensor::from_vector(words, {B, L}), Tensor::from_vector(lengths, {B})};
}

}  // namespace

void NoiseOptions::validate() const {
  XLM_CHECK(word_shuffle == 0 || word_shuffle > 1, ConfigError,
            "--word_shuffle {}: expected 0 (off) or a maximum shift > 1", word_shuffle);
  XLM_CHECK(word_dropout >= 0 && word_dropout < 1, ConfigError, "--word_dropout {}: expected a probability in [0, 1)",
            word_dropout);
  XLM_CHECK(word_blank >= 0 && word_blank < 1, ConfigError, "--word_blank {}: expected a probability in [0, 1)",
            word_blank);
}

Sentences word_shuffle(const Sentences& in, double k, text::SplitMix64& rng) {
  XLM_CHECK(k >= 0, ConfigError, "word_shuffle: the maximum shift {} is negative", k);
  if (k == 0) return in;
  Rows rows = read_rows(in, "word_shuffle");
  for (auto& r : rows) {
    const size_t n = r.size() - 2;  // words between the two </s>
    std::vector<double> keys(n);
    for (size_t j = 0; j < n; ++j) keys[j] = static_cast<double>(j) + k * uniform_double(rng);
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
    std::vector<int64_t> shuffled(n);
    for (size_t j = 0; j < n; ++j) shuffled[j] = r[1 + order[j]];
    std::copy(shuffled.begin(), shuffled.end(), r.begin() + 1);
  }
  // Lengths are unchanged, so the padding width is too.
  const std::vector<int64_t> words = host_values<int64_t>(in.words);  // (B*L), a host batch
  const int64_t L = in.words.size(1);
  std::vector<int64_t> out = words;
  for (size_t b = 0; b < rows.size(); ++b) std::copy(rows[b].begin(), rows[b].end(), out.begin() + static_cast<int64_t>(b) * L);
  return Sentences{Tensor::from_vector(out, in.words.shape()), in.lengths.to(Device::cpu())};
}

Sentences word_dropout(const Sentences& in, double p, text::SplitMix64& rng, int64_t pad_index) {
  XLM_CHECK(p >= 0 && p < 1, ConfigError, "word_dropout: probability {} outside [0, 1)", p);
  if (p == 0) return in;
  Rows rows = read_rows(in, "word_dropout");
  for (auto& r : rows) {
    const size_t n = r.size() - 2;
    std::vector<int64_t> kept{r.front()};
    for (size_t j = 0; j < n; ++j)
      if (uniform_double(rng) >= p) kept.push_back(r[1 + j]);
    if (kept.size() == 1 && n > 0) kept.push_back(r[1 + rng.below(n)]);
    kept.push_back(r.back());
    r = std::move(kept);
  }
  return write_rows(rows, pad_index);
}

Sentences word_blank(const Sentences& in, double p, text::SplitMix64& rng, int64_t mask_index) {
  XLM_CHECK(p >= 0 && p < 1, ConfigError, "word_blank: probability {} outside [0, 1)", p);
  if (p == 0) return in;
  const Rows rows = read_rows(in, "word_blank");
  const int64_t L = in.words.size(1);
  std::vector<int64_t> out = host_values<int64_t>(in.words);  // (B*L), a host batch
  for (size_t b = 0; b < rows.size(); ++b) {
    const size_t n = rows[b].size() - 2;
    for (size_t j = 0; j < n; ++j)
      if (uniform_double(rng) < p) out[static_cast<size_t>(static_cast<int64_t>(b) * L) + 1 + j] = mask_index;
  }
  return Sentences{Tensor::from_vector(out, in.words.shape()), in.lengths.to(Device::cpu())};
}

Sentences add_noise(const Sentences& in, const NoiseOptions& options, text::SplitMix64& rng) {
  options.validate();
  Sentences s = word_shuffle(in, options.word_shuffle, rng);
  s = word_dropout(s, options.word_dropout, rng, options.pad_index);
  return word_blank(s, options.word_blank, rng, options.mask_index);
}

}  // namespace xlm::objectives
