// See text/shuffle.h.
#include "text/shuffle.h"

#include <climits>
#include <cstdint>
#include <numeric>

namespace xlm::text {

uint64_t SplitMix64::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::below(uint64_t bound) {
  // Reject the top partial block so every residue is equally likely.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x = next();
  while (x >= limit) x = next();
  return x % bound;
}

uint64_t derive_seed(uint64_t seed, uint64_t stream) {
  SplitMix64 a(seed ^ 0x6a09e667f3bcc908ull);
  SplitMix64 b(a.next() + stream);
  return b.next();
}

std::vector<int64_t> random_permutation(int64_t n, SplitMix64& rng) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), int64_t{0});
  shuffle_in_place(p, rng);
  return p;
}

}  // namespace xlm::text
