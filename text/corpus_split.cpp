// See corpus_split.h: hash-decided splits and samples.
#include "text/corpus_split.h"

#include "core/error.h"

#include <algorithm>
#include <numeric>
#include <unordered_set>

namespace xlm::text {

uint64_t fnv1a64(std::string_view s, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
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
  const double u = static_cast<double>(fnv1a64(key) >> 11) * (1.0 / 9007199254740992.0);
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
  for (size_t i = 0; i < keys.size(); ++i) h[i] = fnv1a64(keys[i], salt);
  std::nth_element(idx.begin(), idx.begin() + static_cast<long>(n), idx.end(), [&](size_t a, size_t b) {
    return h[a] != h[b] ? h[a] < h[b] : a < b;
  });
  idx.resize(n);
  std::sort(idx.begin(), idx.end());
  return idx;
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + static_cast<size_t>(len) > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<size_t>(len);
  }
  return true;
}

}  // namespace xlm::text
