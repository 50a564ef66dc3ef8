// Deterministic shuffling for the data loaders. std::shuffle and
// std::uniform_int_distribution are implementation-defined, so a run would
// not replay across standard libraries; this is SplitMix64 (Steele et al.,
// OOPSLA'14) driving a Fisher-Yates shuffle with unbiased rejection, fully
// specified here, so a (seed, epoch) gives the same order everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace xlm::text {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  // The whole generator is one word: saving state() and constructing from it
  // later resumes the same sequence (checkpoints rely on this).
  uint64_t state() const { return state_; }
  uint64_t next();
  uint64_t below(uint64_t bound);  // uniform in [0, bound), bound > 0

 private:
  uint64_t state_;
};

// A seed for stream `stream` of `seed` (e.g. one per epoch).
uint64_t derive_seed(uint64_t seed, uint64_t stream);

// Shuffles `items` in place (Fisher-Yates from the back).
template <typename T>
void shuffle_in_place(std::vector<T>& items, SplitMix64& rng) {
  for (size_t i = items.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng.below(i));
    std::swap(items[i - 1], items[j]);
  }
}

// 0..n-1 in a random order.
std::vector<int64_t> random_permutation(int64_t n, SplitMix64& rng);

}  // namespace xlm::text
