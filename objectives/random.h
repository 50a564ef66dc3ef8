// Host-side draws for masking and step sampling. Everything goes through
// text::SplitMix64 (one 64-bit word of state, saved in checkpoints) with the
// conversions written out here, never through <random>'s distributions, whose
// algorithms differ between standard libraries: a seed must give the same
// masks and the same step order on every build.
#pragma once

#include "text/shuffle.h"

#include <cstdint>
#include <vector>

namespace xlm::objectives {

// Uniform in [0, 1): the top 53 bits of one draw.
inline double uniform_double(text::SplitMix64& rng) {
  return static_cast<double>(rng.next() >> 11) * 0x1.0p-53;
}

// Uniform in (0, 1]: for logarithms (weighted sampling keys).
inline double uniform_double_open0(text::SplitMix64& rng) {
  return static_cast<double>((rng.next() >> 11) + 1) * 0x1.0p-53;
}

// Index i with probability weights[i] / sum(weights), by inverse CDF on one
// uniform draw. Weights are non-negative with a positive sum (the caller checks);
// a zero weight is never returned.
int64_t draw_weighted(const std::vector<double>& weights, text::SplitMix64& rng);

}  // namespace xlm::objectives
