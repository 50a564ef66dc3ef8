// Deterministic dedup, sampling and train/valid/test assignment for corpora.
// Everything is decided by a hash of the text (FNV-1a 64), never by input
// order or a random generator, so that rebuilding from the same packages
// gives byte-identical files; corpus_layout builds on it so that a sentence
// lands in the same split in every file it appears in (mono.en, en-fr, de-en).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xlm::text {

// Hash for deterministic splits and samples: FNV-1a 64 of `s` (core/fnv1a.h)
// from an offset basis mixed with `seed`, then a splitmix64 avalanche.
uint64_t keyed_hash(std::string_view s, uint64_t seed = 0);

enum class Split { kTrain, kValid, kTest };

// "train", "valid" or "test".
const char* split_name(Split s);

// test if hash(key) falls in the first `heldout_fraction` of the 64-bit
// range, valid in the next `heldout_fraction`, train otherwise.
// heldout_fraction must be in [0, 0.5].
Split split_of(std::string_view key, double heldout_fraction);

// Keeps the first occurrence of each string, in order.
std::vector<std::string> dedup_lines(const std::vector<std::string>& lines);

// Indices (ascending) of the `n` items whose salted hash is smallest; all
// indices if n == 0 or n >= keys.size(). A stable, order-independent sample.
std::vector<size_t> sample_indices(const std::vector<std::string>& keys, size_t n, uint64_t salt);

// The items chosen by sample_indices over key(item), in their original order.
template <typename T, typename KeyFn>
std::vector<T> keep_sample(std::vector<T> items, size_t n, uint64_t salt, KeyFn key) {
  if (n == 0 || items.size() <= n) return items;
  std::vector<std::string> keys;
  keys.reserve(items.size());
  for (const auto& it : items) keys.push_back(key(it));
  std::vector<T> out;
  out.reserve(n);
  for (size_t i : sample_indices(keys, n, salt)) out.push_back(std::move(items[i]));
  return out;
}

// True if `s` is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).
bool is_valid_utf8(std::string_view s);

}  // namespace xlm::text
