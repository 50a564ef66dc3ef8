// philox_batch_bits: see philox_batch.h. The round is a function of its own,
// compiled for the baseline ISA and AVX2 (XLM_VEC_CLONES), the lanes of its
// loop being the batch's blocks.
#include "core/philox_batch.h"

#include "core/vec_math.h"

namespace xlm {

namespace {

// One round of philox_round on every block. A function of its own (restrict
// pointers, not inlined into the round loop): as part of the round loop GCC
// unrolls the arrays into scalars and no longer vectorises the multiplies.
XLM_VEC_NOINLINE_FN void philox_batch_round(uint32_t* __restrict c0, uint32_t* __restrict c1, uint32_t* __restrict c2,
                                            uint32_t* __restrict c3, uint32_t k0, uint32_t k1) {
  for (int j = 0; j < kPhiloxBatch; ++j) {
    const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0[j];
    const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2[j];
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1[j] ^ k0;
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3[j] ^ k1;
    c0[j] = n0;
    c1[j] = static_cast<uint32_t>(p1);
    c2[j] = n2;
    c3[j] = static_cast<uint32_t>(p0);
  }
}

}  // namespace

void philox_batch_bits(uint64_t seed, uint64_t first_block, uint32_t out[4 * kPhiloxBatch]) {
  uint32_t c0[kPhiloxBatch], c1[kPhiloxBatch], c2[kPhiloxBatch], c3[kPhiloxBatch];
  for (int j = 0; j < kPhiloxBatch; ++j) {
    const uint64_t block = first_block + static_cast<uint64_t>(j);
    c0[j] = static_cast<uint32_t>(block);
    c1[j] = static_cast<uint32_t>(block >> 32);
    c2[j] = 0u;
    c3[j] = 0u;
  }
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    philox_batch_round(c0, c1, c2, c3, k0, k1);
    k0 += 0x9E3779B9u;  // the key schedule of philox4x32_10 (the bump after round 10 is unused)
    k1 += 0xBB67AE85u;
  }
  for (int j = 0; j < kPhiloxBatch; ++j) {
    out[4 * j + 0] = c0[j];
    out[4 * j + 1] = c1[j];
    out[4 * j + 2] = c2[j];
    out[4 * j + 3] = c3[j];
  }
}

}  // namespace xlm
