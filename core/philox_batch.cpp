// philox_batch_bits: see philox_batch.h. Two implementations of the same
// words, picked once per process:
// - portable: each round a loop over the batch's blocks in a function of its
//   own (compiled for the baseline ISA and AVX2, XLM_VEC_CLONES), which GCC
//   turns into vector 32x32->64 multiplies;
// - AVX-512 (x86-64 GCC/Clang, when the CPU has it): written with intrinsics
//   so that all ten rounds stay in registers, 16 blocks per 512-bit register
//   and two registers per word in flight (the rounds are a dependent chain; a
//   second independent chain fills the multiplier's latency). Through the
//   portable loop every round went through memory and an indirect call, and
//   dropout's draws were ~5% of a one-thread training step (docs/performance.md).
// Only integer operations: both give the same bits on every CPU, which
// tests/core/test_vec_math.cpp checks against the scalar philox4x32_10.
#include "core/philox_batch.h"

#include "core/vec_math.h"

#if XLM_PHILOX_AVX512
// GCC 12's AVX-512 intrinsics pass an uninitialised "undefined" vector as the
// unused merge operand and then warn about it (GCC bug 105593); the warning's
// location is inside the header, so silencing it around the include is enough.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

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

#if XLM_PHILOX_AVX512

constexpr int kLanes512 = 16;  // 32-bit lanes of a 512-bit register
static_assert(kPhiloxBatch == 2 * kLanes512, "the AVX-512 path runs two registers of 16 blocks");

// The four counter words of 16 blocks, one block per lane.
struct Blocks16 {
  __m512i c0, c1, c2, c3;
};

// c = counters of blocks first, first + 1, ..., first + 15.
__attribute__((target("avx512f"))) inline Blocks16 counters16(uint64_t first) {
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i lo = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(first)));
  const __m512i hi = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(first >> 32)));
  const __m512i c0 = _mm512_add_epi32(lo, iota);
  const __mmask16 carry = _mm512_cmplt_epu32_mask(c0, lo);  // the low word wrapped: the high word gains 1
  const __m512i c1 = _mm512_mask_add_epi32(hi, carry, hi, _mm512_set1_epi32(1));
  return {c0, c1, _mm512_setzero_si512(), _mm512_setzero_si512()};
}

// High and low 32-bit halves of the 64-bit products c[i] * m, lane by lane.
// _mm512_mul_epu32 multiplies the even lanes (the low half of each 64-bit
// pair); the odd lanes are shifted down for a second multiply. In the 64-bit
// products the high halves sit at odd positions, so each half is one blend.
__attribute__((target("avx512f"))) inline void mul_hi_lo(__m512i c, __m512i m, __m512i& hi, __m512i& lo) {
  const __m512i even = _mm512_mul_epu32(c, m);                         // products of lanes 0, 2, ...
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(c, 32), m);  // products of lanes 1, 3, ...
  const __mmask16 odd_lanes = 0xAAAA;
  hi = _mm512_mask_blend_epi32(odd_lanes, _mm512_srli_epi64(even, 32), odd);
  lo = _mm512_mask_blend_epi32(odd_lanes, even, _mm512_slli_epi64(odd, 32));
}

// philox_round on 16 blocks.
__attribute__((target("avx512f"))) inline void round16(Blocks16& b, __m512i k0, __m512i k1) {
  __m512i hi0, lo0, hi1, lo1;
  mul_hi_lo(b.c0, _mm512_set1_epi32(static_cast<int>(0xD2511F53u)), hi0, lo0);
  mul_hi_lo(b.c2, _mm512_set1_epi32(static_cast<int>(0xCD9E8D57u)), hi1, lo1);
  b.c0 = _mm512_ternarylogic_epi32(hi1, b.c1, k0, 0x96);  // three-way xor
  b.c2 = _mm512_ternarylogic_epi32(hi0, b.c3, k1, 0x96);
  b.c1 = lo1;
  b.c3 = lo0;
}

// Writes the 16 blocks word-interleaved (out[4 j + w] = word w of block j):
// a 4x4 transpose inside each 128-bit lane gives r_k holding block 4 L + k in
// lane L, and two 128-bit shuffles gather lane L of r_0..r_3 into 64 bytes.
__attribute__((target("avx512f"))) inline void store16(const Blocks16& b, uint32_t* out) {
  const __m512i t0 = _mm512_unpacklo_epi32(b.c0, b.c1), t1 = _mm512_unpacklo_epi32(b.c2, b.c3);
  const __m512i t2 = _mm512_unpackhi_epi32(b.c0, b.c1), t3 = _mm512_unpackhi_epi32(b.c2, b.c3);
  const __m512i r0 = _mm512_unpacklo_epi64(t0, t1), r1 = _mm512_unpackhi_epi64(t0, t1);
  const __m512i r2 = _mm512_unpacklo_epi64(t2, t3), r3 = _mm512_unpackhi_epi64(t2, t3);
  const __m512i a01 = _mm512_shuffle_i32x4(r0, r1, 0x44), b01 = _mm512_shuffle_i32x4(r2, r3, 0x44);  // lanes 0, 1
  const __m512i a23 = _mm512_shuffle_i32x4(r0, r1, 0xEE), b23 = _mm512_shuffle_i32x4(r2, r3, 0xEE);  // lanes 2, 3
  _mm512_storeu_si512(out + 0, _mm512_shuffle_i32x4(a01, b01, 0x88));
  _mm512_storeu_si512(out + 16, _mm512_shuffle_i32x4(a01, b01, 0xDD));
  _mm512_storeu_si512(out + 32, _mm512_shuffle_i32x4(a23, b23, 0x88));
  _mm512_storeu_si512(out + 48, _mm512_shuffle_i32x4(a23, b23, 0xDD));
}

#endif  // XLM_PHILOX_AVX512

using BatchFn = void (*)(uint64_t, uint64_t, uint32_t*);

BatchFn pick_batch_fn() {
  return philox_batch_avx512_available() ? philox_batch_bits_avx512 : philox_batch_bits_portable;
}

}  // namespace

void philox_batch_bits_portable(uint64_t seed, uint64_t first_block, uint32_t out[4 * kPhiloxBatch]) {
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

#if XLM_PHILOX_AVX512

bool philox_batch_avx512_available() {
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return yes;
}

__attribute__((target("avx512f"))) void philox_batch_bits_avx512(uint64_t seed, uint64_t first_block,
                                                                 uint32_t out[4 * kPhiloxBatch]) {
  Blocks16 a = counters16(first_block), b = counters16(first_block + kLanes512);
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    const __m512i vk0 = _mm512_set1_epi32(static_cast<int>(k0)), vk1 = _mm512_set1_epi32(static_cast<int>(k1));
    round16(a, vk0, vk1);
    round16(b, vk0, vk1);
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  store16(a, out);
  store16(b, out + 4 * kLanes512);
}

#else

bool philox_batch_avx512_available() { return false; }

void philox_batch_bits_avx512(uint64_t seed, uint64_t first_block, uint32_t out[4 * kPhiloxBatch]) {
  philox_batch_bits_portable(seed, first_block, out);
}

#endif

void philox_batch_bits(uint64_t seed, uint64_t first_block, uint32_t out[4 * kPhiloxBatch]) {
  static const BatchFn fn = pick_batch_fn();
  fn(seed, first_block, out);
}

}  // namespace xlm
