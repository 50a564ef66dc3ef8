// Word frequencies of one or more text files, the input of learnbpe and
// getvocab and the first pass of applybpe. Files are split into chunks at word
// boundaries and counted by several threads; the merged result remembers
// where each word first occurred, because fastBPE's tie-breaking depends on
// the order in which it first inserted words into its hash map (see
// in_fastbpe_order and docs/bpe.md).
#pragma once

#include "text/text_buffer.h"
#include "text/word_table.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace xlm::text {

struct WordCount {
  std::string_view word;  // points into the WordCounts' buffers
  uint64_t count = 0;
};

class WordCounts {
 public:
  // Counts the words of `paths` in order ("-" = stdin). Words are maximal runs
  // of bytes other than ' ' and '\n'. Throws FormatError naming a missing file.
  // A file is split among at most size/min_chunk_bytes workers (thread
  // start-up costs more than counting a small chunk).
  static constexpr size_t kMinChunkBytes = size_t(1) << 20;
  static WordCounts from_files(const std::vector<std::string>& paths, unsigned threads,
                               size_t min_chunk_bytes = kMinChunkBytes);
  // Same over in-memory text (tests; one "file" per element).
  static WordCounts from_texts(const std::vector<std::string>& texts, unsigned threads,
                               size_t min_chunk_bytes = kMinChunkBytes);

  // Distinct words in order of first occurrence over the files in order.
  const std::vector<WordCount>& in_first_seen_order() const { return words_; }
  // getvocab order: decreasing count, then increasing bytes (unsigned memcmp).
  std::vector<WordCount> by_decreasing_count() const;
  // The iteration order of fastBPE's std::unordered_map<std::string, uint32_t>
  // after inserting the words in first-seen order (libstdc++'s order; this is
  // what fastBPE's learnbpe numbers its initial symbols by).
  std::vector<WordCount> in_fastbpe_order() const;

  uint64_t total_words() const;

 private:
  void count_buffer(std::string_view text, uint64_t base_offset, unsigned threads, size_t min_chunk_bytes);
  void finish();

  std::vector<std::shared_ptr<TextBuffer>> buffers_;
  std::vector<std::string> owned_texts_;
  std::vector<WordCount> words_;
  std::vector<uint64_t> first_offset_;  // parallel to words_ while counting
  WordTable table_;                     // word -> index in words_ while counting
};

// "word count\n" per entry, in the given order (fastBPE's vocab format).
std::string format_vocab(const std::vector<WordCount>& words);

// Chunk boundaries of `text` for `parts` workers: ascending offsets, first 0,
// last text.size(), every inner one just after a word separator.
std::vector<size_t> split_at_word_boundaries(std::string_view text, unsigned parts);

}  // namespace xlm::text
