// See objectives/random.h.
#include "objectives/random.h"

namespace xlm::objectives {

int64_t draw_weighted(const std::vector<double>& weights, text::SplitMix64& rng) {
  double total = 0;
  for (double w : weights) total += w;
  const double u = uniform_double(rng) * total;
  double cumulative = 0;
  int64_t last_positive = -1;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0) continue;
    cumulative += weights[i];
    last_positive = static_cast<int64_t>(i);
    if (u < cumulative) return last_positive;
  }
  // Rounding can leave u just above the last partial sum: that mass belongs to the last positive weight.
  return last_positive;
}

}  // namespace xlm::objectives
