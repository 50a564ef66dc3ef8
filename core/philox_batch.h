// Philox4x32-10 for a run of consecutive counters at once, host only
// (core/philox_batch.cpp). The
// scalar philox4x32_10 (core/philox.h) has a chain of ten dependent rounds per
// block and never vectorises; here the four counter words of kPhiloxBatch
// blocks sit in separate arrays (structure of arrays), so each round is a loop
// over the blocks that GCC turns into vector 32x32->64 multiplies and xors.
// The words are the same as philox4x32_10's, bit for bit (tests/test_philox.cpp),
// so CPU dropout still draws the cuRAND stream the CUDA twins draw.
#pragma once

#include "core/philox.h"

#include <cstdint>

namespace xlm {

inline constexpr int kPhiloxBatch = 16;  // blocks per batch: 64 draws

// out[4 * j + w] = word w of philox4x32_10(block first_block + j) under `seed`,
// for j in [0, kPhiloxBatch): the draws of offsets 4 * first_block onwards, in order.
void philox_batch_bits(uint64_t seed, uint64_t first_block, uint32_t out[4 * kPhiloxBatch]);

// The smallest x with philox_uniform_from_bits(x) > threshold, as a 64-bit
// value (2^32 when no 32-bit x passes). philox_uniform_from_bits is
// non-decreasing in x, so "u > threshold" is exactly "x >= this", an integer
// comparison that vectorises (a float one does not under -ftrapping-math).
inline uint64_t philox_keep_from(float threshold) {
  uint64_t lo = 0, hi = uint64_t{1} << 32;  // the answer lies in [lo, hi]
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (philox_uniform_from_bits(static_cast<uint32_t>(mid)) > threshold) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

}  // namespace xlm
