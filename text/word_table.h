// An open-addressing table from words (views into the input text, not
// copies) to dense indices 0, 1, 2, ... in insertion order. Counting the
// words of a corpus is one lookup per word; std::unordered_map<std::string>
// would allocate a node and a string per distinct word and chase pointers on
// every lookup, which dominates BPE preprocessing time.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace xlm::text {

class WordTable {
 public:
  explicit WordTable(size_t expected_words = 1024);

  static uint64_t hash(std::string_view word);

  // Index of `word`, inserting it with index size() when absent.
  uint32_t insert(std::string_view word, uint64_t hash, bool* inserted = nullptr);
  uint32_t insert(std::string_view word, bool* inserted = nullptr) { return insert(word, hash(word), inserted); }
  // Index of `word`, or -1.
  int64_t find(std::string_view word) const;

  size_t size() const { return words_.size(); }
  // Words by index (insertion order).
  const std::vector<std::string_view>& words() const { return words_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t index_plus_one = 0;  // 0 = empty
  };
  void grow();

  std::vector<Slot> slots_;  // power-of-two size, at most half full
  std::vector<std::string_view> words_;
};

}  // namespace xlm::text
