// See corpus_split.h: hash-decided splits and samples.
#include "text/corpus_split.h"

#include "core/error.h"

#include "core/fnv1a.h"
#include "text/dictionary.h"
#include "text/utf8.h"

#include <algorithm>
#include <numeric>
#include <unordered_set>

namespace xlm::text {

uint64_t keyed_hash(std::string_view s, uint64_t seed) {
  uint64_t h = fnv1a64(s.data(), s.size(), kFnvOffset ^ (seed * 0x9E3779B97F4A7C15ULL));
  // Final avalanche (splitmix64) so that the high bits used by split_of are well mixed.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

const char* split_name(Split s) {
  switch (s) {
    case Split::kTrain: return "train";
    case Split::kValid: return "valid";
    case Split::kTest: return "test";
  }
  return "train";
}

Split split_of(std::string_view key, double heldout_fraction) {
  XLM_CHECK(heldout_fraction >= 0.0 && heldout_fraction <= 0.5, ConfigError,
            "held-out fraction {} must be in [0, 0.5]", heldout_fraction);
  // Compare in [0, 1) with 53 bits: exact in a double.
  const double u = static_cast<double>(keyed_hash(key) >> 11) * (1.0 / 9007199254740992.0);
  if (u < heldout_fraction) return Split::kTest;
  if (u < 2 * heldout_fraction) return Split::kValid;
  return Split::kTrain;
}

std::vector<std::string> dedup_lines(const std::vector<std::string>& lines) {
  std::unordered_set<std::string_view> seen;
  std::vector<std::string> out;
  for (const auto& l : lines) {
    if (seen.insert(l).second) out.push_back(l);
  }
  return out;
}

std::vector<size_t> sample_indices(const std::vector<std::string>& keys, size_t n, uint64_t salt) {
  std::vector<size_t> idx(keys.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  if (n == 0 || n >= keys.size()) return idx;
  std::vector<uint64_t> h(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) h[i] = keyed_hash(keys[i], salt);
  std::nth_element(idx.begin(), idx.begin() + static_cast<long>(n), idx.end(), [&](size_t a, size_t b) {
    return h[a] != h[b] ? h[a] < h[b] : a < b;
  });
  idx.resize(n);
  std::sort(idx.begin(), idx.end());
  return idx;
}

bool is_valid_utf8(std::string_view s) { return find_invalid_utf8(s) == std::string_view::npos; }

}  // namespace xlm::text
