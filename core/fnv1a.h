// Why: one non-cryptographic 64-bit hash for everything that must hash the
// same bytes the same way forever (dictionary and binarized-file checksums,
// deterministic corpus splits, parameter init streams, run ids) and for the
// in-memory keys that only need a fast, well-spread hash (the GEMM plan
// cache). FNV-1a 64 (Fowler, Noll, Vo): offset basis 0xcbf29ce484222325,
// prime 0x100000001b3, one xor and one multiply per byte.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xlm {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;

// FNV-1a 64 over `bytes`, continuing from `state` (start with kFnvOffset).
inline uint64_t fnv1a64(const void* bytes, size_t n, uint64_t state = kFnvOffset) {
  const auto* p = static_cast<const unsigned char*>(bytes);
  for (size_t i = 0; i < n; ++i) {
    state ^= p[i];
    state *= 0x100000001b3ull;
  }
  return state;
}

}  // namespace xlm
