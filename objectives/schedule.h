// Which objective steps a training iteration runs, and with what weight, as
// XLM's train.py does: --clm_steps / --mlm_steps list monolingual languages
// ("en") and pairs ("en-fr", the first language placed first); --lambda_*
// weights a step's loss, constant or piecewise linear in the number of
// updates; each iteration draws its steps with shuf_order (src/utils.py),
// monolingual and pair steps separately, weighted by data size when
// --lg_sampling_factor > 0. Randomness is a SplitMix64 so the order replays.
#pragma once

#include "text/shuffle.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace xlm::objectives {

struct Step {
  std::string lang1;
  std::string lang2;  // "" for a monolingual step
  bool is_pair() const { return !lang2.empty(); }
  std::string name() const;  // "en" or "en-fr"
  bool operator==(const Step& o) const { return lang1 == o.lang1 && lang2 == o.lang2; }
};

// "en,fr,en-fr" -> {en}, {fr}, {en, fr}; "" -> {}. Empty items are skipped
// (XLM's `if len(s) > 0`). ConfigError naming `flag` for an item that is not
// `l` or `l1-l2`, a language not in `langs`, a pair of equal languages, or a
// repeated step.
std::vector<Step> parse_steps(const std::string& text, const std::vector<std::string>& langs,
                              const std::string& flag);

// XLM's lambda schedules: "1" (constant) or "0:1,1000:0.1,100000:0" (points
// x:y, x integers increasing from 0, y >= 0), linear between points and
// constant after the last one.
class LambdaSchedule {
 public:
  explicit LambdaSchedule(double constant = 1.0);
  // ConfigError naming `flag` on a bad item, a first x other than 0, x not
  // increasing, or a negative value.
  static LambdaSchedule parse(const std::string& text, const std::string& flag);
  double value_at(int64_t n_updates) const;
  bool is_constant() const { return points_.size() == 1; }
  const std::vector<std::pair<int64_t, double>>& points() const { return points_; }

 private:
  std::vector<std::pair<int64_t, double>> points_;  // (x, y), x increasing, first x = 0
};

// XLM's shuf_order(steps, params) for one iteration. Monolingual steps and pair
// steps are drawn separately, with replacement: min(draws, #mono) monolingual
// draws then min(draws, #pairs) pair draws, monolingual ones first. With
// factor -1 every step of a group is equally likely; with factor > 0 step i is
// drawn with probability proportional to (sizes[i] / sum)^factor, sizes[i]
// being its training sentences (the language's, or the pair's). ConfigError
// naming --lg_sampling_factor for a factor that is neither -1 nor > 0, and
// for sizes that do not match the steps, are negative, or are all 0 in a group.
std::vector<Step> sample_step_order(const std::vector<Step>& steps, const std::vector<int64_t>& sizes,
                                    double factor, text::SplitMix64& rng, int64_t draws = 5);

// The probabilities sample_step_order uses for one group of sizes (sums to 1).
std::vector<double> sampling_probabilities(const std::vector<int64_t>& sizes, double factor);

// XLM's shuf_order(steps) without params: every step once, in random order
// (XLM uses it for the auto-encoder, MT and back-translation steps).
std::vector<Step> shuffled_steps(const std::vector<Step>& steps, text::SplitMix64& rng);

}  // namespace xlm::objectives
