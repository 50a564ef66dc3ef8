// Philox4x32-10 for a run of consecutive counters at once, host only
// (core/philox_batch.cpp). The
// scalar philox4x32_10 (core/philox.h) has a chain of ten dependent rounds per
// block and never vectorises; here the four counter words of kPhiloxBatch
// blocks sit in separate arrays (structure of arrays), so each round is a loop
// over the blocks that GCC turns into vector 32x32->64 multiplies and xors.
// The words are the same as philox4x32_10's, bit for bit (tests/test_philox.cpp),
// so CPU dropout still draws the cuRAND stream the CUDA twins draw. On x86-64
// CPUs with AVX-512 an intrinsics version keeps all rounds in registers
// (core/philox_batch.cpp); it is picked once per process and gives the same
// words.
#pragma once

#include "core/philox.h"

#include <cstdint>

namespace xlm {

// Whether the AVX-512 version can be compiled here (x86-64, GCC or Clang).
#if defined(__x86_64__) && defined(__GNUC__)
#define XLM_PHILOX_AVX512 1
#else
#define XLM_PHILOX_AVX512 0
#endif

inline constexpr int kPhiloxBatch = 32;  // blocks per batch: 128 draws

// out[4 * j + w] = word w of philox4x32_10(block first_block + j) under `seed`,
// for j in [0, kPhiloxBatch): the draws of offsets 4 * first_block onwards, in order.
// The AVX-512 version where the CPU has it, else the portable one.
void philox_batch_bits(uint64_t seed, uint64_t first_block, uint32_t out[4 * kPhiloxBatch]);

// The two versions by name, for the tests: the portable one runs anywhere;
// the AVX-512 one only where philox_batch_avx512_available() (elsewhere it
// forwards to the portable one).
void philox_batch_bits_portable(uint64_t seed, uint64_t first_block, uint32_t out[4 * kPhiloxBatch]);
void philox_batch_bits_avx512(uint64_t seed, uint64_t first_block, uint32_t out[4 * kPhiloxBatch]);
bool philox_batch_avx512_available();

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
