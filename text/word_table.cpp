// See word_table.h. Linear probing over a power-of-two array kept at most half
// full; the full 64-bit hash is stored so that probing rarely compares bytes.
#include "text/word_table.h"

#include <cstring>

namespace xlm::text {

namespace {
constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
inline uint64_t mix(uint64_t h) {
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 29;
  return h;
}
}  // namespace

WordTable::WordTable(size_t expected_words) {
  size_t capacity = 16;
  while (capacity < 2 * expected_words) capacity *= 2;
  slots_.resize(capacity);
  words_.reserve(expected_words);
}

uint64_t WordTable::hash(std::string_view word) {
  uint64_t h = word.size() * kMul;
  const char* p = word.data();
  size_t n = word.size();
  while (n >= 8) {
    uint64_t block;
    std::memcpy(&block, p, 8);
    h = (h ^ block) * kMul;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  h = (h ^ tail) * kMul;
  return mix(h);
}

uint32_t WordTable::insert(std::string_view word, uint64_t h, bool* inserted) {
  if (2 * (words_.size() + 1) > slots_.size()) grow();
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.index_plus_one == 0) {
      words_.push_back(word);
      slot.hash = h;
      slot.index_plus_one = static_cast<uint32_t>(words_.size());
      if (inserted) *inserted = true;
      return slot.index_plus_one - 1;
    }
    if (slot.hash == h && words_[slot.index_plus_one - 1] == word) {
      if (inserted) *inserted = false;
      return slot.index_plus_one - 1;
    }
  }
}

int64_t WordTable::find(std::string_view word) const {
  const uint64_t h = hash(word);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.index_plus_one == 0) return -1;
    if (slot.hash == h && words_[slot.index_plus_one - 1] == word) return slot.index_plus_one - 1;
  }
}

void WordTable::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.index_plus_one == 0) continue;
    size_t i = slot.hash & mask;
    while (slots_[i].index_plus_one != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

}  // namespace xlm::text
