// See objectives/masking.h. The draws are made in a fixed order (candidates in
// row-major order, then one draw per chosen position for mask/keep/rand, plus
// one more for a random word), which is what makes a generator state replay.
#include "objectives/masking.h"

#include "core/error.h"
#include "core/host_reads.h"
#include "objectives/random.h"
#include "objectives/parse_number.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace xlm::objectives {

MaskKeepRand parse_mask_keep_rand(const std::string& text, const std::string& flag) {
  std::vector<double> values;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    double v = 0;
    if (!parse_double(item, v) || !(v >= 0))
      throw ConfigError(fmt::format("{} '{}': '{}' is not a non-negative number (expected mask,keep,rand "
                                    "probabilities such as 0.8,0.1,0.1)",
                                    flag, text, item));
    values.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (values.size() != 3)
    throw ConfigError(fmt::format("{} '{}': expected 3 comma-separated probabilities (mask,keep,rand), got {}",
                                  flag, text, values.size()));
  const double sum = values[0] + values[1] + values[2];
  if (std::fabs(sum - 1.0) > 1e-6)
    throw ConfigError(fmt::format("{} '{}': the probabilities sum to {}, expected 1", flag, text, sum));
  return MaskKeepRand{values[0], values[1], values[2]};
}

void MaskingOptions::validate() const {
  if (!(word_pred >= 0 && word_pred <= 1))
    throw ConfigError(fmt::format("--word_pred {}: expected a probability in [0, 1]", word_pred));
  const double sum = keep_rand.mask + keep_rand.keep + keep_rand.rand;
  if (!(keep_rand.mask >= 0 && keep_rand.keep >= 0 && keep_rand.rand >= 0) || std::fabs(sum - 1.0) > 1e-6)
    throw ConfigError(fmt::format("--word_mask_keep_rand {},{},{}: expected non-negative values summing to 1",
                                  keep_rand.mask, keep_rand.keep, keep_rand.rand));
  if (!(sample_alpha >= 0))
    throw ConfigError(fmt::format("--sample_alpha {}: expected a value >= 0", sample_alpha));
  if (n_words <= text::kFirstWordIndex)
    throw ConfigError(fmt::format("masking: n_words {} leaves no real word (ids start at {})", n_words,
                                  text::kFirstWordIndex));
  if (mask_index < 0 || mask_index >= n_words)
    throw ConfigError(fmt::format("masking: mask_index {} is outside [0, {})", mask_index, n_words));
  if (sample_alpha > 0 && static_cast<int64_t>(word_scores.size()) != n_words)
    throw ConfigError(fmt::format("--sample_alpha {}: word_scores holds {} values, expected n_words = {}",
                                  sample_alpha, word_scores.size(), n_words));
}

std::vector<double> mask_scores(const text::Dictionary& dictionary, double sample_alpha) {
  std::vector<double> scores(static_cast<size_t>(dictionary.size()), 0.0);  // (n_words)
  for (int64_t id = text::kFirstWordIndex; id < dictionary.size(); ++id) {
    const int64_t count = dictionary.count(id);
    if (count > 0) scores[static_cast<size_t>(id)] = std::pow(static_cast<double>(count), -sample_alpha);
  }
  return scores;
}

namespace {

// Candidate flat positions in row-major order.
std::vector<int64_t> candidates(const std::vector<int64_t>& w, const std::vector<int64_t>& len, int64_t T,
                                const MaskingOptions& o) {
  std::vector<int64_t> out;
  for (size_t b = 0; b < len.size(); ++b) {
    for (int64_t t = 0; t < len[b]; ++t) {
      const int64_t flat = static_cast<int64_t>(b) * T + t;
      const int64_t word = w[static_cast<size_t>(flat)];
      if (word < text::kFirstWordIndex) continue;
      if (o.sample_alpha > 0 && !(o.word_scores[static_cast<size_t>(word)] > 0)) continue;
      out.push_back(flat);
    }
  }
  return out;
}

// Bernoulli(word_pred) on every candidate.
std::vector<int64_t> choose_uniform(const std::vector<int64_t>& cand, double word_pred, text::SplitMix64& rng) {
  std::vector<int64_t> chosen;
  for (int64_t flat : cand)
    if (uniform_double(rng) < word_pred) chosen.push_back(flat);
  return chosen;
}

// ceil(word_pred * |cand|) candidates without replacement, weighted by score:
// Efraimidis-Spirakis keys log(u)/w, the largest win. This has the law of
// successive weighted draws without replacement, which is what numpy's
// choice(replace=False, p=...) in XLM samples.
std::vector<int64_t> choose_weighted(const std::vector<int64_t>& cand, const std::vector<int64_t>& w,
                                     const MaskingOptions& o, text::SplitMix64& rng) {
  const auto n_target = static_cast<size_t>(
      std::min(static_cast<double>(cand.size()), std::ceil(o.word_pred * static_cast<double>(cand.size()))));
  std::vector<std::pair<double, int64_t>> keyed;  // (key, flat)
  keyed.reserve(cand.size());
  for (int64_t flat : cand) {
    const double score = o.word_scores[static_cast<size_t>(w[static_cast<size_t>(flat)])];
    keyed.emplace_back(std::log(uniform_double_open0(rng)) / score, flat);
  }
  std::partial_sort(keyed.begin(), keyed.begin() + static_cast<std::ptrdiff_t>(n_target), keyed.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  std::vector<int64_t> chosen;
  for (size_t i = 0; i < n_target; ++i) chosen.push_back(keyed[i].second);
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

}  // namespace

MaskedWords mask_words(const Tensor& words, const Tensor& lengths, const MaskingOptions& options,
                       text::SplitMix64& rng) {
  options.validate();
  check_dtype(words, DType::i64, "mask_words", "words");
  check_dtype(lengths, DType::i64, "mask_words", "lengths");
  check_rank(words, 2, "mask_words", "words");
  XLM_CHECK(words.dim() == 2, ShapeError, "mask_words: words must be (B, T), got {}", shape_str(words.shape()));
  const int64_t B = words.size(0), T = words.size(1);
  check_shape(lengths, {B}, "mask_words", "lengths");
  std::vector<int64_t> w = host_values<int64_t>(words);  // (B*T), a host batch: nothing to wait for
  const std::vector<int64_t> len = host_values<int64_t>(lengths);  // (B)
  for (int64_t b = 0; b < B; ++b)
    XLM_CHECK(len[static_cast<size_t>(b)] >= 0 && len[static_cast<size_t>(b)] <= T, ShapeError,
              "mask_words: lengths[{}] = {} is outside [0, {}]", b, len[static_cast<size_t>(b)], T);
  for (size_t i = 0; i < w.size(); ++i)
    if (w[i] < 0 || w[i] >= options.n_words)
      throw IndexError(fmt::format("mask_words: word {} at row {} column {} is outside the dictionary [0, {})",
                                   w[i], static_cast<int64_t>(i) / T, static_cast<int64_t>(i) % T,
                                   options.n_words));

  const std::vector<int64_t> cand = candidates(w, len, T, options);
  std::vector<int64_t> chosen = options.sample_alpha > 0 ? choose_weighted(cand, w, options, rng)
                                                         : choose_uniform(cand, options.word_pred, rng);
  if (chosen.empty() && !cand.empty()) chosen.push_back(cand[rng.below(cand.size())]);

  std::vector<int64_t> targets;  // (N)
  targets.reserve(chosen.size());
  const uint64_t n_real = static_cast<uint64_t>(options.n_words - text::kFirstWordIndex);
  const double keep_bound = options.keep_rand.mask + options.keep_rand.keep;
  for (int64_t flat : chosen) {
    int64_t& word = w[static_cast<size_t>(flat)];
    targets.push_back(word);
    const double u = uniform_double(rng);
    if (u < options.keep_rand.mask) {
      word = options.mask_index;
    } else if (u < keep_bound || options.keep_rand.rand <= 0) {
      // keep (the second test guards rounding when rand is 0)
    } else {
      word = text::kFirstWordIndex + static_cast<int64_t>(rng.below(n_real));
    }
  }
  const auto n = static_cast<int64_t>(chosen.size());
  return MaskedWords{Tensor::from_vector(w, {B, T}), Tensor::from_vector(chosen, {n}),
                     Tensor::from_vector(targets, {n})};
}

}  // namespace xlm::objectives
