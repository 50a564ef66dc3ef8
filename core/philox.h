// Counter-based Philox4x32-10 (Salmon et al., "Parallel random numbers: as
// easy as 1, 2, 3", SC'11), written to be bit-identical to cuRAND's
// curandStatePhilox4_32_10: the value curand_uniform returns after
// curand_init(seed, 0, offset) is philox_uniform(seed, offset) here. Usable
// from host and device code, so CPU and CUDA dropout draw the same masks.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define XLM_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define XLM_HOST_DEVICE inline
#endif

namespace xlm {

struct Philox4 {
  uint32_t v[4];
};

XLM_HOST_DEVICE void philox_round(uint32_t c[4], uint32_t k0, uint32_t k1) {
  const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c[0];
  const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c[2];
  const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
  const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
  const uint32_t n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
  c[0] = n0;
  c[1] = lo1;
  c[2] = n2;
  c[3] = lo0;
}

// The raw block function: 4 words for counter (c0..c3) under key (k0, k1).
XLM_HOST_DEVICE Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  uint32_t c[4] = {c0, c1, c2, c3};
  for (int round = 0; round < 9; ++round) {
    philox_round(c, k0, k1);
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  philox_round(c, k0, k1);
  return Philox4{{c[0], c[1], c[2], c[3]}};
}

// The 32-bit draw at position `offset` of subsequence 0 for `seed`, as cuRAND's
// curand() returns it after curand_init(seed, 0, offset, &state).
XLM_HOST_DEVICE uint32_t philox_bits(uint64_t seed, uint64_t offset) {
  const uint64_t block = offset >> 2;
  const Philox4 r = philox4x32_10(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u,
                                  static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
  // A select rather than r.v[offset & 3]: a dynamic index would put r in local
  // memory (a 16-byte stack frame) in every CUDA kernel that draws.
  const uint32_t word = static_cast<uint32_t>(offset & 3);
  return word == 0 ? r.v[0] : word == 1 ? r.v[1] : word == 2 ? r.v[2] : r.v[3];
}

// cuRAND's curand_uniform mapping: (0, 1], never 0. float(x) * 2^-32 is exact,
// so the fused form below rounds exactly like cuRAND's `x * 2^-32 + 2^-33`
// whether or not a compiler contracts it.
// On the host the plain form is used: without -mfma, fmaf is a libm call per
// draw, and the exact product makes both forms the same number.
XLM_HOST_DEVICE float philox_uniform_from_bits(uint32_t x) {
#if defined(__CUDA_ARCH__)
  return fmaf(static_cast<float>(x), 2.3283064e-10f, 2.3283064e-10f / 2.0f);
#else
  return static_cast<float>(x) * 2.3283064e-10f + 2.3283064e-10f / 2.0f;
#endif
}

XLM_HOST_DEVICE float philox_uniform(uint64_t seed, uint64_t offset) {
  return philox_uniform_from_bits(philox_bits(seed, offset));
}

}  // namespace xlm
